"""The help desk: help requests to the school, and the school's actions on them and on an
account's recovery (a password change demanded, throttles lifted).

The school's side takes the acting administrator and refuses, with ``PermissionDenied``, an
account or a request outside the establishments they administer.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.codes import SCOPE_CONTACT
from preau.directory.models import Account, Establishment, Guardianship, Membership, current_q
from preau.directory.scope import ConsoleAction, scope_check
from preau.directory.selectors import establishments_administered
from preau.provisioning import reissue
from preau.recovery.models import (
    HelpRequest,
    PasswordChangeDemand,
)
from preau.recovery.requests import (
    SCOPE_PROOF_IDENTIFIER,
    SCOPE_QUERY,
)
from preau.signin.services import SCOPE_ACCOUNT as SIGNIN_SCOPE_ACCOUNT
from preau.signin.throttle import (
    throttle_check_many,
    throttle_reset,
)

# Every throttle an administrator may lift for one account, with what keys it: the account's
# identifier, its id, its e-mail address or its mobile number.
ACCOUNT_THROTTLES: tuple[tuple[str, str], ...] = (
    (SIGNIN_SCOPE_ACCOUNT, "login"),
    ("activation.birth_date.account", "pk"),
    ("activation.email_send.account", "pk"),
    ("account.password.account", "pk"),
    (SCOPE_QUERY, "password:login"),
    (SCOPE_QUERY, "password:email"),
    (SCOPE_QUERY, "password:mobile"),
    (SCOPE_QUERY, "identifier:email"),
    (SCOPE_QUERY, "identifier:mobile"),
    (SCOPE_CONTACT, "email"),
    (SCOPE_CONTACT, "mobile"),
    (SCOPE_PROOF_IDENTIFIER, "login"),
)


# --- Help requests ------------------------------------------------------------------------------


def establishments_of(account: Account) -> list[Establishment]:
    """The establishments where ``account`` has a current membership (help goes to one)."""
    return list(
        Establishment.objects.filter(
            pk__in=Membership.objects.filter(current_q(), account=account).values(
                "establishment_id"
            )
        ).order_by("name")
    )


def help_request_submit(
    *,
    account: Account,
    establishment: Establishment,
    last_name: str,
    first_name: str,
    school_class: str,
    children: str,
    delivery: str,
    email: str,
    request: HttpRequest | None = None,
) -> HelpRequest:
    """File (or update: one open request per account and school) a request for new codes."""
    if establishment.pk not in {e.pk for e in establishments_of(account)}:
        raise PermissionDenied("the account has no current membership in this establishment")
    now = timezone.now()
    values = {
        "login": account.login,
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "school_class": school_class.strip()[:50],
        "children": children.strip()[:2000],
        "delivery": delivery,
        "email": email.strip() if delivery == HelpRequest.Delivery.EMAIL else "",
        "updated_at": now,
    }
    with transaction.atomic():
        existing = _open_request_locked(account, establishment)
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(values))
            help_request = existing
            action = "help_request.update"
        else:
            help_request = HelpRequest.objects.create(
                account=account, establishment=establishment, created_at=now, **values
            )
            action = "help_request.create"
        audit_record(
            action=action,
            actor=None,
            target=account,
            establishment=establishment,
            request=request,
            data={"help_request": help_request.pk, "delivery": delivery},
        )
    return help_request


def _open_request_locked(account: Account, establishment: Establishment) -> HelpRequest | None:
    """The account's open request (new or in progress) in ``establishment``, row-locked."""
    return (
        HelpRequest.objects.select_for_update()
        .filter(
            account=account,
            establishment=establishment,
            status__in=[HelpRequest.Status.NEW, HelpRequest.Status.IN_PROGRESS],
        )
        .first()
    )


def _class_codes(account: Account, establishment: Establishment) -> str:
    """The classes of ``account``'s current memberships in ``establishment`` ("4B, Latin")."""
    codes = (
        Membership.objects.filter(current_q(), account=account, establishment=establishment)
        .values_list("classes__code", flat=True)
        .order_by("classes__code")
    )
    return ", ".join(dict.fromkeys(code for code in codes if code))


