"""Attributes released to a service, by the preset chosen in the registry.

PRONOTE (what PRONOTE's CAS delegation reads to recognise a person):
``nom``, ``prenom``, ``dateNaissance`` (dd/mm/yyyy), ``codePostal``, ``categories``
(``National_1`` élève, ``National_2`` responsable, ``National_3`` enseignant, ``National_4``
personnel; one value per profile).

Generic: ``uid`` (the identifier), ``givenName``, ``sn``, ``displayName``, ``profile`` (one
value per profile), ``uai``, ``classes``, ``mail``.

Profiles, UAI and classes are those of the ticket's establishment (the person's current one
for the service); an attribute without a value is left out.
"""

from __future__ import annotations

from django.utils import timezone

from preau.directory.models import Account, Membership

PRONOTE = "pronote"
GENERIC = "generic"

PRONOTE_CATEGORIES = {
    Membership.Profile.STUDENT: "National_1",
    Membership.Profile.GUARDIAN: "National_2",
    Membership.Profile.TEACHER: "National_3",
    Membership.Profile.STAFF: "National_4",
}
# Attributes that may hold several values (a JSON list even with one value).
MULTI_VALUED = frozenset({"categories", "profile", "classes", "uai"})

Attributes = dict[str, list[str]]


def _memberships(account: Account, establishment_id: int | None) -> list[Membership]:
    today = timezone.localdate()
    memberships = [
        m
        for m in Membership.objects.filter(account=account)
        .select_related("establishment")
        .prefetch_related("classes")
        .order_by("establishment_id", "profile")
        if m.end_date is None or m.end_date > today
    ]
    if establishment_id is not None:
        here = [m for m in memberships if m.establishment_id == establishment_id]
        return here or memberships
    return memberships


def _unique(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def attributes_release(account: Account, preset: str, establishment_id: int | None) -> Attributes:
    memberships = _memberships(account, establishment_id)
    if preset == PRONOTE:
        attributes: Attributes = {
            "nom": [account.last_name],
            "prenom": [account.first_name],
            "dateNaissance": [account.birth_date.strftime("%d/%m/%Y")]
            if account.birth_date
            else [],
            "codePostal": [account.postal_code],
            "categories": _unique(
                [PRONOTE_CATEGORIES.get(Membership.Profile(m.profile), "") for m in memberships]
            ),
        }
    else:
        attributes = {
            "uid": [account.login],
            "givenName": [account.first_name],
            "sn": [account.last_name],
            "displayName": [account.get_full_name()],
            "profile": _unique([m.profile for m in memberships]),
            "uai": _unique([m.establishment.uai for m in memberships]),
            "classes": _unique([c.code for m in memberships for c in m.classes.all()]),
            "mail": [account.email],
        }
    return {name: values for name, values in attributes.items() if any(values)}
