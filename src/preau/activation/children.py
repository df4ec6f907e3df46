"""Children waiting for their guardian's confirmation: the ``CONFIRM_CHILDREN`` required
action and "Mes enfants" (``preau.account``) share these.

The state of a link is the directory's (:mod:`preau.directory.guardianships`: three wrong
dates freeze one link). Above it, guessing is slowed here as at the first connection's
birth-date step, with the same throttle scopes (per account and per address; the console's
"lever les blocages" lifts the account's): someone with many pending links, or many
accounts, cannot try dates quickly.

:func:`children_answer` reads the POST of a page listing pending children: each child has its
own form (prefix ``enfant-<id>``), a "Valider" button (``action=confirm``) and a refusal in two
steps (``action=refuse_ask`` shows what refusing means, ``action=refuse`` does it), so that
the pages work without JavaScript.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.activation.forms import ChildBirthDateForm
from preau.activation.services import SCOPE_BIRTH_DATE_ACCOUNT, SCOPE_BIRTH_DATE_ADDRESS
from preau.audit.services import client_ip
from preau.directory.guardianships import (
    ConfirmOutcome,
    ConfirmResult,
    guardianship_confirm,
    guardianship_refuse,
)
from preau.directory.models import Account, Guardianship
from preau.signin.throttle import throttle_check, throttle_fail, throttle_reset, wait_message


@dataclass(frozen=True)
class ChildAnswer:
    """:func:`child_birth_date_confirm`'s answer: the directory's result, or a wait."""

    result: ConfirmResult | None
    wait: int = 0


def _keys(account: Account, request: HttpRequest | None) -> list[tuple[str, str]]:
    keys = [(SCOPE_BIRTH_DATE_ACCOUNT, str(account.pk))]
    address = client_ip(request)
    if address:
        keys.append((SCOPE_BIRTH_DATE_ADDRESS, address))
    return keys


def child_birth_date_confirm(
    *, actor: Account, guardianship_id: int, answer: date, request: HttpRequest | None = None
) -> ChildAnswer:
    """:func:`~preau.directory.guardianships.guardianship_confirm`, throttled: while the
    account or the address must wait, nothing is checked (``wait`` > 0); a wrong date makes
    the next ones wait, a right one forgets the account's failures."""
    keys = _keys(actor, request)
    wait = max(throttle_check(scope, key) for scope, key in keys)
    if wait > 0:
        return ChildAnswer(None, wait)
    result = guardianship_confirm(
        guardian=actor, guardianship_id=guardianship_id, birth_date=answer, request=request
    )
    if result.outcome in (ConfirmOutcome.WRONG, ConfirmOutcome.FROZEN):
        for scope, key in keys:
            throttle_fail(scope, key)
    elif result.outcome is ConfirmOutcome.CONFIRMED:
        throttle_reset(SCOPE_BIRTH_DATE_ACCOUNT, str(actor.pk))
    return ChildAnswer(result)


class Done(enum.Enum):
    CONFIRMED = "confirmed"
    FROZEN = "frozen"
    REFUSED = "refused"


@dataclass
class ChildrenPage:
    """What a page of pending children shows after a POST (or a GET: nothing done)."""

    forms: dict[int, ChildBirthDateForm] = field(default_factory=dict)
    # The link whose refusal waits for the second button ("refuse_ask").
    refusing: int | None = None
    status: int = 200
    wait: int = 0
    # Something changed: the page says it (a message) and is shown again (a redirect).
    done: Done | None = None
    child_name: str = ""


def children_forms(links: list[Guardianship], data: object = None) -> dict[int, ChildBirthDateForm]:
    return {link.pk: ChildBirthDateForm(data, prefix=f"enfant-{link.pk}") for link in links}


def _wrong(tries_left: int) -> str:
    wrong = _(
        "Cette date ne correspond pas à celle que l'établissement connaît. Vérifiez-la ; si "
        "elle est juste, contactez l'établissement."
    )
    left = ngettext(
        "Il vous reste %(count)d essai\u00a0: ensuite, le rattachement sera bloqué et "
        "l'établissement vérifiera.",
        "Il vous reste %(count)d essais\u00a0: ensuite, le rattachement sera bloqué et "
        "l'établissement vérifiera.",
        tries_left,
    ) % {"count": tries_left}
    return f"{wrong} {left}"


def children_answer(
    request: HttpRequest, account: Account, links: list[Guardianship]
) -> ChildrenPage:
    """Read the POST of a page listing ``links`` (the account's pending children) and act."""
    page = ChildrenPage(forms=children_forms(links))
    if request.method != "POST":
        return page
    try:
        link_id = int(request.POST.get("enfant", ""))
    except ValueError:
        link_id = 0
    link = next((candidate for candidate in links if candidate.pk == link_id), None)
    if link is None:  # answered meanwhile, or never theirs: show the page as it is now
        page.status = 400
        return page
    page.child_name = link.student.first_name
    action = request.POST.get("action", "")
    if action == "refuse_ask":
        page.refusing = link.pk
    elif action == "refuse":
        _refuse(request, account, link, page)
    elif action == "confirm":
        _confirm(request, account, link, page)
    return page


def _refuse(request: HttpRequest, account: Account, link: Guardianship, page: ChildrenPage) -> None:
    try:
        refused = guardianship_refuse(guardian=account, guardianship_id=link.pk, request=request)
    except PermissionDenied:
        refused = False
    if refused:
        page.done = Done.REFUSED
    else:
        page.status = 400


def _confirm(
    request: HttpRequest, account: Account, link: Guardianship, page: ChildrenPage
) -> None:
    form = ChildBirthDateForm(request.POST, prefix=f"enfant-{link.pk}")
    page.forms[link.pk] = form
    if not form.is_valid():
        page.status = 400
        return
    try:
        answer = child_birth_date_confirm(
            actor=account,
            guardianship_id=link.pk,
            answer=form.cleaned_data["birth_date"],
            request=request,
        )
    except ValidationError as exc:
        form.add_error("birth_date", exc)
        page.status = 400
        return
    except PermissionDenied:
        page.status = 400
        return
    if answer.result is None:
        form.add_error("birth_date", wait_message(answer.wait))
        page.status, page.wait = 429, answer.wait
        return
    outcome = answer.result.outcome
    if outcome is ConfirmOutcome.CONFIRMED:
        page.done = Done.CONFIRMED
    elif outcome is ConfirmOutcome.FROZEN:
        page.done = Done.FROZEN
    elif outcome is ConfirmOutcome.WRONG:
        form.add_error("birth_date", _wrong(answer.result.tries_left))
        page.status = 400
    else:  # no longer pending (answered in another tab)
        page.status = 400


def children_done_message(page: ChildrenPage) -> str:
    """What the page says after a change (a message shown on the next page)."""
    name = page.child_name
    if page.done is Done.CONFIRMED:
        return _("%(name)s est maintenant rattaché(e) à votre compte.") % {"name": name}
    if page.done is Done.FROZEN:
        return _(
            "La date de naissance a été refusée trop de fois : le rattachement de %(name)s "
            "est bloqué. L'établissement en a été informé et va vérifier ; vous pouvez aussi "
            "contacter son secrétariat."
        ) % {"name": name}
    return _(
        "C'est noté : %(name)s ne sera pas rattaché(e) à votre compte. L'établissement en a "
        "été informé et va vérifier ses fichiers."
    ) % {"name": name}
