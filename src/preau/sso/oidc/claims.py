"""Which claims each scope releases, for the ID token and the userinfo endpoint alike.

=========  ===================================================================================
scope      claims
=========  ===================================================================================
openid     ``sub``: pairwise and opaque, one per person and client (see models.Subject)
profile    ``name``, ``given_name``, ``family_name``, ``middle_name`` (other first names, when
           known), ``preferred_username`` (the Préau login), ``birthdate`` (YYYY-MM-DD, when
           known), ``updated_at``
email      ``email`` (when known), ``email_verified`` (the address was proven by a link)
ent        ``ent_uai`` and ``ent_establishment`` (the establishment the person was in when they
           authorized the client: the one chosen in "Mes portails"), ``ent_profiles`` (their
           profiles there: eleve, responsable, enseignant, personnel, invite), ``ent_classes``
           (class codes there, e.g. "3A"), ``ent_uais`` (every establishment they belong to)
children   ``ent_children``: a guardian's confirmed children (empty for anyone else), each an
           object with ``sub`` (the child's own pairwise ``sub`` for this client: the one the
           child's ID tokens carry), ``given_name``, ``family_name`` and ``ent_uai`` (the
           child's establishment)
=========  ===================================================================================

A guardian's establishment counts (``ent_uais``, ``ent_profiles``) only where they have at
least one confirmed child: a child the school's files gave them and they have not confirmed,
or refused, shows nothing (see :func:`preau.directory.selectors.memberships_seen`).

A claim whose value Préau does not know is left out rather than sent empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from preau.directory.models import Account
from preau.directory.selectors import (
    children_confirmed,
    establishment_current,
    memberships_current,
)
from preau.sso.oidc.scopes import CHILDREN, EMAIL, ENT, OPENID, PROFILE

CLAIMS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    OPENID: ("sub",),
    PROFILE: (
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "preferred_username",
        "birthdate",
        "updated_at",
    ),
    EMAIL: ("email", "email_verified"),
    ENT: ("ent_uai", "ent_establishment", "ent_profiles", "ent_classes", "ent_uais"),
    CHILDREN: ("ent_children",),
}
SUPPORTED_CLAIMS: list[str] = [claim for claims in CLAIMS_BY_SCOPE.values() for claim in claims]


def profile_claims(account: Account) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "name": account.get_full_name(),
        "given_name": account.first_name,
        "family_name": account.last_name,
        "preferred_username": account.login,
        "updated_at": int(account.updated_at.timestamp()),
    }
    if account.other_first_names:
        claims["middle_name"] = account.other_first_names
    if account.birth_date is not None:
        claims["birthdate"] = account.birth_date.isoformat()
    return claims


def email_claims(account: Account) -> dict[str, Any]:
    if not account.email:
        return {"email_verified": False}
    return {"email": account.email, "email_verified": account.email_verified_at is not None}


def ent_claims(account: Account, establishment_id: int | None) -> dict[str, Any]:
    """The person's profiles and classes in the establishment ``establishment_id`` (when they
    still belong to it, else in their current one), and the UAIs of all their establishments."""
    memberships = memberships_current(account)
    if not memberships:
        return {"ent_profiles": [], "ent_classes": [], "ent_uais": []}
    establishment = next(
        (m.establishment for m in memberships if m.establishment_id == establishment_id), None
    ) or establishment_current(
        account=account, establishments=[m.establishment for m in memberships]
    )
    assert establishment is not None  # noqa: S101 - there is a membership
    here = [m for m in memberships if m.establishment_id == establishment.pk]
    classes: list[str] = []
    for membership in here:
        classes.extend(c.code for c in membership.classes.all() if c.code not in classes)
    return {
        "ent_uai": establishment.uai,
        "ent_establishment": establishment.name,
        "ent_profiles": [m.profile for m in here],
        "ent_classes": classes,
        "ent_uais": list(dict.fromkeys(m.establishment.uai for m in memberships)),
    }


def children_claims(account: Account, child_sub: Callable[[Account], str]) -> dict[str, Any]:
    """The guardian's confirmed children, each known by ``child_sub(child)``: the child's
    pairwise ``sub`` for the same client."""
    return {
        "ent_children": [
            {
                "sub": child_sub(link.student),
                "given_name": link.student.first_name,
                "family_name": link.student.last_name,
                "ent_uai": link.establishment.uai,
            }
            for link in children_confirmed(account)
        ]
    }


def claims_for(
    *,
    account: Account,
    scopes: list[str] | set[str],
    sub: str,
    establishment_id: int | None = None,
    child_sub: Callable[[Account], str] | None = None,
) -> dict[str, Any]:
    """The claims released to a client granted ``scopes`` (queries only for the scopes
    granted). ``child_sub``: a child's ``sub`` for the client (the ``children`` scope)."""
    granted = set(scopes)
    # ``sub`` always: the ID token and the userinfo response must carry it.
    claims: dict[str, Any] = {"sub": sub}
    if PROFILE in granted:
        claims.update(profile_claims(account))
    if EMAIL in granted:
        claims.update(email_claims(account))
    if ENT in granted:
        claims.update(ent_claims(account, establishment_id))
    if CHILDREN in granted and child_sub is not None:
        claims.update(children_claims(account, child_sub))
    return claims
