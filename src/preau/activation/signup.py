"""A parent's sign-up by SMS ("Je n'ai pas de compte"): issue 14, part 1.

A guardian whom a school imported (a PROVISIONED account with a current ``responsable``
membership and a mobile number) may activate the account without the paper letter:

1. :func:`signup_submit`: the names and the mobile typed. The page's answer is the same whether
   anything matches or not, and so is its work: the request is counted in the throttles (per
   number, per folded names, per client address), stored and handed to a task, as the
   forgotten-password page does (``preau.recovery.requests``).
2. :func:`signup_process` (the task): one guardian must match, by names folded as logins are
   (:func:`preau.names.names_key`) and by the mobile in E.164. A PROVISIONED one gets a
   six-digit code by SMS (:mod:`preau.codes`, bound to this sign-up and this number); an
   ACTIVE one an SMS with the identifier and the "mot de passe oublié" address instead; no
   match, several matches or a deactivated account: nothing is sent (a deactivated account is
   the school's to reopen; an SMS would tell nothing its owner can act on alone).
3. :func:`signup_code_verify`, :func:`signup_children_confirm` (the birth date of every
   current child, all at once, ``SIGNUP_BIRTH_DATE_ATTEMPTS`` pages in all),
   :func:`signup_charter_accept`: each step is recorded on the :class:`SignUp` row only.
4. :func:`signup_complete`: in one transaction, the charter, the password, the mobile verified,
   the children's links confirmed, the account activated through the directory's transition
   (the letter's code dies) and the identifier sent by SMS.

The browser holds a random handle (its digest is the row's key), so a step can only be done
by the browser that typed the names, in order, once.

A ``LINK`` sign-up (``purpose``) is a parent's proof of the account before a FranceConnect or
EduConnect identity is linked to it: steps 1 to 3 are the same, but the task sends the code to
an ACTIVE guardian too (never the identifier), and after the birth dates the sign-up is due to
link (:mod:`preau.activation.signup_link`), never to choose a password.
"""

from __future__ import annotations

import enum
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.contrib.auth import SESSION_KEY, login
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from preau.activation.models import ActivationJourney, CharterVersion, SignUp
from preau.activation.selectors import charter_current_id
from preau.activation.services import charter_accept
from preau.audit.services import audit_record, client_ip
from preau.codes import SCOPE_CONTACT, code_digest, code_new
from preau.conf import preau_setting
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import account_activate
from preau.names import names_key
from preau.notify.services import message_queue
from preau.signin.backends import BACKEND_PATH
from preau.signin.passwords import account_password_set
from preau.signin.services import AUTH_METHOD_SESSION_KEY, signout
from preau.signin.throttle import (
    throttle_check,
    throttle_check_many,
    throttle_fail,
    throttle_first_refusal,
)

logger = logging.getLogger(__name__)

SCOPE_MOBILE = "signup.mobile"
SCOPE_NAMES = "signup.names"
SCOPE_ADDRESS = "signup.address"
SCOPE_CODE_ADDRESS = "signup.code.address"
_HANDLE_SALT = "preau.activation.signup.handle"
# Guardians read for one number (two parents sharing a phone are two; more is a data error).
_MAX_CANDIDATES = 20


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(preau_setting(name)))


def _public_url(path: str) -> str:
    return str(preau_setting("PUBLIC_URL")).rstrip("/") + path


def handle_new() -> str:
    """The browser's secret for one sign-up (256 random bits), kept in its session."""
    return secrets.token_urlsafe(32)


def handle_digest(handle: str) -> str:
    return salted_hmac(_HANDLE_SALT, handle, algorithm="sha256").hexdigest()


def _code_salt(row: SignUp) -> str:
    # A code is good for this sign-up and this number only.
    return f"signup:{row.handle_digest}:{row.mobile}"


# --- 1. The request -----------------------------------------------------------------------------


class SubmitOutcome(enum.Enum):
    ACCEPTED = "accepted"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SubmitResult:
    outcome: SubmitOutcome
    wait: int = 0


