"""Activation codes and credential letters.

An activation code is the secret printed on a person's letter: it opens the first connection of
a PROVISIONED account until its deadline. Issuing a code replaces the previous one (its digest is
overwritten, so the old letter stops working), restarts the deadline, and brings a DEACTIVATED
account back to PROVISIONED: that is how a school reactivates someone. It also ends everything
the old letter may have opened: sessions, tokens, reset links, a first connection half done
(with the password chosen in it). An ACTIVE account is
never touched: its owner has a password, and a code would be a second way in.

``letters_generate`` is what ``preau letters`` and the console's button call: it picks the
people of an establishment, issues fresh codes to those still pending and renders their letters,
all in one transaction, so a failure while drawing leaves every old code valid.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.models import (
    Account,
    Establishment,
    Guardianship,
    Membership,
    SchoolClass,
    current_q,
)
from preau.directory.scope import accounts_reissue_refused
from preau.directory.transitions import accounts_reprovision
from preau.provisioning.letters import (
    Child,
    Journey,
    Letter,
    LetterContext,
    letter_journeys,
    letters_render,
)

PROFILES: dict[str, tuple[str, ...]] = {
    "student": (Membership.Profile.STUDENT,),
    "guardian": (Membership.Profile.GUARDIAN,),
    "staff": (Membership.Profile.TEACHER, Membership.Profile.STAFF),
}


class AccountAlreadyActive(ValueError):
    """An activation code was asked for an account that already has its password."""


class LettersError(ValueError):
    """A letters request that cannot be served (unknown class or profile); the message is French
    and says what to do."""


# --- Activation codes ----------------------------------------------------------------------------


def activation_codes_issue(
    *,
    actor: Account | None,
    accounts: Sequence[Account],
    establishment: Establishment | None = None,
    request: HttpRequest | None = None,
) -> dict[int, str]:
    """Give each PROVISIONED or DEACTIVATED account of ``accounts`` a fresh activation code.

    Returns ``{account id: clear code}``: the only time the clear code exists, for the caller to
    print. ACTIVE accounts are skipped (left exactly as they are). The state is read again under
    a row lock, so an account that activated meanwhile is skipped too. The given instances are
    updated in place. One transaction; one ``activation_code.issue`` audit event per account
    (``establishment`` is recorded on them when the codes are issued for one school). The
    directory's reprovision move (:func:`preau.directory.transitions.accounts_reprovision`)
    does the work, and ends every session, token, reset link and unfinished journey.
    """
    return accounts_reprovision(
        actor=actor, accounts=accounts, establishment=establishment, request=request
    )


def activation_code_issue(
    *,
    actor: Account | None,
    account: Account,
    establishment: Establishment | None = None,
    request: HttpRequest | None = None,
) -> str:
    """A fresh activation code for one pending or deactivated account (the old one dies).

    Raises :class:`AccountAlreadyActive` for an active account, which is left untouched.
    """
    codes = activation_codes_issue(
        actor=actor, accounts=[account], establishment=establishment, request=request
    )
    if account.pk not in codes:
        raise AccountAlreadyActive(
            _(
                "Le compte %(login)s est déjà activé : il n'a pas besoin de code d'activation. "
                "Si la personne a oublié son mot de passe, elle peut le réinitialiser."
            )
            % {"login": account.login}
        )
    return codes[account.pk]


# --- Letters ---------------------------------------------------------------------------------


@dataclass
class LettersResult:
    pdf: bytes
    letters: int
    codes_issued: int
    # Pending people whose letter another establishment gives (see preau.directory.scope).
    withheld: int = 0


def school_year_current(establishment: Establishment) -> int | None:
    """The establishment's current school year: the latest one its classes were imported for."""
    year: int | None = SchoolClass.objects.filter(establishment=establishment).aggregate(
        year=Max("school_year")
    )["year"]
    return year


