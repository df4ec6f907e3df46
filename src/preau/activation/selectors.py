"""Reads of the first connection: which required actions are pending, the charter, the subject
of the birth-date question, e-mail proofs.

:func:`required_actions_pending` is the one place that decides what a signed-in person must do
before reaching anything else. The middleware calls it for every page, and the CAS and OIDC
code calls it before issuing a ticket or a code (then sends the browser to
``reverse("activation:continue") + "?next=" + <the URL to come back to>``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from preau.activation.models import (
    ActivationJourney,
    CharterAcceptance,
    CharterVersion,
    EmailVerification,
)
from preau.conf import preau_setting
from preau.directory.models import Account, Guardianship, Membership
from preau.directory.selectors import children_to_confirm_exist
from preau.signin.passwords import PASSWORD_CHANGE_SESSION_KEY
from preau.signin.services import FEDERATED_SESSION_KEY


class Action(enum.StrEnum):
    ACCEPT_CHARTER = "ACCEPT_CHARTER"
    UPDATE_PASSWORD = "UPDATE_PASSWORD"  # noqa: S105 - an action's name
    CONFIRM_BIRTH_DATE = "CONFIRM_BIRTH_DATE"
    UPDATE_CONTACT = "UPDATE_CONTACT"
    VERIFY_EMAIL = "VERIFY_EMAIL"
    # Not configured: asked of anyone whose account has a child waiting for confirmation
    # (a link an import gave an active guardian), after the configured steps.
    CONFIRM_CHILDREN = "CONFIRM_CHILDREN"


# Actions derived for everyone, never listed in ``PREAU["REQUIRED_ACTIONS"]``.
DERIVED_ACTIONS = frozenset({Action.CONFIRM_CHILDREN.value})


DEFAULT_PROFILE = "default"
_CHARTER_CACHE_KEY = "activation:charter:current"
_CHARTER_CACHE_SECONDS = 300


def required_actions_steps_config() -> dict[str, list[tuple[str, ...]]]:
    """``PREAU["REQUIRED_ACTIONS"]`` as steps, checked. A step is one action (``"ACCEPT_CHARTER"``)
    or a list of actions shown together on one page (``["UPDATE_PASSWORD", "UPDATE_CONTACT"]``).
    Refused: unknown profiles or actions, an action twice in a profile, an empty group, and
    VERIFY_EMAIL grouped with others (it is a link sent by mail, not a field)."""
    config = preau_setting("REQUIRED_ACTIONS")
    if not isinstance(config, dict):
        raise ImproperlyConfigured("PREAU['REQUIRED_ACTIONS'] must map profiles to lists")
    known_profiles = {*Membership.Profile.values, DEFAULT_PROFILE}
    known_actions = {a.value for a in Action} - DERIVED_ACTIONS
    checked: dict[str, list[tuple[str, ...]]] = {}
    for profile, steps in config.items():
        where = f"PREAU['REQUIRED_ACTIONS'][{profile!r}]"
        if profile not in known_profiles:
            raise ImproperlyConfigured(
                f"PREAU['REQUIRED_ACTIONS']: unknown profile {profile!r} "
                f"(known: {', '.join(sorted(known_profiles))})"
            )
        if not isinstance(steps, list | tuple):
            raise ImproperlyConfigured(f"{where} must be a list of steps")
        groups: list[tuple[str, ...]] = []
        for step in steps:
            group = (step,) if isinstance(step, str) else step
            if not isinstance(group, list | tuple) or not group:
                raise ImproperlyConfigured(
                    f"{where}: a step is an action or a non-empty list of actions, not {step!r}"
                )
            unknown = [a for a in group if a not in known_actions]
            if unknown:
                raise ImproperlyConfigured(
                    f"{where}: unknown action(s) {unknown} "
                    f"(known: {', '.join(sorted(known_actions))})"
                )
            if len(group) > 1 and Action.VERIFY_EMAIL in group:
                raise ImproperlyConfigured(
                    f"{where}: VERIFY_EMAIL cannot share a page with other actions (it is a "
                    "link sent by mail, not a form field): make it a step of its own"
                )
            groups.append(tuple(str(a) for a in group))
        flat = [a for group in groups for a in group]
        twice = sorted({a for a in flat if flat.count(a) > 1})
        if twice:
            raise ImproperlyConfigured(f"{where}: action(s) {twice} appear more than once")
        checked[profile] = groups
    return checked


def required_actions_config() -> dict[str, list[str]]:
    """``PREAU["REQUIRED_ACTIONS"]``, checked, each profile's actions in order (groups
    flattened): unknown actions or profiles are refused."""
    return {
        profile: [a for group in groups for a in group]
        for profile, groups in required_actions_steps_config().items()
    }


def account_profiles(account: Account) -> set[str]:
    """The profiles of the account's current memberships (``eleve``, ``responsable``…)."""
    return set(
        Membership.objects.current().filter(account=account).values_list("profile", flat=True)
    )


