"""Préau's one settings module, driven by the environment (12-factor).

Every value a deployment may change comes from an environment variable (or a ``.env`` file
named by ``PREAU_ENV_FILE``, or ``.env`` in the working directory). The defaults give a safe
embedded demo: SQLite in ``./var``, a local-memory cache and a secret key generated once and kept
beside the database. Préau's own options live in the ``PREAU`` dict (see ``preau.conf``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.Env()
_env_file = os.environ.get("PREAU_ENV_FILE", ".env")
if Path(_env_file).is_file():
    env.read_env(_env_file)

DATA_DIR = Path(env.str("PREAU_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """Use SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "django_tasks",
    "django_tasks_db",
    "preau.audit",
    "preau.directory",
    "preau.provisioning",
    "preau.signin",
    "preau.console",
    "preau.demo",
    "preau.notify",
    "preau.lifecycle",
    "preau.activation",
    "preau.account",
    "preau.recovery",
    "preau.federation",
    "preau.mobile",
    "oauth2_provider",
    "preau.sso.oidc",
    "preau.portal",
    "preau.sso.cas",
]

MIDDLEWARE = [
    # First: the client's address behind a reverse proxy (PREAU_TRUSTED_PROXIES).
    "preau.signin.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body (the CSRF check does): oversized bodies are refused from
    # their Content-Length, unread (PREAU_REQUEST_MAX_BYTES, PREAU_IMPORT_MAX_BYTES).
    "preau.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The sign-in choice ("Vous êtes…") remembered on the device: see preau.signin.wayf.
    "preau.signin.wayf.SigninChoiceMiddleware",
    # Idle and absolute session timeouts, then the required actions (charter, first
    # connection) before any page: see preau.signin.timeouts, preau.activation.middleware.
    "preau.signin.timeouts.SessionTimeoutMiddleware",
    "preau.activation.middleware.RequiredActionsMiddleware",
]

ROOT_URLCONF = "preau.urls"
WSGI_APPLICATION = "preau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "preau.context_processors.preau",
            ],
        },
    },
]

# --- Storage -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'preau.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the portal read while an import writes; IMMEDIATE avoids lock upgrades.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with health checks skipped for connections just proven alive.
        DATABASES["default"]["ENGINE"] = "preau.postgresql"
    if env.bool("PREAU_DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and a statement run twice on a connection is
        # prepared: PostgreSQL no longer parses and plans it (a sign-in costs the server
        # 0.67 ms of CPU instead of 1.17 ms: bench/RESULTS.md). Behind PgBouncer in
        # transaction mode before 1.21, set PREAU_DB_PREPARED_STATEMENTS=0.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "preau.cache.PreauRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("PREAU_CACHE_PREFIX", default="preau"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "directory.Account"
AUTHENTICATION_BACKENDS = ["preau.signin.backends.AccountBackend"]
LOGIN_URL = "signin:login"
LOGIN_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "preau.signin.hashers.PreauArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # OIDC client secrets only (a keyed digest; see preau.sso.oidc.hashers): never first.
    "preau.sso.oidc.hashers.ClientSecretHasher",
]