def school_class_get(*, establishment: Establishment, code: str) -> SchoolClass:
    """The class ``code`` (any case) of the establishment's current school year, or LettersError."""
    year = school_year_current(establishment)
    code = code.strip()
    if year is None:
        raise LettersError(
            _(
                "Classe inconnue : « %(code)s ». L'établissement %(uai)s n'a encore aucune "
                "classe : importez d'abord les élèves."
            )
            % {"code": code, "uai": establishment.uai}
        )
    candidates = list(
        SchoolClass.objects.filter(establishment=establishment, school_year=year, code__iexact=code)
    )
    exact = [c for c in candidates if c.code == code]
    if exact or candidates:
        return (exact or candidates)[0]
    known = list(
        SchoolClass.objects.filter(establishment=establishment, school_year=year)
        .order_by("code")
        .values_list("code", flat=True)
    )
    known.sort(key=_natural)
    raise LettersError(
        _(
            "Classe inconnue : « %(code)s » n'est pas une classe de l'année en cours à "
            "%(uai)s. Classes connues : %(known)s."
        )
        % {"code": code, "uai": establishment.uai, "known": ", ".join(known)}
    )


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key where "6B" < "6C" and "2" < "10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _memberships_selected(
    *,
    establishment: Establishment,
    school_class: SchoolClass | None,
    profiles: tuple[str, ...] | None,
    pending_only: bool,
) -> QuerySet[Membership]:
    memberships = Membership.objects.filter(current_q(), establishment=establishment)
    if profiles:
        memberships = memberships.filter(profile__in=profiles)
    if pending_only:
        memberships = memberships.exclude(account__state=Account.State.ACTIVE)
    if school_class is not None:
        in_class = Membership.classes.through.objects.filter(
            membership_id=OuterRef("pk"), schoolclass_id=school_class.pk
        )
        # A guardian belongs to a class's pile through a child who is a current student of it.
        students_of_class = Membership.objects.filter(
            current_q(),
            establishment=establishment,
            profile=Membership.Profile.STUDENT,
            classes=school_class,
        ).values("account_id")
        child_in_class = Guardianship.objects.filter(
            current_q(),
            establishment=establishment,
            guardian_id=OuterRef("account_id"),
            student_id__in=students_of_class,
        )
        memberships = memberships.filter(
            Exists(in_class) | (Q(profile=Membership.Profile.GUARDIAN) & Exists(child_in_class))
        )
    return memberships


def _student_classes(establishment: Establishment, year: int | None) -> dict[int, list[str]]:
    """Account id → class codes of the current school year, for every current student here."""
    classes: dict[int, list[str]] = defaultdict(list)
    if year is None:
        return classes
    rows = Membership.classes.through.objects.filter(
        membership__establishment=establishment,
        membership__profile=Membership.Profile.STUDENT,
        schoolclass__school_year=year,
    ).filter(current_q("membership__"))
    for account_id, code in rows.values_list("membership__account_id", "schoolclass__code"):
        classes[account_id].append(code)
    for codes in classes.values():
        codes.sort(key=_natural)
    return classes


@dataclass
class _Recipient:
    account: Account
    profiles: set[str]
    function: str = ""


def _recipients(memberships: QuerySet[Membership]) -> list[_Recipient]:
    """One recipient per person, however many profiles they hold here."""
    by_account: dict[int, _Recipient] = {}
    rows = memberships.select_related("account").only(
        "profile",
        "function",
        "account__id",
        "account__login",
        "account__first_name",
        "account__last_name",
        "account__state",
        "account__activation_code_digest",
        "account__activation_expires_at",
        "account__deactivated_at",
        "account__updated_at",
    )
    for membership in rows:
        recipient = by_account.get(membership.account_id)
        if recipient is None:
            recipient = by_account[membership.account_id] = _Recipient(
                account=membership.account, profiles=set()
            )
        recipient.profiles.add(membership.profile)
        if membership.function and not recipient.function:
            recipient.function = membership.function
    return list(by_account.values())


