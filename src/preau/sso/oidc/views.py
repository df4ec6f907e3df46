"""The authorization and logout endpoints: django-oauth-toolkit's views with Préau's rules.

- The authorization endpoint sends a visitor to Préau's sign-in page (``LOGIN_URL``), then
  through their required actions (charter, new password, first connection…) before any code
  is issued: :func:`preau.activation.selectors.required_actions_pending` is asked on every
  request, GET and POST. With ``prompt=none`` the client gets ``interaction_required`` instead.
- Only ``S256`` PKCE challenges are accepted (``plain`` gets ``invalid_request`` before the
  consent page).
- A first-party service (``skip_authorization``, set by the operator) gets its code at once;
  any other shows the consent page in French, remembered while a token of the same scopes
  lives (``prompt=consent`` asks again, ``prompt=none`` answers ``consent_required``).
- ``max_age`` and ``prompt=login``: a session opened longer ago than the client allows (or any
  session, for ``prompt=login``) signs in again before a code is issued, GET and POST; the
  request comes back with a signed ``preau_reauth`` stamp of when it was asked, so that the new
  sign-in satisfies it (``max_age=0`` included) and skipping the sign-in page does not. With
  ``prompt=none``: ``login_required``. A visitor without a session signs in once. The ID token's
  ``auth_time`` is the sign-in of the session that approved the code, carried by the code and
  its refresh tokens.
- RP-initiated logout signs the person out through Préau's own sign-out (audit, session
  records) and returns only to a registered ``post_logout_redirect_uri``.

The other endpoints (discovery, JWKS, token, userinfo, revocation) are django-oauth-toolkit's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, RPInitiatedLogoutView, UserInfoView
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from preau.activation.selectors import required_actions_pending
from preau.directory.selectors import establishment_current
from preau.signin.services import signout
from preau.signin.timeouts import SIGNED_IN_AT
from preau.sso.oidc.selectors import client_refusal
from preau.sso.oidc.services import authorization_deny_record, authorization_record
from preau.sso.oidc.validators import SIGNED_IN_AT as CODE_SIGNED_IN_AT

S256 = "S256"


def _prompt(request: HttpRequest) -> set[str]:
    return set(request.GET.get("prompt", "").split())


def _signed_in_at(request: HttpRequest) -> dt.datetime | None:
    """When the person signed in to this session (preau.signin.timeouts), None if unknown."""
    stamp = request.session.get(SIGNED_IN_AT)
    if not stamp:
        return None
    return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)


def _max_age(request: HttpRequest) -> int | None:
    """The client's ``max_age`` in seconds; None when absent; -1 when it is not a number."""
    raw = request.GET.get("max_age")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()):
        return -1
    raw = raw.lstrip("0") or "0"
    return int(raw) if len(raw) <= 9 else 10**9  # thirty years and more: no limit


# The stamp an authorization request carries back from the sign-in page it was sent to for
# ``max_age`` or ``prompt=login``: when it was sent, signed. A sign-in after that time
# satisfies the request; the stamp is good for the time it takes to sign in.
REAUTH_PARAM = "preau_reauth"
_REAUTH_SALT = "preau.sso.oidc.reauth"
_REAUTH_SECONDS = 15 * 60


def _signed_in_again(request: HttpRequest) -> bool:
    """The person signed in after this request sent them to the sign-in page."""
    stamp = request.GET.get(REAUTH_PARAM)
    signed_in_at = _signed_in_at(request)
    if not stamp or signed_in_at is None:
        return False
    try:
        asked_at = float(signing.loads(stamp, salt=_REAUTH_SALT, max_age=_REAUTH_SECONDS))
    except (signing.BadSignature, TypeError, ValueError):
        return False
    return signed_in_at.timestamp() >= asked_at


