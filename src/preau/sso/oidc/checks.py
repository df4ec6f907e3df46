"""``manage.py check``: the issuer django-oauth-toolkit publishes is Préau's PUBLIC_URL."""

from __future__ import annotations

from typing import Any

from django.core import checks


def issuer() -> str:
    """The provider's issuer: ``PREAU["PUBLIC_URL"]`` without its trailing slash."""
    from preau.conf import preau_setting

    return str(preau_setting("PUBLIC_URL")).rstrip("/")


@checks.register()
def check_oidc_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from oauth2_provider.settings import oauth2_settings

    errors: list[Any] = []
    if oauth2_settings.OIDC_ISS_ENDPOINT != issuer():
        errors.append(
            checks.Error(
                f"OAUTH2_PROVIDER['OIDC_ISS_ENDPOINT'] ({oauth2_settings.OIDC_ISS_ENDPOINT!r}) "
                f"must be PREAU['PUBLIC_URL'] without its trailing slash ({issuer()!r}).",
                id="preau.E601",
            )
        )
    if not oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        errors.append(
            checks.Error("OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEY'] is empty.", id="preau.E602")
        )
    return errors