# --- Sessions and cookies ------------------------------------------------------------------
SECURE_COOKIES = env.bool("PREAU_SECURE_COOKIES", default=True)
SESSION_ENGINE = "preau.signin.session_store"  # cached_db, written once per change
SESSION_COOKIE_NAME = "preau_session"
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: a CAS service sends the browser back to /cas/login by a cross-site
# top-level navigation, and the SSO session must be recognised there.
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_AGE = env.int("PREAU_SESSION_MAX_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_NAME = "preau_csrftoken"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = SECURE_COOKIES
# A page that says what to do (reload, cookies) instead of Django's bare 403.
CSRF_FAILURE_VIEW = "preau.activation.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("PREAU_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = True

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Préau's own CSS lives in the project package, which is no app: the finders must be told.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the packages when collectstatic was not run (the demo, a laptop).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- The demonstration ---------------------------------------------------------------------
# `preau demo` sets PREAU_DEMO=1 (never set it in production): mail and SMS are delivered in the
# server's own process (no `preau worker` needed), written to the terminal and kept, bodies
# included, for the page of the messages sent (/demo/messages; see preau.demo). EMAIL_URL,
# PREAU_SMS_BACKEND and PREAU_TASKS_BACKEND still win when they are set.
DEMO = env.bool("PREAU_DEMO", default=False)

# --- Mail ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if DEMO and "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "preau.demo.backends.TerminalEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Préau <ne-pas-repondre@preau.invalid>")
# A hung SMTP server must not hold a worker: the outbox retries later (see preau.notify).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Background tasks ----------------------------------------------------------------------
# The Django Tasks API (django-tasks backport). The database backend needs nothing but the
# database; `preau worker` runs it. Mail and SMS go through the outbox in preau.notify, which
# keeps its own state, so a task backend that loses a task loses no message.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "PREAU_TASKS_BACKEND",
            # The demo delivers as soon as the request's transaction commits, in-process.
            default="django_tasks.backends.immediate.ImmediateBackend"
            if DEMO
            else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# Request bodies (see preau.request_limits): the largest body any page accepts, and the
# largest import file (the biggest lycée export is a few MB) the console's import page accepts,
# with a margin for the form's other fields. Django's parsers get the same bounds: form fields
# up to the body limit; an import file kept in memory (the import reads it whole anyway)
# rather than written to a temporary file.
_REQUEST_MAX_BYTES = env.int("PREAU_REQUEST_MAX_BYTES", default=1024 * 1024)
_IMPORT_MAX_BYTES = env.int("PREAU_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = _REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = _IMPORT_MAX_BYTES + 64 * 1024

# --- Préau's own options (documented defaults in preau.conf.DEFAULTS) ------------------------
PREAU = {
    "ENT_NAME": env.str("PREAU_ENT_NAME", default="Préau"),
    "PUBLIC_URL": env.str("PREAU_PUBLIC_URL", default="http://127.0.0.1:8000"),
    "ACTIVATION_DAYS": env.int("PREAU_ACTIVATION_DAYS", default=92),
    "DELETE_UNACTIVATED_DAYS": env.int("PREAU_DELETE_UNACTIVATED_DAYS", default=365),
    "ARGON2_MEMORY_KIB": env.int("PREAU_ARGON2_MEMORY_KIB", default=19 * 1024),
    "ARGON2_TIME_COST": env.int("PREAU_ARGON2_TIME_COST", default=3),
    "ARGON2_PARALLELISM": env.int("PREAU_ARGON2_PARALLELISM", default=1),
    "TRUSTED_PROXIES": env.list("PREAU_TRUSTED_PROXIES", default=[]),
    "REQUEST_MAX_BYTES": _REQUEST_MAX_BYTES,
    "IMPORT_MAX_BYTES": _IMPORT_MAX_BYTES,
    "DB_ALIVE_WINDOW": env.float("PREAU_DB_ALIVE_WINDOW", default=0.5),
    "HELP_TEXT": env.str(
        "PREAU_HELP_TEXT",
        default="En cas de difficulté, adressez-vous au secrétariat de votre établissement.",
    ),
    "OPERATOR_NAME": env.str("PREAU_OPERATOR_NAME", default=""),
    "OPERATOR_LOGO": env.str("PREAU_OPERATOR_LOGO", default=""),
    "STATE_SERVICE": env.bool("PREAU_STATE_SERVICE", default=False),
    "NOTIFY_MAX_ATTEMPTS": env.int("PREAU_NOTIFY_MAX_ATTEMPTS", default=10),
    "NOTIFY_RETENTION_DAYS": env.int("PREAU_NOTIFY_RETENTION_DAYS", default=90),
    "LIFECYCLE_BATCH_SIZE": env.int("PREAU_LIFECYCLE_BATCH_SIZE", default=1000),
    "PASSWORD_POLICY": env.str("PREAU_PASSWORD_POLICY", default="a"),
    "PASSWORD_HISTORY": env.int("PREAU_PASSWORD_HISTORY", default=5),
    # FranceConnect (preau.federation, docs/federation.md): offered once all three are set.
    "FRANCECONNECT_ISSUER": env.str("PREAU_FRANCECONNECT_ISSUER", default=""),
    "FRANCECONNECT_CLIENT_ID": env.str("PREAU_FRANCECONNECT_CLIENT_ID", default=""),
    "FRANCECONNECT_CLIENT_SECRET": env.str("PREAU_FRANCECONNECT_CLIENT_SECRET", default=""),
    # EduConnect (preau.federation.educonnect, docs/federation.md).
    "EDUCONNECT_METADATA": env.str("PREAU_EDUCONNECT_METADATA", default=""),
    "SAML_SP_ENTITY_ID": env.str("PREAU_SAML_SP_ENTITY_ID", default=""),
    "SAML_SP_KEY_FILE": env.str("PREAU_SAML_SP_KEY_FILE", default=""),
    "SAML_SP_CERT_FILE": env.str("PREAU_SAML_SP_CERT_FILE", default=""),
    "SAML_SP_ENCRYPTION_KEY_FILE": env.str("PREAU_SAML_SP_ENCRYPTION_KEY_FILE", default=""),
    "SAML_SP_ENCRYPTION_CERT_FILE": env.str("PREAU_SAML_SP_ENCRYPTION_CERT_FILE", default=""),
    "BIRTH_DATE_MAX_FAILURES": env.int("PREAU_BIRTH_DATE_MAX_FAILURES", default=5),
    "EMAIL_PROOF_REQUIRED": env.bool("PREAU_EMAIL_PROOF_REQUIRED", default=False),
    "EMAIL_VERIFICATION_HOURS": env.int("PREAU_EMAIL_VERIFICATION_HOURS", default=48),
    "SESSION_IDLE_TIMEOUT": env.int("PREAU_SESSION_IDLE_TIMEOUT", default=4 * 3600),
    "SESSION_ABSOLUTE_TIMEOUT": env.int("PREAU_SESSION_ABSOLUTE_TIMEOUT", default=8 * 3600),
    # Recovery and SMS (preau.recovery, preau.notify.sms): see docs/recovery.md.
    "RECOVERY_LINK_MINUTES": env.int("PREAU_RECOVERY_LINK_MINUTES", default=60),
    "RECOVERY_CODE_MINUTES": env.int("PREAU_RECOVERY_CODE_MINUTES", default=10),
    "SMS_BACKEND": env.str(
        "PREAU_SMS_BACKEND", default="preau.demo.backends.TerminalSmsBackend" if DEMO else "console"
    ),
    "DEMO": DEMO,
    "SMS_FILE_PATH": env.str("PREAU_SMS_FILE_PATH", default=""),
    "SMS_SENDER": env.str("PREAU_SMS_SENDER", default=""),
    "SMS_HTTP": {
        "URL": env.str("PREAU_SMS_HTTP_URL", default=""),
        "METHOD": env.str("PREAU_SMS_HTTP_METHOD", default="POST"),
        "FORMAT": env.str("PREAU_SMS_HTTP_FORMAT", default="json"),
        "USERNAME": env.str("PREAU_SMS_HTTP_USERNAME", default=""),
        "PASSWORD": env.str("PREAU_SMS_HTTP_PASSWORD", default=""),
        "TOKEN": env.str("PREAU_SMS_HTTP_TOKEN", default=""),
        "HEADERS": env.json("PREAU_SMS_HTTP_HEADERS", default={}),
        "PAYLOAD": env.json(
            "PREAU_SMS_HTTP_PAYLOAD", default={"to": "{to}", "text": "{text}", "sender": "{sender}"}
        ),
        "TIMEOUT": env.float("PREAU_SMS_HTTP_TIMEOUT", default=10.0),
    },
    # The sign-in choices as JSON (a list of {"code", "label", "hint", "url"}); unset: the
    # defaults of preau.conf.
    **(
        {"SIGNIN_CHOICES": env.json("PREAU_SIGNIN_CHOICES")}
        if env.str("PREAU_SIGNIN_CHOICES", default="")
        else {}
    ),
}

# --- OpenID Connect provider (django-oauth-toolkit; see preau.sso.oidc, docs/oidc-integration.md)
# The issuer is PREAU["PUBLIC_URL"]; ID tokens are signed with RS256 by a key from the
# environment or generated once in DATA_DIR (preau.sso.oidc.keys), never from the code.
from preau.sso.oidc.keys import rsa_inactive_keys_pem, rsa_private_key_pem  # noqa: E402

_OIDC_SECONDS = {
    name: env.int(f"PREAU_{name}", default=default)
    for name, default in (
        ("OIDC_CODE_SECONDS", 60),
        ("OIDC_ACCESS_TOKEN_SECONDS", 3600),
        ("OIDC_ID_TOKEN_SECONDS", 3600),
        ("OIDC_REFRESH_TOKEN_SECONDS", 8 * 3600),
    )
}
PREAU.update(_OIDC_SECONDS)
PREAU["OIDC_ALLOW_HTTP"] = env.bool("PREAU_OIDC_ALLOW_HTTP", default=False)
# Named for the migrations of preau.sso.oidc (foreign keys to swappable models).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": PREAU["PUBLIC_URL"].rstrip("/"),
    "OIDC_RSA_PRIVATE_KEY": rsa_private_key_pem(
        value=env.str("PREAU_OIDC_RSA_PRIVATE_KEY", default=""),
        path=env.str("PREAU_OIDC_RSA_PRIVATE_KEY_FILE", default=""),
        data_dir=DATA_DIR,
    ),
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": rsa_inactive_keys_pem(
        env.list("PREAU_OIDC_RSA_INACTIVE_KEY_FILES", default=[])
    ),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["pairwise"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # Signed out at once when the ID token names the signed-in person, else asked.
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OAUTH2_VALIDATOR_CLASS": "preau.sso.oidc.validators.PreauOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "preau.sso.oidc.scopes.PreauScopes",
    # Required by django-oauth-toolkit; the descriptions shown are PreauScopes' (French).
    "SCOPES": {
        "openid": "openid",
        "profile": "profile",
        "email": "email",
        "ent": "ent",
        "children": "children",
    },
    "DEFAULT_SCOPES": ["openid"],
    "APPLICATION_ADMIN_CLASS": "preau.sso.oidc.admin.ApplicationAdmin",
    "CLIENT_SECRET_HASHER": "preau_client_hmac",
    "PKCE_REQUIRED": True,
    # Consent given on the page is remembered while a token of the same scopes lives.
    "REQUEST_APPROVAL_PROMPT": "auto",
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": _OIDC_SECONDS["OIDC_CODE_SECONDS"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": _OIDC_SECONDS["OIDC_ACCESS_TOKEN_SECONDS"],
    "ID_TOKEN_EXPIRE_SECONDS": _OIDC_SECONDS["OIDC_ID_TOKEN_SECONDS"],
    "REFRESH_TOKEN_EXPIRE_SECONDS": _OIDC_SECONDS["OIDC_REFRESH_TOKEN_SECONDS"],
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Redirect URIs in https only, unless a demo or a test allows http.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if PREAU["OIDC_ALLOW_HTTP"] else ["https"],
    # RFC 9700 (OAuth 2.0 security best current practice), every gate enforced: no implicit
    # or password grant, no "plain" PKCE, no token in a query string, the `iss` parameter in
    # authorization responses, tokens stored as digests, and `check --deploy` errors.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # pysaml2 logs whole messages (a decrypted assertion's attributes) at DEBUG and INFO:
    # never, whatever LOG_LEVEL says.
    "loggers": {"saml2": {"level": "WARNING"}},
}