def _children(
    establishment: Establishment, guardian_ids: list[int], classes: dict[int, list[str]]
) -> dict[int, list[Child]]:
    children: dict[int, list[Child]] = defaultdict(list)
    if not guardian_ids:
        return children
    guardian_memberships = Membership.objects.filter(
        current_q(), establishment=establishment, profile=Membership.Profile.GUARDIAN
    ).values("account_id")
    rows = (
        Guardianship.objects.filter(
            current_q(), establishment=establishment, guardian_id__in=guardian_memberships
        )
        .order_by("student__last_name", "student__first_name", "student_id")
        .values_list("guardian_id", "student_id", "student__first_name", "student__last_name")
    )
    wanted = set(guardian_ids)
    for guardian_id, student_id, first_name, last_name in rows:
        if guardian_id in wanted:
            children[guardian_id].append(
                Child(
                    name=f"{first_name} {last_name}".strip(),
                    classes=tuple(classes.get(student_id, ())),
                )
            )
    return children


def _profiles_chosen(profile: str | None) -> tuple[str, ...] | None:
    """The membership profiles of ``profile`` ("student", "guardian" or "staff"); None for
    everyone. Raises :class:`LettersError` for an unknown one."""
    if not profile:
        return None
    if profile not in PROFILES:
        raise LettersError(
            _("Profil inconnu : « %(profile)s ». Profils possibles : %(known)s.")
            % {"profile": profile, "known": ", ".join(PROFILES)}
        )
    return PROFILES[profile]


def _classes_and_children(
    establishment: Establishment, year: int | None, recipients: list[_Recipient]
) -> tuple[dict[int, list[str]], dict[int, list[Child]]]:
    """Each pupil's classes here, and each guardian's children here with their classes."""
    classes = _student_classes(establishment, year)
    guardian_ids = [r.account.pk for r in recipients if Membership.Profile.GUARDIAN in r.profiles]
    return classes, _children(establishment, guardian_ids, classes)


def _withheld_left_out(
    *, actor: Account | None, establishment: Establishment, recipients: list[_Recipient]
) -> tuple[list[_Recipient], set[int]]:
    """The recipients whose letter this school prints, and the ids of those it may not: a
    pending person who also belongs to another establishment that registered them first gets
    their letter from that school (see preau.directory.scope), so no code here."""
    withheld = accounts_reissue_refused(
        actor=actor,
        account_ids=[r.account.pk for r in recipients if r.account.state != Account.State.ACTIVE],
        establishment=establishment,
    )
    return [r for r in recipients if r.account.pk not in withheld], withheld


@dataclass(frozen=True)
class _LetterFacts:
    """What one print knows of everyone: classes, children, fresh codes, journeys, labels."""

    classes: dict[int, list[str]]
    children: dict[int, list[Child]]
    codes: dict[int, str]
    journeys: dict[int, Journey]
    labels: dict[str, Any]


def _letter_entry(recipient: _Recipient, shared: _LetterFacts) -> tuple[tuple[Any, ...], Letter]:
    """One person's letter, with its place in the pile: by class (a pupil's own, else their
    children's first), then name."""
    account = recipient.account
    own_classes = (
        tuple(shared.classes.get(account.pk, ()))
        if Membership.Profile.STUDENT in recipient.profiles
        else ()
    )
    kids = tuple(shared.children.get(account.pk, ()))
    code = shared.codes.get(account.pk)
    profile_order = list(shared.labels)
    letter = Letter(
        login=account.login,
        first_name=account.first_name,
        last_name=account.last_name,
        profiles=tuple(
            str(shared.labels[p]) for p in sorted(recipient.profiles, key=profile_order.index)
        ),
        classes=own_classes,
        children=kids,
        function=recipient.function,
        is_guardian=Membership.Profile.GUARDIAN in recipient.profiles
        and Membership.Profile.STUDENT not in recipient.profiles,
        code=code,
        expires_at=account.activation_expires_at if code else None,
        journey=shared.journeys.get(account.pk, Journey()),
    )
    pile = own_classes or tuple(c for kid in kids for c in kid.classes)
    first_class = min(pile, key=_natural) if pile else None
    key = (
        first_class is None,
        _natural(first_class or ""),
        account.last_name.casefold(),
        account.first_name.casefold(),
        account.login,
    )
    return key, letter


