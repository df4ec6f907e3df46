"""A guardian's answer about a child the school's files gave them ("Rattacher des élèves").

An import links a child to a guardian whose account is already active as ``PENDING`` (see
:class:`~preau.directory.models.Guardianship`): nothing of the child is shown to the guardian
or to the services until the guardian types the child's birth date. These are the only writes
of ``Guardianship.confirmation``:

- :func:`guardianship_confirm`: the right date confirms the link; a wrong one counts, and the
  :data:`MAX_FAILURES`-th freezes it (``FROZEN``: no answer is checked any more, the school
  is asked to check, :data:`~preau.directory.signals.guardianship_frozen`);
- :func:`guardianship_refuse`: "Je ne suis pas responsable légal de cet élève" (``REFUSED``,
  :data:`~preau.directory.signals.guardianship_refused`);
- :func:`guardianship_school_decide`: the school's answer to a frozen or refused link, from
  the console's help queue (the link stands, the guardian may answer again, or it ends).

Only the guardian of the link acts on it, and only on a current ``PENDING`` link. Each
function runs in one transaction with the link locked, and writes its audit events. Guessing
is also slowed per account and per address by the callers above the directory (the throttle
is the sign-in's: :func:`preau.activation.children.child_birth_date_confirm`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.directory.models import Account, Establishment, Guardianship
from preau.directory.scope import ConsoleAction, scope_check
from preau.directory.signals import guardianship_frozen, guardianship_refused

# Wrong birth dates one link takes before it is frozen (issue 14: "three times").
MAX_FAILURES = 3


class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    FROZEN = "frozen"
    # The link is not (or no longer) waiting for an answer: confirmed, frozen or refused.
    NOT_PENDING = "not_pending"
    # The school gave no birth date for the child: only the school can confirm the link.
    NO_BIRTH_DATE = "no_birth_date"


@dataclass(frozen=True)
class ConfirmResult:
    outcome: ConfirmOutcome
    guardianship: Guardianship
    # WRONG: how many more wrong dates the link takes before it is frozen.
    tries_left: int = 0


def _link_locked(guardian: Account, guardianship_id: int) -> Guardianship:
    """The current link ``guardianship_id`` of ``guardian``, row-locked; ``PermissionDenied``
    for anyone else's link (or an ended or unknown one)."""
    link = (
        Guardianship.objects.current()
        .select_for_update(of=("self",))
        .select_related("student", "establishment")
        .filter(pk=guardianship_id, guardian=guardian)
        .first()
    )
    if link is None:
        raise PermissionDenied("not a current guardianship of this account")
    return link


def _audit_data(link: Guardianship, **extra: object) -> dict[str, object]:
    return {"guardianship": link.pk, "student": link.student.login, **extra}


def birth_date_check(answer: date) -> None:
    """A date no child can have (in the future) is a typing error, not a guess: refused with
    a French message, never counted."""
    if answer > timezone.localdate():
        raise ValidationError(_("Cette date est dans le futur : vérifiez l'année."), code="future")


def guardianship_confirm(
    *,
    guardian: Account,
    guardianship_id: int,
    birth_date: date,
    request: HttpRequest | None = None,
) -> ConfirmResult:
    """Check the child's birth date typed by ``guardian`` for their pending link.

    Right: ``CONFIRMED`` (the failures forgotten). Wrong: counted on the link; at
    :data:`MAX_FAILURES` the link is ``FROZEN`` and the school told. A future date raises
    ``ValidationError`` (not counted); someone else's link, ``PermissionDenied``.
    """
    birth_date_check(birth_date)
    with transaction.atomic():
        link = _link_locked(guardian, guardianship_id)
        if link.confirmation != Guardianship.Confirmation.PENDING:
            return ConfirmResult(ConfirmOutcome.NOT_PENDING, link)
        if link.student.birth_date is None:
            return ConfirmResult(ConfirmOutcome.NO_BIRTH_DATE, link)
        now = timezone.now()
        if birth_date == link.student.birth_date:
            link.confirmation = Guardianship.Confirmation.CONFIRMED
            link.confirmation_failures = 0
            link.confirmation_changed_at = now
            link.save(
                update_fields=[
                    "confirmation",
                    "confirmation_failures",
                    "confirmation_changed_at",
                    "updated_at",
                ]
            )
            audit_record(
                action="guardianship.confirm",
                actor=guardian,
                target=guardian,
                establishment=link.establishment,
                request=request,
                data=_audit_data(link),
            )
            return ConfirmResult(ConfirmOutcome.CONFIRMED, link)
        return _failure(guardian=guardian, link=link, now=now, request=request)


