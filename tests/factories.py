"""Accounts in any state, built through the directory's own moves (never by assigning state).

``account_factory(state=Account.State.ACTIVE, password="...")`` creates a PROVISIONED account
(:func:`~preau.directory.transitions.account_create_provisioned`), gives it its password and
activates it; DEACTIVATED goes one move further. With ``establishment`` the person gets a
current membership there (``profile``, a student by default).
"""

from __future__ import annotations

import itertools
from typing import Any

from preau.directory.models import Account, Establishment, Membership
from preau.directory.transitions import (
    Move,
    account_activate,
    account_create_provisioned,
    accounts_transition,
)

PASSWORD = "Un-mot-de-passe-2024"  # noqa: S105 - a test password
_numbers = itertools.count(1)


def account_factory(
    *,
    state: str = Account.State.PROVISIONED,
    login: str = "",
    password: str | None = PASSWORD,
    establishment: Establishment | None = None,
    profile: str = Membership.Profile.STUDENT,
    **attributes: Any,
) -> Account:
    """One account in ``state``; ``password`` is set for ACTIVE and DEACTIVATED (``None``: an
    unusable password, as after a lost one)."""
    number = next(_numbers)
    attributes.setdefault("first_name", "Prénom")
    attributes.setdefault("last_name", f"Nom{number}")
    account = account_create_provisioned(
        actor=None, login=login or f"personne.{number}", establishment=establishment, **attributes
    )
    if establishment is not None:
        Membership.objects.create(
            account=account, establishment=establishment, profile=profile, school_year=2024
        )
    if state == Account.State.PROVISIONED:
        return account
    if password is not None:
        account.set_password(password)
        account.save(update_fields=["password", "updated_at"])
    account_activate(actor=None, account=account)
    if state == Account.State.DEACTIVATED:
        accounts_transition(
            move=Move.DEACTIVATE, accounts=[account], actor=None, action="account.deactivate"
        )
    elif state == Account.State.MERGED:
        # A bare merged account (the state alone; preau.directory.merges moves the rest).
        accounts_transition(move=Move.MERGE, accounts=[account], actor=None, action="account.merge")
    elif state != Account.State.ACTIVE:
        raise ValueError(f"unknown state {state!r}")
    account.refresh_from_db()
    return account
