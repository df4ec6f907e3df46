"""Writes of the portal (the registry itself is edited by operators in the Django admin)."""

from __future__ import annotations

from typing import Any

from preau.directory.models import Establishment
from preau.portal.selectors import ESTABLISHMENT_SESSION_KEY, establishments_of


def establishment_choose(
    *, actor: Any, session: Any, establishment_id: int
) -> Establishment | None:
    """ "Mes portails": make ``establishment_id`` the current establishment of ``actor``'s
    session, if it is one of theirs (else nothing changes and None is returned)."""
    chosen = next((e for e in establishments_of(actor) if e.pk == establishment_id), None)
    if chosen is not None:
        session[ESTABLISHMENT_SESSION_KEY] = chosen.uai
    return chosen