def signup_submit(
    *,
    last_name: str,
    first_name: str,
    mobile: str,
    handle: str,
    request: HttpRequest | None = None,
    purpose: str = SignUp.Purpose.SIGNUP,
    link_provider: str = "",
) -> SubmitResult:
    """Accept a sign-up request, whatever it names (``mobile`` in E.164): count it in the
    throttles, store it, hand it to the task after the commit. Nothing here depends on
    whether a guardian matches. ``purpose`` LINK: the proof before a federated identity is
    linked, ``link_provider`` (the federation's name) named in its SMS."""
    address = client_ip(request)
    keys = [(SCOPE_MOBILE, mobile), (SCOPE_NAMES, names_key(last_name, first_name))]
    if address:
        keys.append((SCOPE_ADDRESS, address))
    waits = throttle_check_many(keys)
    wait, scope, key = max((w, s, k) for w, (s, k) in zip(waits, keys, strict=True))
    if wait > 0:
        if throttle_first_refusal(scope, key, wait):
            audit_record(
                action="signup.request.throttled",
                request=request,
                data={"scope": scope, "wait": wait},
            )
        return SubmitResult(SubmitOutcome.THROTTLED, wait=wait)
    for scope, key in keys:
        throttle_fail(scope, key)
    with transaction.atomic():
        row = SignUp.objects.create(
            handle_digest=handle_digest(handle),
            purpose=purpose,
            link_provider=link_provider[:32],
            last_name=last_name.strip()[:150],
            first_name=first_name.strip()[:150],
            mobile=mobile,
            ip=address,
            created_at=timezone.now(),
        )
        audit_record(
            action="signup.request",
            request=request,
            data={"signup": row.pk, "purpose": str(purpose)},
        )
        transaction.on_commit(partial(_enqueue, row.pk), robust=True)
    return SubmitResult(SubmitOutcome.ACCEPTED)


def _enqueue(signup_id: int) -> None:
    from preau.activation.tasks import process_signup

    process_signup.enqueue(signup_id)


# --- 2. The task --------------------------------------------------------------------------------


def signup_match(*, last_name: str, first_name: str, mobile: str) -> list[Account]:
    """The guardians that these names and this number (E.164) designate: an account with this
    mobile, a current ``responsable`` membership, and names that fold equal. Two guardians
    sharing one phone are told apart by their names; a sign-up goes on only with exactly one."""
    wanted = names_key(last_name, first_name)
    guardians = Membership.objects.current().filter(profile=Membership.Profile.GUARDIAN)
    candidates = Account.objects.filter(
        mobile=mobile, pk__in=guardians.values("account_id")
    ).order_by("pk")[:_MAX_CANDIDATES]
    return [a for a in candidates if names_key(a.last_name, a.first_name) == wanted]


def signup_process(*, signup_id: int, sweep: bool = True) -> str:
    """Act on one stored sign-up request (the task): find the guardian and send. Claimed with
    one conditional UPDATE (two runs process it once); the typed names are then forgotten.
    ``sweep``: afterwards, process requests whose task was lost."""
    now = timezone.now()
    claimed = SignUp.objects.filter(pk=signup_id, processed_at__isnull=True).update(
        processed_at=now
    )
    if claimed != 1:
        return "skipped"
    row = SignUp.objects.get(pk=signup_id)
    outcome: str = SignUp.Outcome.EXPIRED
    if now - row.created_at <= _minutes("SIGNUP_CODE_MINUTES"):
        try:
            with transaction.atomic():
                outcome = _process(row)
        except Exception:
            logger.exception("Sign-up request %s could not be processed", signup_id)
            outcome = SignUp.Outcome.ERROR
    SignUp.objects.filter(pk=signup_id).update(last_name="", first_name="", outcome=outcome)
    if sweep:
        signup_sweep()
    return str(outcome)


