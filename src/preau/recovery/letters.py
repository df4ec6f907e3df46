"""One person's credential letter, for a code the school has just issued (console).

The letter is the same page as the provisioning's print runs (``preau.provisioning.letters``):
identity, profiles, classes or children in this establishment, the identifier, the new code
and its deadline, the steps of the first connection.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from preau.conf import preau_setting
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.provisioning.letters import (
    Child,
    Letter,
    LetterContext,
    letter_journeys,
    letters_render,
)


def _current(prefix: str = "") -> Q:
    return Q(**{f"{prefix}end_date__isnull": True}) | Q(
        **{f"{prefix}end_date__gt": timezone.localdate()}
    )


def _classes(account_ids: list[int], establishment: Establishment) -> dict[int, list[str]]:
    year = (
        SchoolClass.objects.filter(establishment=establishment)
        .order_by("-school_year")
        .values_list("school_year", flat=True)
        .first()
    )
    found: dict[int, list[str]] = {pk: [] for pk in account_ids}
    if year is None:
        return found
    rows = (
        Membership.classes.through.objects.filter(
            membership__account_id__in=account_ids,
            membership__establishment=establishment,
            membership__profile=Membership.Profile.STUDENT,
            schoolclass__school_year=year,
        )
        .filter(
            Q(membership__end_date__isnull=True) | Q(membership__end_date__gt=timezone.localdate())
        )
        .order_by("schoolclass__code")
        .values_list("membership__account_id", "schoolclass__code")
    )
    for account_id, code in rows:
        found[account_id].append(code)
    return found


def account_letter_pdf(*, account: Account, establishment: Establishment, code: str) -> bytes:
    """The PDF (one A4 page) of ``account``'s letter with the clear ``code``."""
    memberships = list(
        Membership.objects.filter(_current(), account=account, establishment=establishment)
    )
    profiles = {m.profile for m in memberships}
    labels = dict(Membership.Profile.choices)
    children = list(
        Guardianship.objects.filter(_current(), guardian=account, establishment=establishment)
        .select_related("student")
        .order_by("student__last_name", "student__first_name")
    )
    classes = _classes([account.pk, *(g.student_id for g in children)], establishment)
    letter = Letter(
        login=account.login,
        first_name=account.first_name,
        last_name=account.last_name,
        profiles=tuple(str(labels[p]) for p in labels if p in profiles),
        classes=tuple(classes[account.pk]) if Membership.Profile.STUDENT in profiles else (),
        children=tuple(
            Child(name=g.student.get_full_name(), classes=tuple(classes[g.student_id]))
            for g in children
        ),
        function=next((m.function for m in memberships if m.function), ""),
        is_guardian=Membership.Profile.GUARDIAN in profiles
        and Membership.Profile.STUDENT not in profiles,
        code=code,
        expires_at=account.activation_expires_at,
        journey=letter_journeys([account.pk])[account.pk],
    )
    public_url = str(preau_setting("PUBLIC_URL")).rstrip("/")
    context = LetterContext(
        ent_name=str(preau_setting("ENT_NAME")),
        establishment_name=establishment.name,
        uai=establishment.uai,
        city=establishment.city,
        public_url=public_url,
        signin_url=public_url + reverse("signin:login"),
        help_text=str(preau_setting("HELP_TEXT")),
        printed_on=timezone.now(),
    )
    return letters_render(context=context, letters=[letter])