def required_actions_configured(account: Account) -> list[str]:
    """The actions configured for this person, in order: the steps of the first profile (in
    the configuration's order) they hold, then the other profiles' remaining steps."""
    return [a for group in required_actions_steps(account) for a in group]


def required_actions_steps(account: Account) -> list[tuple[str, ...]]:
    """The configured steps for this person, each a tuple of the actions shown on one page, in
    the order of :func:`required_actions_configured` (another profile's remaining actions keep
    their grouping, without the actions already placed)."""
    return required_actions_steps_for(account_profiles(account))


def required_actions_steps_for(profiles: Iterable[str]) -> list[tuple[str, ...]]:
    """The configured steps of someone holding ``profiles`` (see
    :func:`required_actions_steps`): what the credential letters announce, for many people
    at once, without reading their memberships again."""
    config = required_actions_steps_config()
    held = set(profiles)
    chosen = [p for p in config if p in held] or [DEFAULT_PROFILE]
    placed: set[str] = set()
    steps: list[tuple[str, ...]] = []
    for profile in chosen:
        for group in config.get(profile, []):
            remaining = tuple(a for a in group if a not in placed)
            if remaining:
                steps.append(remaining)
                placed.update(remaining)
    return steps


def action_group(steps: list[tuple[str, ...]], action: str) -> tuple[str, ...]:
    """The step (tuple of actions) ``action`` belongs to; alone when not configured."""
    for group in steps:
        if action in group:
            return group
    return (action,)


def email_proof_required() -> bool:
    return bool(preau_setting("EMAIL_PROOF_REQUIRED"))


# --- Charter ------------------------------------------------------------------------------------


def charter_current_id() -> int | None:
    """The id of the current (latest published) charter version; cached, cleared on publish."""
    cached = cache.get(_CHARTER_CACHE_KEY)
    if cached is None:
        cached = (
            CharterVersion.objects.filter(published_at__isnull=False)
            .order_by("-number")
            .values_list("pk", flat=True)
            .first()
        ) or 0
        cache.set(_CHARTER_CACHE_KEY, cached, _CHARTER_CACHE_SECONDS)
    return int(cached) or None


def charter_cache_clear() -> None:
    cache.delete(_CHARTER_CACHE_KEY)


def charter_current() -> CharterVersion | None:
    version_id = charter_current_id()
    if version_id is None:
        return None
    return CharterVersion.objects.filter(pk=version_id).first()


def charter_acceptance_of(account: Account, version: CharterVersion | None) -> Any:
    """The account's acceptance of ``version`` (None if not accepted or no version)."""
    if version is None:
        return None
    return CharterAcceptance.objects.filter(account=account, version=version).first()


def charter_accepted(account: Account, version_id: int) -> bool:
    return CharterAcceptance.objects.filter(account=account, version_id=version_id).exists()


def charter_accepted_before(account: Account, version: CharterVersion) -> bool:
    """Whether the account accepted an earlier version than ``version``: only then has the
    charter "changed" for them (a first charter published after their activation has not)."""
    return CharterAcceptance.objects.filter(
        account=account, version__number__lt=version.number
    ).exists()