def signup_sweep(*, grace_seconds: int = 120, batch: int = 20) -> int:
    """Process requests left unprocessed longer than ``grace_seconds``; return how many."""
    before = timezone.now() - timedelta(seconds=grace_seconds)
    ids = list(
        SignUp.objects.filter(processed_at__isnull=True, created_at__lte=before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in ids:
        signup_process(signup_id=pk, sweep=False)
    return len(ids)


def signups_purge(*, dry_run: bool = False) -> int:
    """Delete the sign-ups asked for more than ``SIGNUP_RETENTION_DAYS`` ago (finished or
    not: one lasts ``SIGNUP_MINUTES`` at most): the numbers and addresses typed by people
    who may have no account are kept no longer than the throttles and the help desk need
    them. Returns how many (would be) deleted."""
    days = int(preau_setting("SIGNUP_RETENTION_DAYS"))
    old = SignUp.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    if dry_run:
        return old.count()
    return old.delete()[0]


def _may_receive(row: SignUp, account: Account) -> bool:
    """Whether the matched guardian gets an SMS for this request: a PROVISIONED or ACTIVE
    account; for a LINK proof an ACTIVE one only when its owner proved this mobile (the
    forgotten password's rule: an active account is not opened to a new way in on a number
    only the school's file vouches for)."""
    if account.state == Account.State.PROVISIONED:
        return True
    if account.state != Account.State.ACTIVE:
        return False
    return row.purpose != SignUp.Purpose.LINK or account.mobile_verified_at is not None


def _process(row: SignUp) -> str:
    matches = signup_match(last_name=row.last_name, first_name=row.first_name, mobile=row.mobile)
    account = matches[0] if len(matches) == 1 else None
    if account is None or not _may_receive(row, account):
        if account is None:
            outcome = SignUp.Outcome.AMBIGUOUS if matches else SignUp.Outcome.NONE
        elif account.state == Account.State.ACTIVE:
            outcome = SignUp.Outcome.UNVERIFIED
        else:
            outcome = SignUp.Outcome.DEACTIVATED
        audit_record(
            action="signup.none",
            target=account,
            ip=row.ip,
            data={"signup": row.pk, "outcome": str(outcome), "matches": len(matches)},
        )
        return outcome
    wait = throttle_check(SCOPE_CONTACT, row.mobile)
    if wait > 0:
        audit_record(
            action="signup.contact.throttled",
            target=account,
            ip=row.ip,
            data={"signup": row.pk, "wait": wait},
        )
        return SignUp.Outcome.THROTTLED
    throttle_fail(SCOPE_CONTACT, row.mobile)
    link = row.purpose == SignUp.Purpose.LINK
    if account.state == Account.State.ACTIVE and not link:
        message_queue(
            channel="sms",
            to=row.mobile,
            template="signup_known",
            context={
                "login": account.login,
                "url": _public_url(reverse("recovery:password_request")),
            },
            account=account,
            idempotency_key=f"signup_known:{row.pk}",
        )
        audit_record(
            action="signup.identifier.send", target=account, ip=row.ip, data={"signup": row.pk}
        )
        return SignUp.Outcome.IDENTIFIER
    code = code_new()
    valid_for = _minutes("SIGNUP_CODE_MINUTES")
    row.account = account
    row.code_digest = code_digest(_code_salt(row), code)
    row.code_expires_at = row.created_at + valid_for
    row.save(update_fields=["account", "code_digest", "code_expires_at"])
    context: dict[str, object] = {"code": code, "minutes": int(valid_for.total_seconds() // 60)}
    if link:
        context["provider"] = row.link_provider
    message_queue(
        channel="sms",
        to=row.mobile,
        template="signup_link_code" if link else "signup_code",
        context=context,
        account=account,
        idempotency_key=f"signup_code:{row.pk}",
    )
    audit_record(action="signup.code.send", target=account, ip=row.ip, data={"signup": row.pk})
    return SignUp.Outcome.CODE


# --- 3. The steps -------------------------------------------------------------------------------


class StepOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    EXPIRED = "expired"  # too late: start again
    EXHAUSTED = "exhausted"  # too many wrong codes: start again
    BLOCKED = "blocked"  # too many wrong birth dates: the school must help
    NO_BIRTH_DATE = "no_birth_date"  # a child without a birth date on record: the school
    REFUSED = "refused"  # the account changed meanwhile (activated, new number)
    UNAVAILABLE = "unavailable"  # a proof before a link: the account was deactivated meanwhile


@dataclass(frozen=True)
class StepResult:
    outcome: StepOutcome
    wait: int = 0
    tries_left: int = 0
    establishments: list[str] = field(default_factory=list)


_ENDED = {
    SignUp.EndReason.CODE_EXHAUSTED: StepOutcome.EXHAUSTED,
    SignUp.EndReason.BIRTH_DATES: StepOutcome.BLOCKED,
    SignUp.EndReason.NO_BIRTH_DATE: StepOutcome.NO_BIRTH_DATE,
    SignUp.EndReason.REFUSED: StepOutcome.REFUSED,
}


def signup_of(handle: str, *, lock: bool = False) -> SignUp | None:
    """The sign-up of this browser's handle (None: no such sign-up)."""
    if not handle:
        return None
    rows = SignUp.objects.select_for_update() if lock else SignUp.objects.all()
    return rows.filter(handle_digest=handle_digest(handle)).first()


def signup_problem(row: SignUp | None) -> StepOutcome | None:
    """Why this sign-up cannot go on (None: it can): ended, or past ``SIGNUP_MINUTES``."""
    if row is None:
        return StepOutcome.EXPIRED
    if row.ended_at is not None:
        return _ENDED.get(SignUp.EndReason(row.end_reason), StepOutcome.EXPIRED)
    if timezone.now() - row.created_at > _minutes("SIGNUP_MINUTES"):
        return StepOutcome.EXPIRED
    return None


def signup_end(row: SignUp, reason: str) -> None:
    """End this sign-up (the row locked by the caller) for ``reason``."""
    row.ended_at = timezone.now()
    row.end_reason = reason
    row.save(update_fields=["ended_at", "end_reason"])


def signup_code_verify(*, handle: str, code: str, request: HttpRequest | None = None) -> StepResult:
    """Check the code typed. Decided from the row alone (when it was asked, how many tries),
    the same whether a code was sent or not: a sign-up that matched nobody has no code, and
    every code typed for it is wrong."""
    address = client_ip(request)
    if address and (wait := throttle_check(SCOPE_CODE_ADDRESS, address)) > 0:
        return StepResult(StepOutcome.THROTTLED, wait=wait)
    limit = int(preau_setting("SIGNUP_CODE_ATTEMPTS"))
    with transaction.atomic():
        row = signup_of(handle, lock=True)
        problem = signup_problem(row)
        if problem is not None or row is None:
            return StepResult(problem or StepOutcome.EXPIRED)
        outcome = _code_check(row, code, request)
        if outcome is not StepOutcome.WRONG:
            return StepResult(outcome)
        row.code_attempts += 1
        row.save(update_fields=["code_attempts"])
        if row.code_attempts >= limit:
            signup_end(row, SignUp.EndReason.CODE_EXHAUSTED)
    if address:
        throttle_fail(SCOPE_CODE_ADDRESS, address)
    if row.code_attempts >= limit:
        return StepResult(StepOutcome.EXHAUSTED)
    return StepResult(StepOutcome.WRONG, tries_left=limit - row.code_attempts)


def _code_check(row: SignUp, code: str, request: HttpRequest | None) -> StepOutcome:
    """OK (now, or already: the same form sent twice), EXPIRED or WRONG; the row locked."""
    if row.code_verified_at is not None:
        return StepOutcome.OK
    if timezone.now() - row.created_at > _minutes("SIGNUP_CODE_MINUTES"):
        return StepOutcome.EXPIRED
    typed = code_digest(_code_salt(row), code)
    if not (row.code_digest and hmac.compare_digest(row.code_digest, typed)):
        return StepOutcome.WRONG
    row.code_verified_at = timezone.now()
    row.save(update_fields=["code_verified_at"])
    audit_record(
        action="signup.code.confirm", target=row.account, request=request, data={"signup": row.pk}
    )
    return StepOutcome.OK


def signup_children(row: SignUp) -> list[Guardianship]:
    """The guardian's current children (not refused), with their establishment, in order."""
    if row.account_id is None:
        return []
    return list(
        Guardianship.objects.current()
        .filter(guardian_id=row.account_id)
        .exclude(confirmation=Guardianship.Confirmation.REFUSED)
        .select_related("student", "establishment")
        .order_by("student__first_name", "student_id")
    )


def signup_establishments(row: SignUp) -> list[str]:
    """The names of the establishments the guardian belongs to: whom to contact."""
    if row.account_id is None:
        return []
    names = (
        Establishment.objects.filter(
            memberships__in=Membership.objects.current().filter(account_id=row.account_id)
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return list(names)


def _children_ready(
    row: SignUp | None, *, verified: bool = True
) -> tuple[StepOutcome | None, list[Guardianship]]:
    """The children to confirm, or why the sign-up cannot reach them (ending it when a child
    has no birth date on record, or when there is none at all)."""
    problem = signup_problem(row)
    if problem is not None or row is None:
        return problem or StepOutcome.EXPIRED, []
    if verified and row.code_verified_at is None:
        return StepOutcome.EXPIRED, []
    children = signup_children(row)
    if not children or any(g.student.birth_date is None for g in children):
        signup_end(row, SignUp.EndReason.NO_BIRTH_DATE)
        audit_record(
            action="signup.stopped",
            target=row.account,
            ip=row.ip,
            data={"signup": row.pk, "reason": SignUp.EndReason.NO_BIRTH_DATE.value},
        )
        return StepOutcome.NO_BIRTH_DATE, []
    return None, children


def signup_children_get(*, handle: str) -> tuple[StepResult, list[Guardianship]]:
    """The children whose birth dates the page asks (or why it cannot)."""
    with transaction.atomic():
        row = signup_of(handle, lock=True)
        problem, children = _children_ready(row)
        establishments = signup_establishments(row) if row is not None else []
    if problem is not None:
        return StepResult(problem, establishments=establishments), []
    return StepResult(StepOutcome.OK), children


def signup_children_confirm(
    *, handle: str, answers: dict[int, date], request: HttpRequest | None = None
) -> StepResult:
    """Check the birth date typed for every child (``answers``: guardianship id → date). One
    wrong date makes the page wrong (which one is not said); ``SIGNUP_BIRTH_DATE_ATTEMPTS``
    wrong pages stop the sign-up, and the person is told to contact the establishments."""
    limit = max(1, int(preau_setting("SIGNUP_BIRTH_DATE_ATTEMPTS")))
    with transaction.atomic():
        row = signup_of(handle, lock=True)
        problem, children = _children_ready(row)
        if problem is not None or row is None:
            return StepResult(problem or StepOutcome.EXPIRED, establishments=_names(row))
        if row.birth_dates_confirmed_at is not None:
            return StepResult(StepOutcome.OK)
        if all(answers.get(g.pk) == g.student.birth_date for g in children):
            row.birth_dates_confirmed_at = timezone.now()
            row.save(update_fields=["birth_dates_confirmed_at"])
            audit_record(
                action="signup.birth_dates.confirm",
                target=row.account,
                request=request,
                data={"signup": row.pk, "children": [g.student.login for g in children]},
            )
            return StepResult(StepOutcome.OK)
        row.birth_date_failures += 1
        row.save(update_fields=["birth_date_failures"])
        blocked = row.birth_date_failures >= limit
        audit_record(
            action="signup.birth_dates.blocked" if blocked else "signup.birth_dates.failure",
            target=row.account,
            request=request,
            data={"signup": row.pk, "failures": row.birth_date_failures},
        )
        if blocked:
            signup_end(row, SignUp.EndReason.BIRTH_DATES)
            return StepResult(StepOutcome.BLOCKED, establishments=_names(row))
    return StepResult(StepOutcome.WRONG, tries_left=limit - row.birth_date_failures)


def _names(row: SignUp | None) -> list[str]:
    return signup_establishments(row) if row is not None else []


def signup_step_due(row: SignUp | None) -> str:
    """The step this sign-up is at: ``code``, ``children``, ``charter``, ``password`` (a LINK
    sign-up: ``link`` instead of the last two) or ``problem`` (ended or too late). Each page
    sends elsewhere when it is not its turn."""
    if signup_problem(row) is not None or row is None:
        return "problem"
    if row.code_verified_at is None:
        return "code"
    if row.birth_dates_confirmed_at is None:
        return "children"
    if row.purpose == SignUp.Purpose.LINK:
        return "link"
    if charter_current_id() is not None and row.charter_version_id != charter_current_id():
        return "charter"
    return "password"


def signup_charter_accept(*, handle: str, version: CharterVersion) -> bool:
    """Record on the sign-up that the current charter was accepted (the account's acceptance
    is written at the last step). False when it is not this step's turn."""
    with transaction.atomic():
        row = signup_of(handle, lock=True)
        if signup_step_due(row) != "charter" or row is None:
            return False
        row.charter_version = version
        row.charter_accepted_at = timezone.now()
        row.save(update_fields=["charter_version", "charter_accepted_at"])
    return True


# --- 4. The end -----------------------------------------------------------------------------------


def signup_complete(
    *, handle: str, password: str, request: HttpRequest | None = None
) -> tuple[StepResult, Account | None]:
    """The last step, in one transaction: the charter accepted, the password (validated by the
    form) set, the mobile recorded as verified (the code proved it), the children's links
    confirmed, the account PROVISIONED → ACTIVE through the directory's transition (the
    letter's code dies, the letter-holder's sessions end with the new password), the
    identifier sent by SMS. Nothing is written when a step is missing or the account changed
    meanwhile (activated by its letter, another number): the sign-up then stops."""
    with transaction.atomic():
        row = signup_of(handle, lock=True)
        if signup_step_due(row) != "password" or row is None or row.account_id is None:
            return StepResult(signup_problem(row) or StepOutcome.EXPIRED), None
        account = Account.objects.select_for_update().get(pk=row.account_id)
        if account.state != Account.State.PROVISIONED or account.mobile != row.mobile:
            signup_end(row, SignUp.EndReason.REFUSED)
            audit_record(
                action="signup.stopped",
                target=account,
                request=request,
                data={"signup": row.pk, "reason": SignUp.EndReason.REFUSED.value},
            )
            return StepResult(StepOutcome.REFUSED, establishments=_names(row)), None
        _account_complete(row, account, password, request)
    return StepResult(StepOutcome.OK), account


def _account_complete(
    row: SignUp, account: Account, password: str, request: HttpRequest | None
) -> None:
    now = timezone.now()
    children = signup_children(row)
    if row.charter_version is not None:
        charter_accept(actor=account, account=account, version=row.charter_version, request=request)
    account_password_set(
        actor=account, account=account, password=password, request=request, reason="signup"
    )
    signup_proof_record(account=account, children=children, now=now)
    ActivationJourney.objects.update_or_create(
        account=account,
        defaults={
            "password_updated_at": now,
            "birth_date_confirmed_at": now,
            "contact_updated_at": now,
            "completed_at": now,
        },
        create_defaults={
            "started_at": row.created_at,
            "password_updated_at": now,
            "birth_date_confirmed_at": now,
            "contact_updated_at": now,
            "completed_at": now,
        },
    )
    account_activate(actor=account, account=account, request=request)
    message_queue(
        channel="sms",
        to=row.mobile,
        template="signup_done",
        context={"login": account.login},
        account=account,
        idempotency_key=f"signup_done:{row.pk}",
    )
    signup_end(row, SignUp.EndReason.DONE)
    audit_record(
        action="signup.complete",
        actor=account,
        target=account,
        request=request,
        data={
            "signup": row.pk,
            "children": [g.student.login for g in children],
            "mobile_verified": True,
        },
    )


def signup_proof_record(*, account: Account, children: list[Guardianship], now: datetime) -> None:
    """What a finished sign-up proved, written on the account (its caller holds the lock and
    writes the audit event): the mobile the code went to is verified, and so is every child's
    link whose birth date was given (``CONFIRMED``, its failures forgotten)."""
    Account.objects.filter(pk=account.pk).update(mobile_verified_at=now, updated_at=now)
    account.mobile_verified_at = now
    Guardianship.objects.filter(pk__in=[g.pk for g in children]).update(
        confirmation=Guardianship.Confirmation.CONFIRMED,
        confirmation_failures=0,
        confirmation_changed_at=now,
        updated_at=now,
    )


def signup_signin(*, request: HttpRequest, account: Account) -> None:
    """Sign the new account in (someone else's session on this browser is signed out first,
    as at the sign-in page); the session's other data (the sign-up's keys) is kept."""
    if SESSION_KEY in request.session and str(request.session[SESSION_KEY]) != str(account.pk):
        kept = dict(request.session.items())
        signout(request=request)
        for key, value in kept.items():
            if key.startswith("preau_signup"):
                request.session[key] = value
    login(request, account, backend=BACKEND_PATH)
    request.session[AUTH_METHOD_SESSION_KEY] = "signup"
    audit_record(
        action="signin.success",
        actor=account,
        target=account,
        request=request,
        data={"method": "signup"},
    )