def help_request_birth_date_refused(
    *,
    account: Account,
    subject: Account,
    failures: int,
    request: HttpRequest | None = None,
) -> list[HelpRequest]:
    """Tell the school that ``account``'s first connection is blocked: the birth date (of
    ``subject``, the person or a guardian's child) was refused ``failures`` times. One request
    in each establishment where the account has a current membership (a guardian known only
    through a child: the child's), or the open one there marked with this reason. The school
    checks who the person is and hands over a new activation code (a fresh first connection).
    Called inside the transaction that blocks the step (see ``preau.recovery.receivers``)."""
    establishments = establishments_of(account) or establishments_of(subject)
    now = timezone.now()
    filed: list[HelpRequest] = []
    with transaction.atomic():
        for establishment in establishments:
            child = ""
            if subject.pk != account.pk:
                classes = _class_codes(subject, establishment)
                child = f"{subject.last_name} {subject.first_name}" + (
                    f" ({classes})" if classes else ""
                )
            existing = _open_request_locked(account, establishment)
            if existing is not None:
                existing.reason = HelpRequest.Reason.BIRTH_DATE_REFUSED
                existing.updated_at = now
                existing.save(update_fields=["reason", "updated_at"])
                help_request, action = existing, "help_request.update"
            else:
                help_request = HelpRequest.objects.create(
                    account=account,
                    establishment=establishment,
                    reason=HelpRequest.Reason.BIRTH_DATE_REFUSED,
                    login=account.login,
                    last_name=account.last_name,
                    first_name=account.first_name,
                    school_class=_class_codes(account, establishment)[:50],
                    children=child,
                    delivery=HelpRequest.Delivery.PAPER,
                    created_at=now,
                    updated_at=now,
                )
                action = "help_request.create"
            audit_record(
                action=action,
                actor=None,
                target=account,
                establishment=establishment,
                request=request,
                data={
                    "help_request": help_request.pk,
                    "reason": HelpRequest.Reason.BIRTH_DATE_REFUSED.value,
                    "failures": failures,
                },
            )
            filed.append(help_request)
    return filed


def help_request_guardianship(
    *,
    guardianship: Guardianship,
    reason: str,
    failures: int = 0,
    request: HttpRequest | None = None,
) -> HelpRequest:
    """Tell the child's establishment that a guardian's pending link to the child was frozen
    (``LINK_FROZEN``: ``failures`` wrong birth dates) or refused by the guardian
    (``LINK_REFUSED``: "je ne suis pas responsable légal de cet élève"). A request of its own,
    pointing at the link (a guardian may have another request open there): the school checks
    its files (the child's guardians, their contacts) and corrects them at the next import.
    Called inside the transaction of the change (see ``preau.recovery.receivers``)."""
    guardian = guardianship.guardian
    student = guardianship.student
    establishment = guardianship.establishment
    classes = _class_codes(student, establishment)
    child = f"{student.last_name} {student.first_name}" + (f" ({classes})" if classes else "")
    now = timezone.now()
    help_request = HelpRequest.objects.create(
        account=guardian,
        establishment=establishment,
        guardianship=guardianship,
        reason=reason,
        login=guardian.login,
        last_name=guardian.last_name,
        first_name=guardian.first_name,
        children=child,
        delivery=HelpRequest.Delivery.PAPER,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        action="help_request.create",
        actor=None,
        target=guardian,
        establishment=establishment,
        request=request,
        data={
            "help_request": help_request.pk,
            "reason": reason,
            "student": student.login,
            **({"failures": failures} if failures else {}),
        },
    )
    return help_request


# --- The school's side --------------------------------------------------------------------------


def _check_scope(actor: Any, establishment: Establishment) -> None:
    """``PermissionDenied`` unless ``actor`` administers ``establishment``."""
    if not establishments_administered(actor=actor).filter(pk=establishment.pk).exists():
        raise PermissionDenied("not an administrator of this establishment")


def help_request_status_set(
    *,
    actor: Account,
    help_request: HelpRequest,
    status: str,
    resolution: str = "",
    request: HttpRequest | None = None,
) -> bool:
    """Move a request along its queue (new → in progress → done, or back). Returns whether
    it changed."""
    _check_scope(actor, help_request.establishment)
    if status not in HelpRequest.Status.values:
        raise ValidationError(_("État inconnu."), code="status")
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
        if locked.status == status and not resolution:
            return False
        previous = locked.status
        now = timezone.now()
        locked.status = status
        locked.updated_at = now
        locked.handled_by = actor
        locked.handled_at = now
        fields = ["status", "updated_at", "handled_by", "handled_at"]
        if resolution:
            locked.resolution = resolution
            fields.append("resolution")
        locked.save(update_fields=fields)
        audit_record(
            action="help_request.status",
            actor=actor,
            target=locked.account,
            establishment=locked.establishment,
            request=request,
            data={
                "help_request": locked.pk,
                "from": previous,
                "to": status,
                "resolution": resolution,
            },
        )
    for name in ("status", "updated_at", "handled_by", "handled_at", "resolution"):
        setattr(help_request, name, getattr(locked, name))
    return True


