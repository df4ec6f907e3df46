"""django-oauth-toolkit's request validator, with Préau's claims and account states."""

from __future__ import annotations

import datetime as dt
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from preau.sso.oidc.claims import SUPPORTED_CLAIMS, claims_for
from preau.sso.oidc.selectors import code_signed_in_at
from preau.sso.oidc.services import (
    code_redeemed_record,
    code_replay_revoke,
    code_sign_in_record,
    refresh_signed_in_at,
    subject_ensure,
)

# Where the authorization view puts the approving session's sign-in time for oauthlib's
# request (a credential of the authorization response), and where the token endpoint keeps the
# sign-in a code or a refresh token carries.
SIGNED_IN_AT = "preau_signed_in_at"


def _signed_in_at(request: Any) -> dt.datetime | None:
    """The sign-in time set on oauthlib's request by Préau (never a parameter of the same
    name: oauthlib's request answers unknown attributes from the client's parameters)."""
    value = vars(request).get(SIGNED_IN_AT)
    return value if isinstance(value, dt.datetime) else None


def _usable(user: Any) -> bool:
    """A deactivated account gets no token and its tokens stop working."""
    return user is not None and bool(getattr(user, "is_active", False))


class PreauOAuth2Validator(OAuth2Validator):
    # Claims are chosen by scope in preau.sso.oidc.claims, not by this table.
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        return {}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(SUPPORTED_CLAIMS)

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        """The claims of the ID token and of the userinfo response, for the scopes granted."""
        subject = subject_ensure(account=request.user, application=request.client)
        return claims_for(
            account=request.user,
            scopes=request.scopes,
            sub=subject.sub,
            establishment_id=subject.establishment_id,
            child_sub=lambda child: subject_ensure(account=child, application=request.client).sub,
        )

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> Any:
        """django-oauth-toolkit's claims, with ``auth_time`` the sign-in of the session that
        approved the code (django-oauth-toolkit puts the account's last sign-in, which may be
        another device's since): a client that asked for ``max_age`` checks it."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        signed_in_at = _signed_in_at(request)
        if signed_in_at is not None:
            claims["auth_time"] = int(signed_in_at.timestamp())
        return claims, expiration_time

    def save_authorization_code(
        self, client_id: str, code: Any, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        code_sign_in_record(
            code=code["code"],
            application=request.client,
            signed_in_at=_signed_in_at(request),
        )

    def refresh_id_token(self, request: Any) -> bool:
        """A refresh gives a new ID token only when the sign-in it tells is known (a family
        from before Préau recorded it gets none rather than a wrong ``auth_time``; OpenID
        Connect Core §12.2 lets the response leave it out)."""
        return _signed_in_at(request) is not None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid:
            # A code exchanged before: whoever replays it may have stolen it.
            code_replay_revoke(code=code, application=client)
            return False
        setattr(request, SIGNED_IN_AT, code_signed_in_at(code=code, application=client))
        return _usable(request.user)

    def save_bearer_token(self, token: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        request.preau_issued = (token.get("access_token", ""), token.get("refresh_token", ""))
        return saved

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        access_token, refresh_token = getattr(request, "preau_issued", ("", ""))
        code_redeemed_record(
            code=code,
            application=request.client,
            account=request.user,
            access_token=access_token,
            refresh_token=refresh_token,
            signed_in_at=_signed_in_at(request),
        )

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not valid or not _usable(request.user):
            return False
        # The ID token of a refresh tells the sign-in of the code that started the family.
        instance = getattr(request, "refresh_token_instance", None)
        family = getattr(instance, "token_family", None)
        setattr(request, SIGNED_IN_AT, refresh_signed_in_at(token_family=family))
        return True

    def validate_bearer_token(self, token: str, scopes: Any, request: Any) -> bool:
        valid = super().validate_bearer_token(token, scopes, request)
        if valid and not _usable(request.user):
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The account is deactivated.",
            }
            return False
        return bool(valid)

    # prompt=none: the authorization view decides. It is only reached by a signed-in person
    # (else login_required), answers interaction_required when required actions are pending,
    # and consent_required instead of showing the consent page.
    def validate_silent_login(self, request: Any) -> bool:
        return True

    def validate_silent_authorization(self, request: Any) -> bool:
        return True
