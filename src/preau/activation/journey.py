"""The journey's state in the session: the plan of steps (for "Étape 2 sur 4"), where to go
when it ends, and whether the closing page is due. The durable state (what was done) is in the
database (``ActivationJourney``); this is only the view of one sitting.

Every session key of the first connection is here. The mark of a session whose owner must
choose a new password before anything else is the sign-in's (``PASSWORD_CHANGE_SESSION_KEY``
in :mod:`preau.signin.passwords`, beside the password write that clears it): recovery sets it,
the journey only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The steps of this sitting, in order (journey_plan).
PLAN_KEY = "preau_journey_plan"
# Where to go when the journey ends (journey_next_set, from ?next=).
NEXT_KEY = "preau_journey_next"
# The closing page is due (the journey ended in this sitting).
DONE_KEY = "preau_journey_done"
# This sitting began with the account still PROVISIONED: a first connection, not a new charter.
FIRST_KEY = "preau_journey_first"
# Nothing is pending for this token (account, charter version, password mark): the
# middleware's remembered answer, so that an ordinary page costs no query.
CLEAR_SESSION_KEY = "preau_required_actions_clear"


@dataclass(frozen=True)
class Progress:
    number: int  # 1-based
    total: int
    next_action: str | None


def journey_plan(session: Any, pending: list[str], planned: list[str] | None = None) -> list[str]:
    """The steps of this sitting: those ``planned`` (else pending) when it began, plus any that
    appeared since."""
    plan: list[str] = list(session.get(PLAN_KEY) or [])
    if not plan or any(action not in plan for action in pending):
        done = [action for action in plan if action not in pending]
        plan = done + [a for a in (planned or pending) if a not in done]
        for action in pending:
            if action not in plan:
                plan.append(action)
        session[PLAN_KEY] = plan
    return plan


def journey_pages(plan: list[str], steps: list[tuple[str, ...]] | None = None) -> list[list[str]]:
    """The plan cut into pages: actions configured in one group (``steps``) share a page, so
    they count as one step of "Étape N sur M"."""
    pages: list[list[str]] = []
    current: tuple[str, ...] | None = None
    for action in plan:
        group = next((g for g in steps or [] if action in g), (action,))
        if pages and group == current:
            pages[-1].append(action)
        else:
            pages.append([action])
            current = group
    return pages


def journey_progress(
    session: Any,
    pending: list[str],
    action: str,
    planned: list[str] | None = None,
    steps: list[tuple[str, ...]] | None = None,
) -> Progress:
    plan = journey_plan(session, pending, planned)
    pages = journey_pages(plan, steps)
    index = next((i for i, page in enumerate(pages) if action in page), len(pages) - 1)
    later = pages[index + 1 :]
    return Progress(number=index + 1, total=len(pages), next_action=later[0][0] if later else None)


def journey_forget(session: Any) -> None:
    """Start afresh (after a sign-in); keeps where to go next. The next page decides again
    what is pending."""
    for key in (PLAN_KEY, DONE_KEY, CLEAR_SESSION_KEY):
        session.pop(key, None)


def journey_next_set(session: Any, url: str) -> None:
    session[NEXT_KEY] = url


def journey_next_pop(session: Any, default: str = "/") -> str:
    return str(session.pop(NEXT_KEY, None) or default)


def journey_next_peek(session: Any, default: str = "/") -> str:
    return str(session.get(NEXT_KEY) or default)