def _failure(
    *, guardian: Account, link: Guardianship, now: datetime, request: HttpRequest | None
) -> ConfirmResult:
    """A wrong date (in :func:`guardianship_confirm`'s transaction, the link locked)."""
    link.confirmation_failures += 1
    failures = link.confirmation_failures
    fields = ["confirmation_failures", "updated_at"]
    if failures >= MAX_FAILURES:
        link.confirmation = Guardianship.Confirmation.FROZEN
        link.confirmation_changed_at = now
        fields += ["confirmation", "confirmation_changed_at"]
    link.save(update_fields=fields)
    audit_record(
        action="guardianship.confirm_failure",
        actor=guardian,
        target=guardian,
        establishment=link.establishment,
        request=request,
        data=_audit_data(link, failures=failures),
    )
    if link.confirmation != Guardianship.Confirmation.FROZEN:
        return ConfirmResult(ConfirmOutcome.WRONG, link, tries_left=MAX_FAILURES - failures)
    audit_record(
        action="guardianship.freeze",
        actor=guardian,
        target=guardian,
        establishment=link.establishment,
        request=request,
        data=_audit_data(link, failures=failures),
    )
    guardianship_frozen.send(
        sender=Guardianship, guardianship=link, failures=failures, request=request
    )
    return ConfirmResult(ConfirmOutcome.FROZEN, link)


def guardianship_refuse(
    *, guardian: Account, guardianship_id: int, request: HttpRequest | None = None
) -> bool:
    """ "Je ne suis pas responsable légal de cet élève": the pending link is ``REFUSED``, shown
    nowhere any more, and the school told. False when the link was not pending (refused
    already, confirmed or frozen: nothing changes); ``PermissionDenied`` for anyone else's."""
    with transaction.atomic():
        link = _link_locked(guardian, guardianship_id)
        if link.confirmation != Guardianship.Confirmation.PENDING:
            return False
        link.confirmation = Guardianship.Confirmation.REFUSED
        link.confirmation_changed_at = timezone.now()
        link.save(update_fields=["confirmation", "confirmation_changed_at", "updated_at"])
        audit_record(
            action="guardianship.refuse",
            actor=guardian,
            target=guardian,
            establishment=link.establishment,
            request=request,
            data=_audit_data(link),
        )
        guardianship_refused.send(sender=Guardianship, guardianship=link, request=request)
    return True


class SchoolDecision(enum.StrEnum):
    """What a school decides about a frozen or refused link, once it has checked."""

    CONFIRM = "confirm"  # the guardian is the child's: the link stands (frozen links only)
    REOPEN = "reopen"  # the guardian may answer again (wrong dates forgotten)
    END = "end"  # the person is not the child's guardian: the link ends


# Which decision each state of a link admits: a school never confirms a link the guardian
# refused (the guardian said the child is not theirs; the school may let them answer again).
SCHOOL_DECISIONS = {
    Guardianship.Confirmation.FROZEN: (
        SchoolDecision.CONFIRM,
        SchoolDecision.REOPEN,
        SchoolDecision.END,
    ),
    Guardianship.Confirmation.REFUSED: (SchoolDecision.REOPEN, SchoolDecision.END),
}


def guardianship_school_decide(
    *,
    actor: Account,
    establishment: Establishment,
    guardianship_id: int,
    decision: str,
    request: HttpRequest | None = None,
) -> Guardianship:
    """The school's answer to a frozen or refused link of one of its pupils (the scope rule
    on the child, :attr:`ConsoleAction.CHILD_LINK`). ``ValidationError`` (French) when the
    link does not admit ``decision`` (it was answered meanwhile); ``PermissionDenied`` for a
    link of another establishment or a pupil out of the actor's reach."""
    with transaction.atomic():
        link = (
            Guardianship.objects.current()
            .select_for_update(of=("self",))
            .select_related("student", "guardian")
            .filter(pk=guardianship_id, establishment=establishment)
            .first()
        )
        if link is None:
            raise PermissionDenied("not a current guardianship of this establishment")
        scope_check(
            actor=actor,
            account=link.student,
            establishment=establishment,
            action=ConsoleAction.CHILD_LINK,
        )
        allowed = SCHOOL_DECISIONS.get(Guardianship.Confirmation(link.confirmation), ())
        if decision not in allowed:
            raise ValidationError(
                _("Ce rattachement n'attend plus de décision de l'établissement."),
                code="not_waiting",
            )
        previous = link.confirmation
        now = timezone.now()
        if decision == SchoolDecision.END:
            link.end_date = timezone.localdate()
        else:
            link.confirmation = (
                Guardianship.Confirmation.CONFIRMED
                if decision == SchoolDecision.CONFIRM
                else Guardianship.Confirmation.PENDING
            )
            link.confirmation_failures = 0
        link.confirmation_changed_at = now
        link.save(
            update_fields=[
                "end_date",
                "confirmation",
                "confirmation_failures",
                "confirmation_changed_at",
                "updated_at",
            ]
        )
        action = (
            "guardianship.end"
            if decision == SchoolDecision.END
            else "guardianship.school_confirm"
            if decision == SchoolDecision.CONFIRM
            else "guardianship.reopen"
        )
        audit_record(
            action=action,
            actor=actor,
            target=link.guardian,
            establishment=establishment,
            request=request,
            data=_audit_data(link, previous=previous),
        )
    return link
