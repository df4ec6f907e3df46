"""Attributes released to a service, by the preset chosen in the registry.

PRONOTE (what PRONOTE's CAS delegation reads to recognise a person):
``nom``, ``prenom``, ``dateNaissance`` (dd/mm/yyyy), ``codePostal``, ``categories``
(``National_1`` élève, ``National_2`` responsable, ``National_3`` enseignant, ``National_4``
personnel; one value per profile).

Generic: ``uid`` (the identifier), ``givenName``, ``sn``, ``displayName``, ``profile`` (one
value per profile), ``uai``, ``classes``, ``mail``, and for a guardian ``enfants``: one value
per confirmed child, ``identifiant$nom$prénom$UAI`` (the child's identifier, the ``user`` the
child's own tickets carry; ``$`` separates the parts as in the SDET's multi-part attributes).

Profiles, UAI, classes and children are those of the ticket's establishment (the person's
current one for the service); an attribute without a value is left out. A guardian's
membership counts only where they have a confirmed child (see
:func:`preau.directory.selectors.memberships_seen`): a child the school's files gave them and
they have not confirmed, or refused, shows nothing, neither the child nor its school.
"""

from __future__ import annotations

from preau.directory.models import Account, Membership
from preau.directory.selectors import children_confirmed, memberships_seen

PRONOTE = "pronote"
GENERIC = "generic"

PRONOTE_CATEGORIES: dict[str, str] = {
    Membership.Profile.STUDENT: "National_1",
    Membership.Profile.GUARDIAN: "National_2",
    Membership.Profile.TEACHER: "National_3",
    Membership.Profile.STAFF: "National_4",
}
# Attributes that may hold several values (a JSON list even with one value).
MULTI_VALUED = frozenset({"categories", "profile", "classes", "uai", "enfants"})

Attributes = dict[str, list[str]]
# (establishment id, profile, UAI, class code or None): one row per class of each current
# membership, read in one query (see membership_rows).
MembershipRow = tuple[int, str, str, str | None]


def membership_rows(account: Account) -> list[MembershipRow]:
    """The account's current memberships services see, with their classes, in one query."""
    return list(
        memberships_seen(account)
        .order_by("establishment_id", "profile", "classes__code")
        .values_list("establishment_id", "profile", "establishment__uai", "classes__code")
    )


def _unique(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def _children(account: Account, here: list[MembershipRow]) -> list[str]:
    """``enfants`` of a guardian in the establishments of ``here`` (no query for others)."""
    if not any(row[1] == Membership.Profile.GUARDIAN for row in here):
        return []
    establishments = {row[0] for row in here}
    return [
        "$".join(
            (
                link.student.login,
                link.student.last_name,
                link.student.first_name,
                link.establishment.uai,
            )
        )
        for link in children_confirmed(account)
        if link.establishment_id in establishments
    ]


def attributes_release(
    account: Account, preset: str, establishment_id: int | None, rows: list[MembershipRow]
) -> Attributes:
    """The attributes of ``preset`` for ``account``, about ``establishment_id`` when the person
    belongs to it (else about all their memberships)."""
    here = [r for r in rows if r[0] == establishment_id] or rows
    if preset == PRONOTE:
        attributes: Attributes = {
            "nom": [account.last_name],
            "prenom": [account.first_name],
            "dateNaissance": [account.birth_date.strftime("%d/%m/%Y")]
            if account.birth_date
            else [],
            "codePostal": [account.postal_code],
            "categories": _unique([PRONOTE_CATEGORIES.get(r[1], "") for r in here]),
        }
    else:
        attributes = {
            "uid": [account.login],
            "givenName": [account.first_name],
            "sn": [account.last_name],
            "displayName": [account.get_full_name()],
            "profile": _unique([r[1] for r in here]),
            "uai": _unique([r[2] for r in here]),
            "classes": _unique([r[3] or "" for r in here]),
            "mail": [account.email],
            "enfants": _children(account, here),
        }
    return {name: values for name, values in attributes.items() if any(values)}