def _letters_sorted(recipients: list[_Recipient], shared: _LetterFacts) -> list[Letter]:
    """One letter per recipient, in the order a teacher hands them out."""
    entries = sorted(
        (_letter_entry(recipient, shared) for recipient in recipients),
        key=lambda entry: entry[0],
    )
    return [letter for _key, letter in entries]


def _letter_context(establishment: Establishment) -> LetterContext:
    """What every letter of the print says of the deployment and the school."""
    public_url = str(preau_setting("PUBLIC_URL")).rstrip("/")
    return LetterContext(
        ent_name=str(preau_setting("ENT_NAME")),
        establishment_name=establishment.name,
        uai=establishment.uai,
        city=establishment.city,
        public_url=public_url,
        signin_url=public_url + reverse("signin:login"),
        help_text=str(preau_setting("HELP_TEXT")),
        printed_on=timezone.now(),
    )


def letters_generate(
    *,
    actor: Account | None,
    establishment: Establishment,
    school_class: str | None = None,
    profile: str | None = None,
    pending_only: bool = False,
    request: HttpRequest | None = None,
) -> LettersResult:
    """Letters for the current members of ``establishment``, one A4 page per person.

    ``profile`` is "student", "guardian" or "staff" (teachers and other staff); ``school_class``
    a class code of the current school year (its students, its teachers and staff, and the
    guardians of its students). Accounts still pending (PROVISIONED or DEACTIVATED) get a fresh
    code, and their previous one stops working; an ACTIVE account is untouched and its letter
    carries no code (``pending_only`` leaves those letters out). Letters come sorted by class,
    then name, so that a teacher can hand them out. Raises :class:`LettersError` for an unknown
    class or profile.
    """
    profiles = _profiles_chosen(profile)
    cls = school_class_get(establishment=establishment, code=school_class) if school_class else None
    year = school_year_current(establishment)

    with transaction.atomic():
        memberships = _memberships_selected(
            establishment=establishment,
            school_class=cls,
            profiles=profiles,
            pending_only=pending_only,
        )
        recipients = _recipients(memberships)
        if not recipients:
            return LettersResult(pdf=b"", letters=0, codes_issued=0)
        classes, children = _classes_and_children(establishment, year, recipients)

        recipients, withheld = _withheld_left_out(
            actor=actor, establishment=establishment, recipients=recipients
        )
        if not recipients:
            return LettersResult(pdf=b"", letters=0, codes_issued=0, withheld=len(withheld))
        pending = [r.account for r in recipients if r.account.state != Account.State.ACTIVE]
        codes = activation_codes_issue(
            actor=actor, accounts=pending, establishment=establishment, request=request
        )

        letters = _letters_sorted(
            recipients,
            _LetterFacts(
                classes=classes,
                children=children,
                codes=codes,
                # What the first connection will ask each one, for the steps their letter lists.
                journeys=letter_journeys([account.pk for account in pending]),
                labels=dict(Membership.Profile.choices),
            ),
        )

        audit_record(
            action="letters.print",
            actor=actor,
            establishment=establishment,
            request=request,
            data={
                "letters": len(letters),
                "codes_issued": len(codes),
                "class": cls.code if cls else None,
                "profile": profile,
                "pending_only": pending_only,
                "withheld": len(withheld),
            },
        )
        # Drawn inside the transaction: if rendering fails, no code was replaced.
        pdf = letters_render(context=_letter_context(establishment), letters=letters)
    return LettersResult(
        pdf=pdf, letters=len(letters), codes_issued=len(codes), withheld=len(withheld)
    )