# --- Birth date ---------------------------------------------------------------------------------


def birth_date_max_failures() -> int:
    """``PREAU["BIRTH_DATE_MAX_FAILURES"]``: wrong birth dates one journey takes (at least 1)."""
    return max(1, int(preau_setting("BIRTH_DATE_MAX_FAILURES")))


def birth_date_blocked(journey: ActivationJourney | None) -> bool:
    """Whether the journey's birth-date step was blocked (refused too many times)."""
    return (
        journey is not None
        and journey.birth_date_blocked_at is not None
        and journey.birth_date_confirmed_at is None
    )


def birth_date_subject(account: Account, journey: ActivationJourney | None) -> Account | None:
    """Whose birth date the person confirms: their own (a student), else one child's (a
    guardian: the child already chosen for this journey, or the first with a known birth date,
    among confirmed links: a child the guardian refused or has not confirmed is never named).
    None when there is nothing to confirm."""
    if (
        account.birth_date is not None
        and Membership.objects.current()
        .filter(account=account, profile=Membership.Profile.STUDENT)
        .exists()
    ):
        return account
    if journey is not None and journey.birth_date_subject_id is not None:
        chosen = Account.objects.filter(pk=journey.birth_date_subject_id).first()
        if chosen is not None and chosen.birth_date is not None:
            return chosen
    guardianship = (
        Guardianship.objects.confirmed()
        .filter(guardian=account, student__birth_date__isnull=False)
        .select_related("student")
        .order_by("student_id")
        .first()
    )
    if guardianship is not None:
        return guardianship.student
    if (
        account.birth_date is not None
        and not Guardianship.objects.filter(guardian=account).exists()
    ):
        # Neither student nor guardian (staff…) but the school gave a birth date: their own.
        return account
    return None


def birth_date_asked(account_ids: Iterable[int]) -> set[int]:
    """Of ``account_ids``, those whose first connection (with a new code: a fresh journey) asks
    a birth date, by the rules of :func:`birth_date_subject`, in three queries whatever their
    number: a student with a known birth date; anyone with a current child whose birth date is
    known; someone neither (staff…) whose own birth date is known."""
    ids = sorted(set(account_ids))
    if not ids:
        return set()
    students = set(
        Membership.objects.current()
        .filter(
            account_id__in=ids,
            profile=Membership.Profile.STUDENT,
            account__birth_date__isnull=False,
        )
        .values_list("account_id", flat=True)
    )
    parents = set(
        Guardianship.objects.confirmed()
        .filter(guardian_id__in=ids, student__birth_date__isnull=False)
        .values_list("guardian_id", flat=True)
    )
    ever_guardians = set(
        Guardianship.objects.filter(guardian_id__in=ids).values_list("guardian_id", flat=True)
    )
    own = set(
        Account.objects.filter(pk__in=ids, birth_date__isnull=False).values_list("pk", flat=True)
    )
    return students | parents | (own - ever_guardians)


def first_connection_steps(*, profiles: Iterable[str], birth_date: bool) -> list[tuple[str, ...]]:
    """The pages a person holding ``profiles`` goes through at a first connection started with
    a new activation code, as :func:`required_actions_pending` will ask them: the configured
    steps, without the charter when none is published and without the birth date when
    ``birth_date`` is false (see :func:`birth_date_asked`). VERIFY_EMAIL stays when configured:
    required (``EMAIL_PROOF_REQUIRED``) or offered once an address is given."""
    skipped = set()
    if charter_current_id() is None:
        skipped.add(Action.ACCEPT_CHARTER.value)
    if not birth_date:
        skipped.add(Action.CONFIRM_BIRTH_DATE.value)
    steps = []
    for group in required_actions_steps_for(profiles):
        kept = tuple(a for a in group if a not in skipped)
        if kept:
            steps.append(kept)
    return steps


# --- E-mail proof -------------------------------------------------------------------------------


def email_verification_latest(account: Account, purpose: str) -> EmailVerification | None:
    return (
        EmailVerification.objects.filter(account=account, purpose=purpose)
        .order_by("-created_at", "-pk")
        .first()
    )


