"""The dashboard's tables of accounts by state, as the template shows them.

Each row links to the account search filtered on it, and each count to the same search narrowed
to one state, with a label that says what the number is for screen readers ("12 en attente en
5eB"): built here once for both tables (per class, per profile) instead of twice in the
template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from preau.directory.selectors import StateCounts

# The state filter of the account search, and the attribute of StateCounts it counts.
_STATES = (("active", "active"), ("provisioned", "pending"), ("deactivated", "deactivated"))


@dataclass(frozen=True)
class StateCell:
    count: int
    href: str
    label: str  # what the figure is, for screen readers


@dataclass(frozen=True)
class StateRow:
    label: str
    href: str
    cells: list[StateCell]
    total: int


@dataclass(frozen=True)
class StateTable:
    caption: str
    heading: str  # the first column's
    rows: list[StateRow]
    total: StateCounts | None = None  # a footer row, when given


def state_rows(
    counts: Iterable[StateCounts],
    *,
    search_url: str,
    filters: dict[str, str],
    key_param: str,
    cell_labels: tuple[str, str, str],
) -> list[StateRow]:
    """One row per ``counts`` entry; ``filters`` + ``{key_param: row.key}`` select the row in
    the search; ``cell_labels`` are the screen-reader texts of the three states, formatted with
    ``n`` (the count) and ``label`` (the row's)."""
    rows = []
    for row in counts:
        query = {**filters, key_param: row.key}
        cells = [
            StateCell(
                count=getattr(row, attribute),
                href=f"{search_url}?{urlencode({**query, 'etat': state})}",
                label=text % {"n": getattr(row, attribute), "label": row.label},
            )
            for (state, attribute), text in zip(_STATES, cell_labels, strict=True)
        ]
        rows.append(
            StateRow(
                label=row.label,
                href=f"{search_url}?{urlencode(query)}",
                cells=cells,
                total=row.total,
            )
        )
    return rows


def class_labels() -> tuple[str, str, str]:
    return (
        _("%(n)s activés en %(label)s"),
        _("%(n)s en attente en %(label)s"),
        _("%(n)s désactivés en %(label)s"),
    )


def profile_labels() -> tuple[str, str, str]:
    return (
        _("%(n)s activés : %(label)s"),
        _("%(n)s en attente : %(label)s"),
        _("%(n)s désactivés : %(label)s"),
    )