def account_code_reissue(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    delivery: str,
    email: str = "",
    help_request: HelpRequest | None = None,
    request: HttpRequest | None = None,
) -> reissue.Reissue:
    """:func:`preau.provisioning.reissue.account_code_reissue`, answering ``help_request``
    (marked done in the same transaction, see ``preau.recovery.receivers``)."""
    result = reissue.account_code_reissue(
        actor=actor,
        account=account,
        establishment=establishment,
        delivery=delivery,
        email=email,
        help_request_id=help_request.pk if help_request is not None else None,
        request=request,
    )
    if help_request is not None:
        help_request.refresh_from_db()
    return result


def help_request_answered(
    *,
    actor: Account,
    establishment: Establishment,
    help_request_id: int,
    delivery: str,
    request: HttpRequest | None = None,
) -> None:
    """A new code was handed over for help request ``help_request_id``: it is done."""
    help_request = HelpRequest.objects.select_related("establishment").get(pk=help_request_id)
    if help_request.establishment_id != establishment.pk:
        raise PermissionDenied("the help request belongs to another establishment")
    help_request_status_set(
        actor=actor,
        help_request=help_request,
        status=HelpRequest.Status.DONE,
        resolution=delivery,
        request=request,
    )


def password_change_demand_set(*, account: Account, actor: Account | None) -> PasswordChangeDemand:
    """Record that ``account`` must choose a new password at its next sign-in (no audit: the
    act that demands it records its own event)."""
    return _demand_set(account, actor)


def _demand_set(account: Account, actor: Account | None) -> PasswordChangeDemand:
    demand, _created = PasswordChangeDemand.objects.update_or_create(
        account=account, defaults={"demanded_at": timezone.now(), "demanded_by": actor}
    )
    return demand


def account_password_change_demand(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> PasswordChangeDemand:
    """Ask ``account`` to choose a new password at its next sign-in (an ``UPDATE_PASSWORD``
    required action before anything else, see :mod:`preau.recovery.receivers`)."""
    scope_check(
        actor=actor,
        account=account,
        establishment=establishment,
        action=ConsoleAction.PASSWORD_DEMAND,
    )
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        demand = _demand_set(locked, actor)
        audit_record(
            action="account.password_change_demand",
            actor=actor,
            target=locked,
            establishment=establishment,
            request=request,
        )
    return demand


def _throttle_pairs(account: Account) -> list[tuple[str, str]]:
    values = {
        "login": account.login,
        "pk": str(account.pk),
        "email": (account.email or "").strip().lower(),
        "mobile": account.mobile or "",
    }
    pairs: list[tuple[str, str]] = []
    for scope, spec in ACCOUNT_THROTTLES:
        prefix, _sep, name = spec.rpartition(":")
        value = values[name]
        if scope == SCOPE_QUERY and name == "email":
            value = account.email or ""  # typed values keep the local part's case
        if value:
            pairs.append((scope, f"{prefix}:{value}" if prefix else value))
    return pairs


def account_throttles_active(account: Account) -> list[tuple[str, int]]:
    """The throttles holding ``account`` back now: (scope, seconds left)."""
    pairs = _throttle_pairs(account)
    waits = throttle_check_many(pairs)
    return [(scope, wait) for (scope, _key), wait in zip(pairs, waits, strict=True) if wait > 0]


def account_throttles_lift(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    request: HttpRequest | None = None,
) -> int:
    """Forget every failure counted against ``account`` (sign-in, birth date, recovery…).
    Per-address throttles stay: they protect the whole ENT. Returns how many were holding."""
    scope_check(
        actor=actor,
        account=account,
        establishment=establishment,
        action=ConsoleAction.THROTTLES_LIFT,
    )
    active = account_throttles_active(account)
    for scope, key in _throttle_pairs(account):
        throttle_reset(scope, key)
    audit_record(
        action="account.throttles_lift",
        actor=actor,
        target=account,
        establishment=establishment,
        request=request,
        data={"scopes": sorted({scope for scope, _wait in active})},
    )
    return len(active)