class AuthorizeView(AuthorizationView):
    template_name = "oidc/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prompt = _prompt(request)
        if not request.user.is_authenticated and (
            _max_age(request) is not None or "login" in prompt
        ):
            # The sign-in about to be made satisfies max_age (0 included) and prompt=login:
            # the request goes to the sign-in page stamped, so that it is not asked twice.
            answer = self._reauthentication(request, prompt)
            if answer is not None:
                return answer
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prompt = _prompt(request)
        again = self._reauthentication(request, prompt)
        if again is not None:
            return again
        if "login" in prompt:
            # Satisfied above: django-oauth-toolkit would send the person to sign in again.
            query = request.GET.copy()
            if prompt - {"login"}:
                query["prompt"] = " ".join(sorted(prompt - {"login"}))
            else:
                query.pop("prompt")
            request.GET = query  # type: ignore[assignment]
        if required_actions_pending(request.user, request.session):
            if "none" in prompt:
                return self._silent_error(request, "interaction_required")
            # The journey comes back here when it ends (its ``next``).
            target = (
                reverse("activation:continue") + "?" + urlencode({"next": request.get_full_path()})
            )
            return HttpResponseRedirect(target)
        refused = self._refusal(request, request.GET.get("client_id"))
        if refused is not None:
            return refused
        if "consent" in prompt:
            query = request.GET.copy()
            query["approval_prompt"] = "force"
            request.GET = query  # type: ignore[assignment]
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The consent form posts to the request's own address: its max_age still holds.
        again = self._reauthentication(request, _prompt(request))
        if again is not None:
            return again
        if required_actions_pending(request.user, request.session):
            return HttpResponseRedirect(reverse("activation:continue"))
        refused = self._refusal(request, request.POST.get("client_id"))
        if refused is not None:
            return refused
        return super().post(request, *args, **kwargs)

    def _reauthentication(self, request: HttpRequest, prompt: set[str]) -> HttpResponse | None:
        """The answer when the client wants a more recent sign-in than this session's
        (``max_age`` exceeded, or ``prompt=login``: OpenID Connect Core §3.1.2.1); None when
        the sign-in is recent enough."""
        max_age = _max_age(request)
        if max_age is not None and max_age < 0:
            return self._silent_error(request, "invalid_request")
        wants_login = "login" in prompt
        if max_age is None and not wants_login:
            return None
        if _signed_in_again(request):
            return None
        signed_in_at = _signed_in_at(request)
        if (
            not wants_login
            and max_age is not None
            and signed_in_at is not None
            and timezone.now() - signed_in_at <= dt.timedelta(seconds=max_age)
        ):
            return None
        if "none" in prompt:
            return self._silent_error(request, "login_required")
        query = request.GET.copy()
        query[REAUTH_PARAM] = signing.dumps(timezone.now().timestamp(), salt=_REAUTH_SALT)
        target = request.path + "?" + query.urlencode()
        return redirect_to_login(target, resolve_url(self.get_login_url()))

    def _refusal(self, request: HttpRequest, client_id: str | None) -> HttpResponse | None:
        """A page saying the service is not open to this person (its portal service's
        profiles and establishments), as the CAS server says it; never a redirection."""
        application = get_application_model().objects.filter(client_id=client_id or "").first()
        if application is None:
            return None  # django-oauth-toolkit answers an unknown client
        reason = client_refusal(account=request.user, application=application)  # type: ignore[arg-type]
        if not reason:
            return None
        return render(
            request,
            "oidc/refused.html",
            {"application": application, "reason": reason},
            status=403,
        )

    def validate_authorization_request(self, request: HttpRequest) -> tuple[Any, Any]:
        """oauthlib's checks, then PKCE with S256 only (RFC 9700: ``plain`` protects nothing
        against an attacker who reads the authorization request)."""
        scopes, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge_method") != S256:
            raise OAuthToolkitError(
                error=oauthlib_errors.InvalidRequestError(
                    description="PKCE with code_challenge_method=S256 is required.",
                    state=credentials.get("state"),
                ),
                redirect_uri=credentials.get("redirect_uri"),
            )
        return scopes, credentials

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> tuple[str, dict[str, Any], Any, int]:
        """Issue the code (django-oauth-toolkit) and record it, in one transaction."""
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        account: Any = request.user
        # The code carries the sign-in of this session (preau.sso.oidc.validators).
        credentials = {**credentials, CODE_SIGNED_IN_AT: _signed_in_at(request)}
        try:
            with transaction.atomic():
                response = super().create_authorization_response(
                    request, scopes, credentials, allow
                )
                if "code" not in parse_qs(urlsplit(response[0] or "").query):
                    # oauthlib answered with an error at the redirect URI: no code issued.
                    return response
                if request.method == "POST":
                    consent = "given"
                elif application.skip_authorization:
                    consent = "skipped"
                else:
                    consent = "remembered"
                authorization_record(
                    actor=account,
                    application=application,
                    scopes=scopes.split() if scopes else [],
                    establishment=establishment_current(account=account, session=request.session),
                    request=request,
                    consent=consent,
                )
        except OAuthToolkitError as error:
            if isinstance(error.oauthlib_error, oauthlib_errors.AccessDeniedError):
                authorization_deny_record(actor=account, application=application, request=request)
            raise
        return response

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if "none" in _prompt(self.request) and "form" in context and not context.get("error"):
            # prompt=none: the consent page may not be shown.
            return self._error_redirect(
                context["redirect_uri"], "consent_required", context.get("state")
            )
        return super().render_to_response(context, **response_kwargs)

    def _silent_error(self, request: HttpRequest, error: str) -> HttpResponse:
        """Answer a ``prompt=none`` request that would need the person with ``error`` at its
        (validated) redirect URI."""
        try:
            _scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as exc:
            return self.error_response(exc, application=None)
        return self._error_redirect(credentials["redirect_uri"], error, credentials.get("state"))

    def _error_redirect(self, redirect_uri: str, error: str, state: str | None) -> HttpResponse:
        params = [("error", error)]
        if state:
            params.append(("state", state))
        return OAuth2ResponseRedirect(
            add_params_to_uri(redirect_uri, params), oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
        )


class LogoutView(RPInitiatedLogoutView):
    template_name = "oidc/logout.html"

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        user = token_user
        if self.request.user.is_authenticated:
            user = user or self.request.user
            # Préau's sign-out: the audit event, the session record, whatever else signing
            # out does. django-oauth-toolkit then deletes the person's tokens.
            signout(request=self.request)
        return super().do_logout(application, post_logout_redirect_uri, state, token_user=user)


class UserInfoEndpointView(UserInfoView):
    """django-oauth-toolkit's userinfo endpoint, refusing an access token in the query string
    (RFC 6750 §5.3, RFC 9700 §4.3.2: it would end up in logs and histories)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "access_token" in request.GET:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Send the access token in the Authorization header.",
                },
                status=400,
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return response
        return super().dispatch(request, *args, **kwargs)
