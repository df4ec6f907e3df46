"""A new activation code for one person, handed over by the school (the console).

Code issuance itself is the directory's reprovision move (:mod:`preau.directory.transitions`);
this module chooses the delivery: the letter (one A4 page, the same as the print runs of
:mod:`preau.provisioning.letters`: identity, profiles, classes or children in this
establishment, the identifier, the new code and its deadline, the steps of the first
connection), an e-mail or an SMS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.activation_codes import activation_code_display
from preau.directory.models import (
    Account,
    Establishment,
    Guardianship,
    Membership,
    SchoolClass,
    current_q,
)
from preau.directory.scope import ConsoleAction, scope_check
from preau.directory.transitions import account_reprovision
from preau.notify.services import message_queue
from preau.provisioning.letters import (
    Child,
    Letter,
    LetterContext,
    letter_journeys,
    letters_render,
)
from preau.provisioning.signals import activation_code_reissued
from preau.signin.models import SessionRecord


def _public_url(path: str) -> str:
    return str(preau_setting("PUBLIC_URL")).rstrip("/") + path


class Delivery(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Reissue:
    code: str  # the clear code: the only time it exists
    delivery: Delivery
    destination: str = ""
    was_active: bool = False
    sessions_ended: int = 0
    pdf: bytes = b""  # the letter, for Delivery.LETTER


def account_code_reissue(
    *,
    actor: Account,
    account: Account,
    establishment: Establishment,
    delivery: str,
    email: str = "",
    help_request_id: int | None = None,
    request: HttpRequest | None = None,
) -> Reissue:
    """A new activation code for ``account``, handed over by ``delivery``:

    - ``letter``: the letter's PDF is returned (drawn in the transaction);
    - ``email``: sent to ``email`` (the account's address on file, or the one given in a help
      request), ``sms``: to the account's mobile.

    An active account goes back to "waiting for activation": its password stops working, its
    sessions end, and its owner chooses a new password when signing in with the code (a
    password change is demanded). A deactivated one is reactivated by the code. The help
    request ``help_request_id``, if any, is marked done. Both through
    :data:`~preau.provisioning.signals.activation_code_reissued`, which the help desk answers.
    One transaction: if the mail cannot be queued (a wrong address), no code is replaced.
    """
    scope_check(
        actor=actor, account=account, establishment=establishment, action=ConsoleAction.REISSUE
    )
    chosen = Delivery(delivery)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        was_active = locked.state == Account.State.ACTIVE
        ended = SessionRecord.objects.filter(account=locked, ended_at__isnull=True).count()
        # The directory's reprovision move: the code replaces the password and ends every
        # session, reset link, token and unfinished first connection of the account.
        code = account_reprovision(
            actor=actor, account=locked, establishment=establishment, request=request
        )
        # Drawn or queued inside the transaction: if that fails, the old code stays valid.
        destination, pdf = _deliver(chosen, locked, establishment, code, email)
        audit_record(
            action="account.code_reissue",
            actor=actor,
            target=locked,
            establishment=establishment,
            request=request,
            data={
                "delivery": chosen.value,
                "was_active": was_active,
                "sessions_ended": ended,
                "help_request": help_request_id,
            },
        )
        activation_code_reissued.send(
            sender=Account,
            actor=actor,
            account=locked,
            establishment=establishment,
            was_active=was_active,
            delivery=chosen.value,
            help_request_id=help_request_id,
            request=request,
        )
    for name in ("state", "password", "activation_code_digest", "activation_expires_at"):
        setattr(account, name, getattr(locked, name))
    account.deactivated_at = None
    return Reissue(
        code=code,
        delivery=chosen,
        destination=destination,
        was_active=was_active,
        sessions_ended=ended,
        pdf=pdf,
    )


def _deliver(
    chosen: Delivery, account: Account, establishment: Establishment, code: str, email: str
) -> tuple[str, bytes]:
    """Hand ``code`` over: the letter's PDF, or the message queued. Returns (where, PDF)."""
    if chosen is Delivery.LETTER:
        return "", account_letter_pdf(account=account, establishment=establishment, code=code)
    if chosen is Delivery.EMAIL:
        destination = (email or account.email).strip()
        missing = _("Ce compte n'a pas d'adresse électronique : imprimez un courrier.")
    else:
        destination = account.mobile
        missing = _("Ce compte n'a pas de numéro de mobile : imprimez un courrier.")
    if not destination:
        raise ValidationError(missing, code="no_email" if chosen is Delivery.EMAIL else "no_mobile")
    message_queue(
        channel="email" if chosen is Delivery.EMAIL else "sms",
        to=destination,
        template="activation_code",
        context=_code_context(account, code, establishment),
        account=account,
    )
    return destination, b""


def _code_context(account: Account, code: str, establishment: Establishment) -> dict[str, Any]:
    return {
        "first_name": account.first_name,
        "login": account.login,
        "code": activation_code_display(code),
        "expires_at": account.activation_expires_at,
        "establishment": establishment.name,
        "signin_url": _public_url(reverse("signin:login")),
    }


# --- The letter -----------------------------------------------------------------------------------


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
        .filter(current_q("membership__"))
        .order_by("schoolclass__code")
        .values_list("membership__account_id", "schoolclass__code")
    )
    for account_id, code in rows:
        found[account_id].append(code)
    return found


def account_letter_pdf(*, account: Account, establishment: Establishment, code: str) -> bytes:
    """The PDF (one A4 page) of ``account``'s letter with the clear ``code``."""
    memberships = list(
        Membership.objects.filter(current_q(), account=account, establishment=establishment)
    )
    profiles = {m.profile for m in memberships}
    labels = dict(Membership.Profile.choices)
    children = list(
        Guardianship.objects.filter(current_q(), guardian=account, establishment=establishment)
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
