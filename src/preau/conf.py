"""Préau's options: one namespaced dict ``settings.PREAU`` with documented defaults.

Read through :func:`preau_setting` at call time (never at import time), so tests can override
``settings.PREAU`` and deployments can set ``PREAU_*`` environment variables.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULTS: dict[str, Any] = {
    # Name shown in pages, mails and letters.
    "ENT_NAME": "Préau",
    # Public address of the ENT, printed on letters and in their QR code.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # The demonstration (``preau demo`` turns it on; NEVER in production): mail and SMS are
    # delivered in-process to the terminal and kept, bodies included, for the page of the
    # messages sent (/demo/messages, a 404 otherwise) that a banner links from every page.
    "DEMO": False,
    # An activation code, and the account waiting for it, lives this many days.
    "ACTIVATION_DAYS": 92,
    # The operator may undo a merge of two accounts this many days (preau.directory.merges).
    "MERGE_UNDO_DAYS": 30,
    # A never-activated account is deleted this many days after its creation.
    "DELETE_UNACTIVATED_DAYS": 365,
    # Argon2id cost: chosen from bench/bench_argon2.py (see bench/RESULTS.md).
    "ARGON2_MEMORY_KIB": 19 * 1024,
    "ARGON2_TIME_COST": 3,
    "ARGON2_PARALLELISM": 1,
    # Throttles (see preau.signin.throttle): per scope, ``limit`` failures are free, then each
    # failure doubles the wait (2, 4, 8… s) up to ``max_delay``; the count is forgotten ``window``
    # seconds after the last failure. Per address the budget is larger and the cap shorter: a
    # whole school often shares one address, and a prankster must not lock the school out.
    "THROTTLES": {
        "signin.account": {"limit": 5, "window": 15 * 60, "max_delay": 5 * 60},
        "signin.address": {"limit": 100, "window": 15 * 60, "max_delay": 60},
        # A birth date at first connection (preau.activation): per account, a few tries
        # then 2, 4, 8… s up to 10 minutes; per address, as for the sign-in.
        "activation.birth_date.account": {"limit": 3, "window": 60 * 60, "max_delay": 10 * 60},
        "activation.birth_date.address": {"limit": 50, "window": 15 * 60, "max_delay": 60},
        # Sending the e-mail proof again: nobody turns Préau into a mail cannon.
        "activation.email_send.account": {"limit": 3, "window": 60 * 60, "max_delay": 15 * 60},
        # The current password asked by "Mon compte" (password or e-mail change).
        "account.password.account": {"limit": 5, "window": 15 * 60, "max_delay": 5 * 60},
        "account.password.address": {"limit": 100, "window": 15 * 60, "max_delay": 60},
        # Forgotten identifier or password (preau.recovery). Every request counts, found or
        # not (the answer must not depend on it): per identifier, e-mail or number typed…
        "recovery.request.query": {"limit": 3, "window": 60 * 60, "max_delay": 15 * 60},
        # …per client address…
        "recovery.request.address": {"limit": 50, "window": 15 * 60, "max_delay": 2 * 60},
        # …and per contact that receives the messages (an address or number shared by a
        # family): past the limit, nothing is sent until the delay has passed.
        "recovery.contact": {"limit": 3, "window": 60 * 60, "max_delay": 60 * 60},
        # Wrong SMS codes from one address (each code also dies after 5 wrong tries).
        "recovery.code.address": {"limit": 20, "window": 15 * 60, "max_delay": 2 * 60},
        # Identifier + birth date, proving an account to ask the school for help.
        "recovery.proof.identifier": {"limit": 3, "window": 60 * 60, "max_delay": 10 * 60},
        "recovery.proof.address": {"limit": 50, "window": 15 * 60, "max_delay": 2 * 60},
        # A parent's sign-up by SMS (preau.activation.signup). Every request counts, matched
        # or not: per number typed, per names typed (folded), per client address…
        "signup.mobile": {"limit": 3, "window": 60 * 60, "max_delay": 15 * 60},
        "signup.names": {"limit": 5, "window": 60 * 60, "max_delay": 15 * 60},
        "signup.address": {"limit": 30, "window": 15 * 60, "max_delay": 2 * 60},
        # …and wrong SMS codes from one address (each code also dies after its tries).
        "signup.code.address": {"limit": 20, "window": 15 * 60, "max_delay": 2 * 60},
        # "Fusion de comptes" (preau.account): the other account's identifier and secret,
        # per signed-in person and per address, besides the sign-in's own per-identifier one.
        "account.merge.account": {"limit": 5, "window": 60 * 60, "max_delay": 15 * 60},
        "account.merge.address": {"limit": 50, "window": 15 * 60, "max_delay": 2 * 60},
        # The mobile API (preau.mobile): wrong pairing codes, PINs, refresh or bearer tokens
        # from one address (each grant also dies after its own few tries).
        "mobile.failure.address": {"limit": 20, "window": 15 * 60, "max_delay": 2 * 60},
    },
    # The mobile application (preau.mobile, docs/mobile.md): lifetimes in seconds.
    "MOBILE": {
        "GRANT_SECONDS": 5 * 60,  # the code or QR + PIN token of "Activer mon accès"
        "GRANT_TRIES": 3,  # wrong codes or PINs before the grant dies
        "ACCESS_SECONDS": 10 * 60,
        "REFRESH_SECONDS": 90 * 24 * 3600,  # unused that long, the device must pair again
        "WEB_LINK_SECONDS": 60,  # the one-time web sign-in link into a CAS service
        # Each device may make this many requests with its access token per window of this
        # many seconds; past that it is answered 429 with Retry-After until the next window.
        "DEVICE_REQUESTS": 120,
        "DEVICE_WINDOW_SECONDS": 60,
        # `preau lifecycle` deletes used or expired grants, web links and tokens at once, but
        # keeps a rotated refresh token this many days after its use (presented again, it
        # revokes the device: a copy exists), and a revoked device's row this many days.
        "ROTATED_REFRESH_DAYS": 30,
        "REVOKED_DEVICE_DAYS": 90,
    },
    # Reverse proxies whose X-Forwarded-For is believed (addresses, networks, "unix"); see
    # preau.signin.middleware. Empty: REMOTE_ADDR is the client.
    "TRUSTED_PROXIES": [],
    # Largest request body any page accepts, in bytes: a larger one is refused from its
    # announced length before it is read (preau.request_limits).
    "REQUEST_MAX_BYTES": 1024 * 1024,
    # Largest import file the console accepts, in bytes (its upload page accepts a body of
    # this plus 64 KiB for the form).
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # Where to get help, printed on letters and pages.
    "HELP_TEXT": "En cas de difficulté, adressez-vous au secrétariat de votre établissement.",
    # --- Who runs the ENT (base.html's header and footer, the footer's pages) ---
    # The organisation that runs the deployment (a région, a département, an académie, a
    # school…), named in the footer and the default legal notice; empty: not named.
    "OPERATOR_NAME": "",
    # Its logo in the header and the footer: an address (https://…, or a path such as
    # /static/…) or the name of a static file; empty: no logo. Its text alternative is
    # OPERATOR_NAME, so the logo should show that name.
    "OPERATOR_LOGO": "",
    # True only for a service of the State: the header and the footer then show the State's
    # "République française" block and the footer the State's sites (info.gouv.fr…), as the
    # design system reserves them to the State. Most ENTs are run by régions or départements.
    "STATE_SERVICE": False,
    # Seconds a process keeps the accessibility statement's conformity level (the footer's
    # "Accessibilité : …") before reading it again; a change in the admin clears it at once
    # in the shared cache.
    "SITE_PAGES_CACHE_SECONDS": 300,
    # --- Outbox (preau.notify) ---
    # Delivery channels: name -> dotted path of a preau.notify.channels.Channel subclass.
    "NOTIFY_CHANNELS": {
        "email": "preau.notify.channels.EmailChannel",
        "sms": "preau.notify.sms.SmsChannel",
    },
    # A message that keeps failing transiently (server down, 4xx) is tried this many times in
    # all, then marked failed for the operator (admin "Messages sortants").
    "NOTIFY_MAX_ATTEMPTS": 10,
    # Back-off after the n-th failed attempt: BASE * 2**(n-1) seconds, capped at MAX
    # (1, 2, 4, 8, 16, 32 min, then hourly: ten attempts span about four hours).
    "NOTIFY_RETRY_BASE_SECONDS": 60,
    "NOTIFY_RETRY_MAX_SECONDS": 3600,
    # A worker's claim on a message older than this is taken as a crash and the message is
    # queued again. Keep it far above EMAIL_TIMEOUT.
    "NOTIFY_CLAIM_LEASE_SECONDS": 600,
    # The sweeper re-enqueues a due message whose task has not run this long after it was
    # handed to the task backend (a lost task), at most SWEEP_BATCH messages per pass.
    "NOTIFY_SWEEP_GRACE_SECONDS": 300,
    "NOTIFY_SWEEP_BATCH": 500,
    # Sent and failed messages (and finished task results) are deleted by `preau lifecycle`
    # this many days after their creation.
    "NOTIFY_RETENTION_DAYS": 90,
    # --- Password policy (preau.signin.password_policy) ---
    # A preset: "a" (8+ with lower, upper, digit and a special from !"#%&'()*+,-./:;<=>?@[_{}|),
    # "b" (8 to 14 with letters and digits), "c" (8+ with upper and a special from
    # !?@#&=+-%<>); or a dict {"min_length", "max_length", "require", "specials"}.
    "PASSWORD_POLICY": "a",
    # A new password may not be any of this account's last N passwords (the current included).
    "PASSWORD_HISTORY": 5,
    # --- First connection and required actions (preau.activation) ---
    # The steps each profile goes through, in order, at first connection (a step whose
    # condition does not hold is skipped: no charter published, no birth date known…). Keys
    # are Membership profiles; "default" serves an account without a current membership. A
    # person with several profiles follows the first of their profiles in this dict, then the
    # other profiles' remaining steps. After activation only ACCEPT_CHARTER (a new version) and
    # UPDATE_PASSWORD (asked for by a recovery or an administrator) can come back.
    "REQUIRED_ACTIONS": {
        "eleve": [
            "ACCEPT_CHARTER",
            "UPDATE_PASSWORD",
            "CONFIRM_BIRTH_DATE",
            "UPDATE_CONTACT",
            "VERIFY_EMAIL",
        ],
        "responsable": [
            "ACCEPT_CHARTER",
            "UPDATE_PASSWORD",
            "CONFIRM_BIRTH_DATE",
            "UPDATE_CONTACT",
            "VERIFY_EMAIL",
        ],
        "enseignant": ["ACCEPT_CHARTER", "UPDATE_PASSWORD", "UPDATE_CONTACT", "VERIFY_EMAIL"],
        "personnel": ["ACCEPT_CHARTER", "UPDATE_PASSWORD", "UPDATE_CONTACT", "VERIFY_EMAIL"],
        "invite": ["ACCEPT_CHARTER", "UPDATE_PASSWORD"],
        "default": ["ACCEPT_CHARTER", "UPDATE_PASSWORD"],
    },
    # Wrong birth dates accepted at CONFIRM_BIRTH_DATE per account over the life of its
    # activation code (counted in the database, whatever the address or the day): at this
    # number the step is blocked and the school gets a help request; a new code from the
    # school starts a fresh first connection.
    "BIRTH_DATE_MAX_FAILURES": 5,
    # True: the first connection ends only when the link sent to the e-mail address is followed
    # (the account stays pending, and the address is required). False: the account is activated
    # at the end of the steps and the address may be confirmed later.
    "EMAIL_PROOF_REQUIRED": False,
    # An e-mail confirmation link lives this many hours.
    "EMAIL_VERIFICATION_HOURS": 48,
    # --- Database (PostgreSQL; see preau.postgresql.base) ---
    # A connection that served a request without error less than this many seconds ago is
    # reused without Django's "SELECT 1" health check (0 checks every request).
    "DB_ALIVE_WINDOW": 0.5,
    # --- Sessions (preau.account) ---
    # A session unused this many seconds ends (idle timeout): long enough for a teacher between
    # two classes; the cookie also dies when the browser closes (shared computers)…
    "SESSION_IDLE_TIMEOUT": 4 * 3600,
    # …and any session ends this many seconds after its sign-in (absolute timeout).
    "SESSION_ABSOLUTE_TIMEOUT": 8 * 3600,
    # --- OpenID Connect provider (preau.sso.oidc; see docs/oidc-integration.md) ---
    # Read once at start-up into django-oauth-toolkit's OAUTH2_PROVIDER (PREAU_* variables).
    # An authorization code must be exchanged within this many seconds…
    "OIDC_CODE_SECONDS": 60,
    # …access tokens (userinfo) and ID tokens live this many seconds…
    "OIDC_ACCESS_TOKEN_SECONDS": 3600,
    "OIDC_ID_TOKEN_SECONDS": 3600,
    # …and a refresh token this many seconds past its access token (the SSO session's span).
    "OIDC_REFRESH_TOKEN_SECONDS": 8 * 3600,
    # Accept http:// redirect URIs (a demo or a test on 127.0.0.1); production wants https.
    "OIDC_ALLOW_HTTP": False,
    # --- Services portal and CAS server (preau.portal, preau.sso.cas) ---
    # A process reloads its copy of the service registry at least this often (seconds); a
    # change made through the admin reaches the other processes at once through the shared
    # cache (Redis), within this delay with a local-memory cache.
    "PORTAL_REGISTRY_TTL": 10,
    # A service or proxy ticket must be validated within this many seconds of its issuance.
    "CAS_TICKET_SECONDS": 10,
    # An SSO session (TGT) and its proxy-granting tickets die with the Django session; this
    # bounds them anyway (seconds after the first ticket).
    "CAS_SSO_SESSION_SECONDS": 8 * 3600,
    # After a sign-in, a ticket asked with renew=true within this many seconds counts as issued
    # from primary credentials (the first-connection steps may come in between).
    "CAS_RENEW_WINDOW_SECONDS": 300,
    # A person's memberships (profiles, establishments, classes: access to services and the
    # released attributes) are re-read at most this many seconds apart within a session.
    "CAS_MEMBERSHIP_CACHE_SECONDS": 60,
    # The proxy callback (pgtUrl) must answer within this many seconds.
    "CAS_PROXY_CALLBACK_TIMEOUT": 5,
    # CA bundle (PEM file) to verify proxy callbacks' certificates; empty: the system's CAs.
    "CAS_PROXY_CA_FILE": "",
    # Single logout: each LogoutRequest POST waits this many seconds at most, and this many
    # are sent at the same time (in the background: signing out never waits for them).
    "CAS_SLO_TIMEOUT": 5,
    "CAS_SLO_CONCURRENCY": 4,
    # --- Lifecycle rules (preau.lifecycle) ---
    # Accounts handled per transaction by `preau lifecycle` (bounded memory and lock time).
    "LIFECYCLE_BATCH_SIZE": 1000,
    # --- Sign-in choices (preau.signin.wayf) ---
    # The choices shown above the sign-in form ("Vous êtes…"), in order. Each one: ``code``
    # (used in ``/connexion?selection=<code>`` and remembered in a cookie), ``label``, and
    # optionally ``hint`` (under the identifier field), ``password_hint``, ``description``
    # and ``url``: a choice with a ``url`` is an identity source elsewhere (EduConnect, an
    # academic IdP…) shown as a button leading there; ``profiles``: the membership profiles
    # it is for (the credential letters tell their reader which choice to make, in its
    # words). Empty list: no choices, the form alone.
    "SIGNIN_CHOICES": [
        {
            "code": "eleve-parent",
            "label": _("Élève ou parent"),
            "profiles": ["eleve", "responsable"],
            "hint": _(
                "Il figure sur le courrier remis par l'établissement, par exemple jean.dupont."
            ),
        },
        {
            "code": "enseignant",
            "label": _("Enseignant"),
            "profiles": ["enseignant"],
            "hint": _("L'identifiant de votre compte, par exemple marie.curie."),
        },
        {
            "code": "personnel",
            "label": _("Personnel non enseignant"),
            "profiles": ["personnel"],
            "hint": _("L'identifiant de votre compte, par exemple marie.curie."),
        },
        {
            "code": "autres",
            "label": _("Autres comptes et invités"),
            "profiles": ["invite"],
            "hint": _("L'identifiant qui vous a été communiqué."),
        },
        # Shown only once EduConnect is configured (EDUCONNECT_METADATA, SAML_SP_* below).
        {
            "code": "educonnect",
            "label": _("Élève ou parent (EduConnect)"),
            "federation": "educonnect",
            "description": _(
                "Connectez-vous avec votre compte EduConnect (le compte national des élèves "
                "et des parents). La première fois, votre compte de l'établissement est "
                "reconnu par l'INE, ou vous prouvez une seule fois lequel est le vôtre."
            ),
        },
        # Shown only once FranceConnect is configured (FRANCECONNECT_* below).
        {
            "code": "franceconnect",
            "label": _("Parent (FranceConnect)"),
            "federation": "franceconnect",
            "description": _(
                "Connectez-vous avec le compte que vous utilisez pour les impôts, l'assurance "
                "maladie ou La Poste. La première fois, vous prouverez une seule fois quel "
                "compte de l'établissement est le vôtre."
            ),
        },
    ],
    # The last choice is remembered on the device this many days (cookie ``preau_wayf``).
    "SIGNIN_CHOICE_COOKIE_DAYS": 365,
    # --- FranceConnect (preau.federation, docs/federation.md) ---
    # The provider's issuer (its discovery document is read from
    # <issuer>/.well-known/openid-configuration), and the client FranceConnect gave Préau.
    # FranceConnect is offered (the "Parent (FranceConnect)" choice) once all three are set.
    "FRANCECONNECT_ISSUER": "",
    "FRANCECONNECT_CLIENT_ID": "",
    "FRANCECONNECT_CLIENT_SECRET": "",
    # The discovery document is kept this many seconds in the cache.
    "FRANCECONNECT_METADATA_SECONDS": 3600,
    # --- EduConnect (SAML 2.0; preau.federation.educonnect, docs/federation.md) ---
    # The IdP's metadata (a file path or an https:// address, kept this many seconds in the
    # cache), Préau's SP entity id, and its key and certificate files (PEM): signing, and
    # encryption (the signing pair when unset). Offered once the first four are set.
    "EDUCONNECT_METADATA": "",
    "EDUCONNECT_METADATA_SECONDS": 86400,
    "SAML_SP_ENTITY_ID": "",
    "SAML_SP_KEY_FILE": "",
    "SAML_SP_CERT_FILE": "",
    "SAML_SP_ENCRYPTION_KEY_FILE": "",
    "SAML_SP_ENCRYPTION_CERT_FILE": "",
    # --- Forgotten identifier or password, help requests (preau.recovery) ---
    # A reset link sent by e-mail lives this many minutes; a code sent by SMS this many
    # minutes and this many wrong tries; once the code is right, the new password must be
    # chosen within RECOVERY_GRANT_MINUTES.
    "RECOVERY_LINK_MINUTES": 60,
    "RECOVERY_CODE_MINUTES": 10,
    "RECOVERY_CODE_ATTEMPTS": 5,
    "RECOVERY_GRANT_MINUTES": 15,
    # Someone who proved an account (identifier + birth date) may ask the school for help
    # during this many minutes.
    "RECOVERY_PROOF_MINUTES": 30,
    # At most this many identifiers are recalled to one address or number.
    "RECOVERY_MAX_IDENTIFIERS": 5,
    # --- A parent's sign-up by SMS (preau.activation.signup, docs/signup.md) ---
    # The "Je n'ai pas de compte" link of the parents' sign-in choice, and its pages.
    "SIGNUP_ENABLED": True,
    # The SMS code lives this many minutes and this many wrong tries; the whole sign-up
    # (code, children's birth dates, charter, password) must end within SIGNUP_MINUTES; wrong
    # birth-date pages allowed in all before the sign-up stops.
    "SIGNUP_CODE_MINUTES": 10,
    "SIGNUP_CODE_ATTEMPTS": 5,
    "SIGNUP_MINUTES": 30,
    "SIGNUP_BIRTH_DATE_ATTEMPTS": 3,
    # A sign-up's row (the number typed, the client address, its steps) is deleted this many
    # days after it was asked for, finished or not (``preau lifecycle``).
    "SIGNUP_RETENTION_DAYS": 30,
    # --- SMS (preau.notify.sms) ---
    # "console" (logged), "file" (JSON lines in SMS_FILE_PATH, default DATA_DIR/sms.jsonl),
    # "http" (SMS_HTTP below) or the dotted path of a preau.notify.sms.SmsBackend.
    "SMS_BACKEND": "console",
    "SMS_FILE_PATH": "",
    # The sender name some gateways ask for (up to 11 letters and digits).
    "SMS_SENDER": "",
    # The HTTP gateway: address, method, body format ("json" or "form"), HTTP basic
    # credentials or a bearer token, extra headers, seconds to wait, and the body's template
    # where {to} (E.164), {to_digits} (E.164 without "+"), {text}, {sender} and {reference}
    # (the same on every attempt of one message) are replaced.
    "SMS_HTTP": {
        "URL": "",
        "METHOD": "POST",
        "FORMAT": "json",
        "USERNAME": "",
        "PASSWORD": "",
        "TOKEN": "",
        "HEADERS": {},
        "PAYLOAD": {"to": "{to}", "text": "{text}", "sender": "{sender}"},
        "TIMEOUT": 10,
    },
}


def preau_setting(name: str) -> Any:
    """Return Préau option ``name`` from ``settings.PREAU``, else its documented default."""
    overrides = getattr(settings, "PREAU", {})
    if name in overrides:
        return overrides[name]
    return DEFAULTS[name]