def email_change_pending(account: Account) -> EmailVerification | None:
    """A change of address waiting for its link (live, not superseded), if any."""
    latest = email_verification_latest(account, EmailVerification.Purpose.CHANGE)
    if latest is None or latest.ended_at is not None or latest.expires_at <= timezone.now():
        return None
    return latest


# --- Required actions ---------------------------------------------------------------------------


def journey_of(account: Account) -> ActivationJourney | None:
    return ActivationJourney.objects.filter(account=account).first()


def required_actions_pending(
    account: Any, session: SessionBase | dict[str, Any] | None = None
) -> list[str]:
    """What ``account`` must still do, in the configured order (empty: nothing, go ahead).

    Before activation (state PROVISIONED) every configured step whose condition holds is
    pending until done; after it, only a charter version not yet accepted and a password change
    asked for in the session can come back (an active account without a local password, such
    as one that signs in through a federation, is not asked for one): ``session`` is the
    person's session, and one marked with :data:`PASSWORD_CHANGE_SESSION_KEY` asks for a new
    password whatever the state. Last, once the account is active, ``CONFIRM_CHILDREN`` while
    a child the school's files gave the person waits for its birth date (never configured: see
    :data:`DERIVED_ACTIONS`; a first connection never waits for it, the next page asks).
    """
    if not getattr(account, "is_authenticated", False) or not isinstance(account, Account):
        return []
    if account.state == Account.State.DEACTIVATED:
        return []
    pending = _configured_pending(account, session)
    if account.state == Account.State.ACTIVE and children_to_confirm_exist(account):
        pending.append(Action.CONFIRM_CHILDREN)
    return pending


def _configured_pending(
    account: Account, session: SessionBase | dict[str, Any] | None
) -> list[str]:
    """The configured actions :func:`required_actions_pending` finds pending, in order."""
    configured = required_actions_configured(account)
    provisioned = account.state == Account.State.PROVISIONED
    journey = journey_of(account) if provisioned else None
    must_change = bool(session) and bool(session.get(PASSWORD_CHANGE_SESSION_KEY))  # type: ignore[union-attr]
    # A session opened through a federation needs no local password: the person signs in at
    # the provider (issue 15, part 3); "Mon compte" can add one later.
    federated = bool(session) and bool(session.get(FEDERATED_SESSION_KEY))  # type: ignore[union-attr]
    pending: list[str] = []
    for action in configured:
        if action == Action.ACCEPT_CHARTER:
            version_id = charter_current_id()
            if version_id is not None and not charter_accepted(account, version_id):
                pending.append(action)
        elif action == Action.UPDATE_PASSWORD:
            updated = journey is not None and journey.password_updated_at is not None
            if must_change or (provisioned and not updated and not federated):
                pending.append(action)
        elif not provisioned:
            continue
        elif action == Action.CONFIRM_BIRTH_DATE:
            if (journey is None or journey.birth_date_confirmed_at is None) and (
                birth_date_subject(account, journey) is not None
            ):
                pending.append(action)
        elif action == Action.UPDATE_CONTACT:
            if journey is None or journey.contact_updated_at is None:
                pending.append(action)
        elif action == Action.VERIFY_EMAIL and account.email_verified_at is None:
            if email_proof_required():
                pending.append(action)
            elif account.email and (journey is None or journey.email_step_seen_at is None):
                pending.append(action)
    return pending


def required_actions_planned(account: Account, pending: list[str]) -> list[str]:
    """The steps to announce ("Étape 2 sur 5"): the pending ones, plus VERIFY_EMAIL when a
    pending contact step before it may give an address to prove."""
    if Action.VERIFY_EMAIL in pending or Action.UPDATE_CONTACT not in pending:
        return list(pending)
    configured = required_actions_configured(account)
    if Action.VERIFY_EMAIL not in configured or configured.index(
        Action.VERIFY_EMAIL
    ) < configured.index(Action.UPDATE_CONTACT):
        return list(pending)
    return [a for a in configured if a in pending or a == Action.VERIFY_EMAIL]
