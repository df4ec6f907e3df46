"""django-oauth-toolkit's request validator, with Préau's claims and account states."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from preau.sso.oidc.claims import SUPPORTED_CLAIMS, claims_for
from preau.sso.oidc.services import code_redeemed_record, code_replay_revoke, subject_ensure


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
        )

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid:
            # A code exchanged before: whoever replays it may have stolen it.
            code_replay_revoke(code=code, application=client)
            return False
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
        )

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return bool(valid) and _usable(request.user)

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
