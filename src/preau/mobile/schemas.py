"""The mobile API's bodies and answers (pydantic, through django-ninja): the OpenAPI schema at
``/api/mobile/v1/openapi.json`` is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

Platform = Literal["android", "ios", "other"]

# What a person or an app types: no control character (a NUL byte is refused by PostgreSQL's
# text columns; none belongs in a name, an identifier, a code or a token).
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def text(max_length: int, description: str = "") -> Any:
    """A required string field of at most ``max_length`` characters, without control ones."""
    return Field(min_length=1, max_length=max_length, pattern=NO_CONTROL, description=description)


class ErrorOut(Schema):
    error: str = Field(description="Code stable de l’erreur (voir docs/mobile.md).")
    message: str = Field(description="Message en français, à montrer à la personne.")


class _DeviceIn(Schema):
    device_name: str = text(80, "Nom de l’appareil")
    platform: Platform


class ActivationIn(_DeviceIn):
    identifier: str = text(32)
    code: str = text(32)


class PairingIn(_DeviceIn):
    identifier: str = text(32)
    token: str = text(128, "Jeton déchiffré avec le PIN")


class RefreshIn(Schema):
    refresh_token: str = text(128)


class TokenOut(Schema):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    device_id: int


class EstablishmentOut(Schema):
    uai: str
    name: str


class MembershipOut(Schema):
    establishment: EstablishmentOut
    profile: str
    profile_label: str
    classes: list[str]


class ChildOut(Schema):
    first_name: str
    last_name: str
    establishment: EstablishmentOut
    classes: list[str]


class MeOut(Schema):
    login: str
    first_name: str
    last_name: str
    memberships: list[MembershipOut]
    establishments: list[EstablishmentOut]
    children: list[ChildOut]


class ServiceOut(Schema):
    name: str
    slug: str
    description: str
    icon: str
    url: str


class ServiceGroupOut(Schema):
    category: str
    services: list[ServiceOut]


class WebLinkIn(Schema):
    service: str = text(2000, "Adresse du service CAS")


class WebLinkOut(Schema):
    url: str
    expires_in: int


class PreferencesIn(Schema):
    from_establishment: bool
    from_partners: bool
    sms: bool


class PreferencesOut(PreferencesIn):
    pass
