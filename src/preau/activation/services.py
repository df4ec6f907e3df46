"""Writes of the first connection: each step, the activation itself, the charter's versions.

Every step is idempotent: doing it again once done changes nothing (a double submission has no
double effect). The account becomes ACTIVE in :func:`account_activate`, when no step is left,
which with ``EMAIL_PROOF_REQUIRED`` means only once the e-mail link has been followed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.activation.email_proof import (
    LinkCheck,
    LinkStatus,
    email_verification_issue,
    email_verification_use,
)
from preau.activation.models import (
    ActivationJourney,
    CharterAcceptance,
    CharterVersion,
    EmailVerification,
)
from preau.activation.selectors import (
    Action,
    birth_date_max_failures,
    birth_date_subject,
    charter_cache_clear,
    email_verification_latest,
    required_actions_configured,
    required_actions_pending,
)
from preau.activation.signals import birth_date_blocked
from preau.audit.services import audit_record, client_ip
from preau.directory.models import Account
from preau.directory.transitions import account_activate as directory_account_activate
from preau.signin.contacts import account_contact_update, account_email_set
from preau.signin.passwords import account_password_set
from preau.signin.throttle import throttle_check, throttle_fail, throttle_reset

SCOPE_BIRTH_DATE_ACCOUNT = "activation.birth_date.account"
SCOPE_BIRTH_DATE_ADDRESS = "activation.birth_date.address"
SCOPE_EMAIL_SEND = "activation.email_send.account"
# A second identical contact form within this delay sends no second link.
_RESEND_GRACE_SECONDS = 120


def _journey_locked(account: Account) -> ActivationJourney:
    """The account's journey, created on first use, locked for the caller's transaction."""
    journey, _created = ActivationJourney.objects.select_for_update().get_or_create(
        account=account, defaults={"started_at": timezone.now()}
    )
    return journey


# --- Charter ------------------------------------------------------------------------------------


@transaction.atomic
def charter_version_create(
    *, actor: Account | None, title: str, body: str, request: HttpRequest | None = None
) -> CharterVersion:
    """A new draft version (numbered after the last one); published separately."""
    if not body.strip():
        raise ValidationError(_("Le texte de la charte est vide."), code="empty")
    last = CharterVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0
    version = CharterVersion.objects.create(
        number=last + 1,
        title=title.strip() or _("Charte d'utilisation"),
        body=body.strip(),
        created_at=timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        action="charter.create", actor=actor, request=request, data={"version": version.number}
    )
    return version


@transaction.atomic
def charter_version_update(
    *,
    actor: Account | None,
    version: CharterVersion,
    title: str,
    body: str,
    request: HttpRequest | None = None,
) -> CharterVersion:
    """Edit a draft. A published version is frozen: publish a new version instead."""
    locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
    if locked.published_at is not None:
        raise ValidationError(
            _("Une version publiée ne se modifie plus : créez une nouvelle version."),
            code="published",
        )
    if not body.strip():
        raise ValidationError(_("Le texte de la charte est vide."), code="empty")
    locked.title = title.strip() or locked.title
    locked.body = body.strip()
    locked.save(update_fields=["title", "body"])
    audit_record(
        action="charter.update", actor=actor, request=request, data={"version": locked.number}
    )
    return locked


@transaction.atomic
def charter_version_publish(
    *, actor: Account | None, version: CharterVersion, request: HttpRequest | None = None
) -> bool:
    """Publish a draft: from now on everyone must accept it at their next page. Publishing an
    older draft after a newer version is refused (the current version is the latest number)."""
    locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
    if locked.published_at is not None:
        return False
    newer = CharterVersion.objects.filter(number__gt=locked.number, published_at__isnull=False)
    if newer.exists():
        raise ValidationError(
            _("Une version plus récente est déjà publiée : créez une nouvelle version."),
            code="outdated",
        )
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    audit_record(
        action="charter.publish", actor=actor, request=request, data={"version": locked.number}
    )
    transaction.on_commit(charter_cache_clear)
    charter_cache_clear()
    version.published_at = locked.published_at
    return True


def charter_accept(
    *,
    actor: Account,
    account: Account,
    version: CharterVersion,
    request: HttpRequest | None = None,
) -> CharterAcceptance:
    """Record that ``account`` accepted ``version`` (once; accepting again changes nothing)."""
    if version.published_at is None:
        raise ValidationError(_("Cette version de la charte n'est pas publiée."), code="draft")
    existing = CharterAcceptance.objects.filter(account=account, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            acceptance = CharterAcceptance.objects.create(
                account=account, version=version, accepted_at=timezone.now(), ip=client_ip(request)
            )
            audit_record(
                action="charter.accept",
                actor=actor,
                target=account,
                request=request,
                data={"version": version.number},
            )
    except IntegrityError:  # the same form sent twice at once: the other one recorded it
        return CharterAcceptance.objects.get(account=account, version=version)
    return acceptance


# --- Password -----------------------------------------------------------------------------------


def activation_password_set(
    *, actor: Account, account: Account, password: str, request: HttpRequest | None = None
) -> bool:
    """The UPDATE_PASSWORD step (the password is validated by the form). False when the step
    was already done (a second submission): nothing changes then."""
    session = request.session if request is not None else None
    with transaction.atomic():
        journey = _journey_locked(account)  # serialises two submissions of the same form
        if Action.UPDATE_PASSWORD not in required_actions_pending(account, session):
            return False
        account_password_set(
            actor=actor, account=account, password=password, request=request, reason="activation"
        )
        if account.state == Account.State.PROVISIONED:
            # The letter's code dies the moment its owner has a password: a second browser
            # holding the letter could otherwise skip this step and finish the journey.
            Account.objects.filter(pk=account.pk).update(activation_code_digest="")
            account.activation_code_digest = ""
            if journey.password_updated_at is None:
                journey.password_updated_at = timezone.now()
                journey.save(update_fields=["password_updated_at"])
    return True


# --- Birth date ---------------------------------------------------------------------------------


class BirthDateOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    THROTTLED = "throttled"
    # Refused too many times in this journey: nothing is checked any more.
    BLOCKED = "blocked"
    NOTHING_TO_CONFIRM = "nothing"


@dataclass(frozen=True)
class BirthDateResult:
    outcome: BirthDateOutcome
    wait: int = 0
    # WRONG: how many more wrong answers the journey takes before the step is blocked.
    tries_left: int = 0


def birth_date_subject_choose(*, account: Account) -> Account | None:
    """The person whose birth date is asked, fixed for the journey (see the selector)."""
    with transaction.atomic():
        journey = _journey_locked(account)
        subject = birth_date_subject(account, journey)
        if (
            subject is not None
            and subject.pk != account.pk
            and journey.birth_date_subject_id is None
        ):
            journey.birth_date_subject = subject
            journey.save(update_fields=["birth_date_subject"])
    return subject


def birth_date_confirm(
    *, actor: Account, account: Account, answer: date, request: HttpRequest | None = None
) -> BirthDateResult:
    """Check the birth date typed at CONFIRM_BIRTH_DATE.

    Wrong answers make the next ones wait (growing delays per account and per address, in the
    cache) and are counted in the journey, in the database: at
    ``PREAU["BIRTH_DATE_MAX_FAILURES"]``, whatever the addresses and the days they came from,
    the step is blocked for the rest of the journey, even for the right date, and the school
    is told (:data:`~preau.activation.signals.birth_date_blocked`). A new activation code
    starts a new journey, with a new count.
    """
    if ActivationJourney.objects.filter(
        account=account, birth_date_blocked_at__isnull=False, birth_date_confirmed_at__isnull=True
    ).exists():
        return BirthDateResult(BirthDateOutcome.BLOCKED)
    keys = [(SCOPE_BIRTH_DATE_ACCOUNT, str(account.pk))]
    address = client_ip(request)
    if address:
        keys.append((SCOPE_BIRTH_DATE_ADDRESS, address))
    wait = max(throttle_check(scope, key) for scope, key in keys)
    if wait > 0:
        return BirthDateResult(BirthDateOutcome.THROTTLED, wait)
    with transaction.atomic():
        journey = _journey_locked(account)
        done = journey.birth_date_confirmed_at is not None
        if done or journey.birth_date_blocked_at is not None:
            return BirthDateResult(BirthDateOutcome.CONFIRMED if done else BirthDateOutcome.BLOCKED)
        subject = birth_date_subject(account, journey)
        if subject is None or subject.birth_date is None:
            return BirthDateResult(BirthDateOutcome.NOTHING_TO_CONFIRM)
        if answer == subject.birth_date:
            journey.birth_date_confirmed_at = timezone.now()
            journey.birth_date_subject = subject if subject.pk != account.pk else None
            journey.save(update_fields=["birth_date_confirmed_at", "birth_date_subject"])
            audit_record(
                action="activation.birth_date.confirm",
                actor=actor,
                target=account,
                request=request,
                data={"subject": subject.login},
            )
            transaction.on_commit(lambda: throttle_reset(SCOPE_BIRTH_DATE_ACCOUNT, str(account.pk)))
            return BirthDateResult(BirthDateOutcome.CONFIRMED)
        return _birth_date_failure(
            actor=actor,
            account=account,
            journey=journey,
            subject=subject,
            keys=keys,
            request=request,
        )


def _birth_date_failure(
    *,
    actor: Account,
    account: Account,
    journey: ActivationJourney,
    subject: Account,
    keys: list[tuple[str, str]],
    request: HttpRequest | None,
) -> BirthDateResult:
    """A wrong birth date (in :func:`birth_date_confirm`'s transaction, the journey locked):
    counted, throttled, audited; the last one allowed blocks the step and tells the school."""
    journey.birth_date_failures += 1
    failures = journey.birth_date_failures
    limit = birth_date_max_failures()
    if failures >= limit:
        journey.birth_date_blocked_at = timezone.now()
    journey.save(update_fields=["birth_date_failures", "birth_date_blocked_at"])
    delay = max(throttle_fail(scope, key) for scope, key in keys)
    audit_record(
        action="activation.birth_date.failure",
        actor=actor,
        target=account,
        request=request,
        data={
            "subject": subject.login,
            "failures": failures,
            **({"throttled_for": delay} if delay else {}),
        },
    )
    if journey.birth_date_blocked_at is not None:
        audit_record(
            action="activation.birth_date.blocked",
            actor=actor,
            target=account,
            request=request,
            data={"subject": subject.login, "failures": failures},
        )
        birth_date_blocked.send(
            sender=ActivationJourney,
            account=account,
            subject=subject,
            failures=failures,
            request=request,
        )
        return BirthDateResult(BirthDateOutcome.BLOCKED)
    return BirthDateResult(BirthDateOutcome.WRONG, tries_left=limit - failures)


# --- Contact and e-mail proof -------------------------------------------------------------------


def _email_step_configured(account: Account) -> bool:
    return Action.VERIFY_EMAIL in required_actions_configured(account)


def _recently_sent(account: Account, email: str) -> bool:
    latest = email_verification_latest(account, EmailVerification.Purpose.ACTIVATION)
    return (
        latest is not None
        and latest.ended_at is None
        and latest.email.lower() == email.lower()
        and (timezone.now() - latest.created_at).total_seconds() < _RESEND_GRACE_SECONDS
    )


@transaction.atomic
def activation_contact_save(
    *,
    actor: Account,
    account: Account,
    email: str,
    mobile: str,
    from_establishment: bool,
    from_partners: bool,
    sms: bool,
    request: HttpRequest | None = None,
) -> bool:
    """The UPDATE_CONTACT step: address, mobile, preferences. Sends the e-mail proof when the
    journey has a VERIFY_EMAIL step and the address is not proven. Returns whether a link left."""
    account_contact_update(
        actor=actor,
        account=account,
        email=email,
        mobile=mobile,
        from_establishment=from_establishment,
        from_partners=from_partners,
        sms=sms,
        request=request,
    )
    journey = _journey_locked(account)
    if journey.contact_updated_at is None:
        journey.contact_updated_at = timezone.now()
        journey.save(update_fields=["contact_updated_at"])
    if (
        email
        and account.email_verified_at is None
        and _email_step_configured(account)
        and not _recently_sent(account, email)
    ):
        email_verification_issue(
            actor=actor,
            account=account,
            email=email,
            purpose=EmailVerification.Purpose.ACTIVATION,
            request=request,
        )
        return True
    return False


# --- Several steps on one page -----------------------------------------------------------------


@dataclass(frozen=True)
class ContactInput:
    email: str
    mobile: str
    from_establishment: bool
    from_partners: bool
    sms: bool


def activation_steps_apply(
    *,
    actor: Account,
    account: Account,
    password: str | None = None,
    birth_date: date | None = None,
    contact: ContactInput | None = None,
    charter: CharterVersion | None = None,
    request: HttpRequest | None = None,
) -> BirthDateResult:
    """A page grouping several steps (``PREAU["REQUIRED_ACTIONS"]`` with a list as a step):
    each given part goes through its own service (and its own audit event), all in one
    transaction. The birth date is checked first (with its throttles and its limit): when it is
    wrong, throttled or blocked nothing else is applied, and the result says so (the failure
    itself is recorded).
    Returns CONFIRMED (or NOTHING_TO_CONFIRM) when everything was applied."""
    with transaction.atomic():
        result = BirthDateResult(BirthDateOutcome.CONFIRMED)
        if birth_date is not None:
            result = birth_date_confirm(
                actor=actor, account=account, answer=birth_date, request=request
            )
            if result.outcome in (
                BirthDateOutcome.WRONG,
                BirthDateOutcome.THROTTLED,
                BirthDateOutcome.BLOCKED,
            ):
                return result
        if charter is not None:
            charter_accept(actor=actor, account=account, version=charter, request=request)
        if password is not None:
            activation_password_set(
                actor=actor, account=account, password=password, request=request
            )
        if contact is not None:
            activation_contact_save(
                actor=actor,
                account=account,
                email=contact.email,
                mobile=contact.mobile,
                from_establishment=contact.from_establishment,
                from_partners=contact.from_partners,
                sms=contact.sms,
                request=request,
            )
    return result


class SendOutcome(enum.Enum):
    SENT = "sent"
    THROTTLED = "throttled"
    NO_ADDRESS = "no_address"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    wait: int = 0


def activation_email_send(
    *,
    actor: Account,
    account: Account,
    email: str | None = None,
    request: HttpRequest | None = None,
) -> SendResult:
    """Send the proof link (again) to the account's address, or first make ``email`` the
    account's (unproven) address. Throttled per account: each send makes the next one wait."""
    key = str(account.pk)
    wait = throttle_check(SCOPE_EMAIL_SEND, key)
    if wait > 0:
        return SendResult(SendOutcome.THROTTLED, wait)
    with transaction.atomic():
        if email:
            account_email_set(actor=actor, account=account, email=email, request=request)
        if not account.email:
            return SendResult(SendOutcome.NO_ADDRESS)
        email_verification_issue(
            actor=actor,
            account=account,
            email=account.email,
            purpose=EmailVerification.Purpose.ACTIVATION,
            request=request,
        )
    throttle_fail(SCOPE_EMAIL_SEND, key)
    return SendResult(SendOutcome.SENT)


def activation_email_first_send(
    *, actor: Account, account: Account, request: HttpRequest | None = None
) -> bool:
    """At the VERIFY_EMAIL step, send the link if none was ever sent to the current address
    (the contact step may come later, or not at all, in a deployment's order)."""
    if not account.email:
        return False
    latest = email_verification_latest(account, EmailVerification.Purpose.ACTIVATION)
    if latest is not None and latest.email.lower() == account.email.lower():
        return False
    return activation_email_send(actor=actor, account=account, request=request).outcome is (
        SendOutcome.SENT
    )


@transaction.atomic
def activation_email_step_done(
    *, actor: Account, account: Account, request: HttpRequest | None = None
) -> None:
    """VERIFY_EMAIL when the proof is not required: the person has read where the link went
    and goes on; the address stays unproven until the link is followed."""
    journey = _journey_locked(account)
    if journey.email_step_seen_at is None:
        journey.email_step_seen_at = timezone.now()
        journey.save(update_fields=["email_step_seen_at"])


def email_link_follow(*, token: str, request: HttpRequest | None = None) -> tuple[LinkCheck, bool]:
    """Use an e-mail link; if it was the last step of a first connection, activate the
    account. Returns the link's check and whether the account was activated now."""
    with transaction.atomic():
        check = email_verification_use(token=token, request=request)
        account = check.account
        if check.status is not LinkStatus.VALID or account is None:
            return check, False
        account.refresh_from_db()
        activated = False
        if account.state == Account.State.PROVISIONED and not required_actions_pending(account):
            activated = account_activate(actor=account, account=account, request=request)
    return check, activated


# --- Activation ---------------------------------------------------------------------------------


@transaction.atomic
def account_activate(
    *, actor: Account | None, account: Account, request: HttpRequest | None = None
) -> bool:
    """PROVISIONED → ACTIVE at the end of the first connection: the activation code dies
    (the directory's move, :func:`preau.directory.transitions.account_activate`) and the
    journey is complete; an account whose journey ran in a federated session ends it with
    no local password. Returns False when the account was not pending (a second call)."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.state != Account.State.PROVISIONED:
        return False
    # The person's session decides the steps that depend on it (a federated one has no
    # password step); without a request (a task), every step counts.
    session = getattr(request, "session", None)
    pending = required_actions_pending(locked, session)
    if pending:
        raise ValueError(f"account {locked.login} still has required actions: {pending}")
    directory_account_activate(actor=actor, account=locked, request=request)
    ActivationJourney.objects.filter(account=locked).update(completed_at=locked.activated_at)
    for field in ("state", "activated_at", "activation_code_digest"):
        setattr(account, field, getattr(locked, field))
    return True
