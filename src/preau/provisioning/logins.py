"""Identifiers (``login``): ``prenom.nom`` in lower-case ASCII, numbered on collision.

The rules, applied the same way to every name (see docs/import-formats.md):

* Only the usual first name is used (the first of the first names), and the last name.
* Letters are folded to ASCII: accents dropped (``é`` → ``e``, ``Nguyễn`` → ``nguyen``), ligatures
  and letters without a decomposition spelt out (``œ`` → ``oe``, ``ß`` → ``ss``, ``Ł`` → ``l``,
  ``Ø`` → ``o``), then lower-cased.
* Apostrophes vanish (``D'Artagnan`` → ``dartagnan``, ``N’Diaye`` → ``ndiaye``); every other run
  of characters that are not letters or digits (spaces, hyphens, dots, underscores…) becomes one
  hyphen, with none at either end: ``Jean Marc`` and ``Jean-Marc`` both give ``jean-marc``,
  ``Le Goff`` gives ``le-goff``.
* The two parts are joined by a dot:
  ``Jean-Marc D'Artagnan Le Goff`` → ``jean-marc.dartagnan-le-goff``.
  When one part folds to nothing (a name written only in a script without Latin letters), the
  other is used alone; when both do, the base is ``compte``.
* Each part is capped (first name 20, last name 30 characters, cut at a hyphen where possible)
  so that a login stays readable and fits the column with its number.
* Collisions are numbered from 2 with no separator: ``jean.dupont``, ``jean.dupont2``,
  ``jean.dupont3``… A login, once given, is never recomputed: a change of name keeps it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable

from preau.names import fold_ascii

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
FIRST_NAME_MAX = 20
LAST_NAME_MAX = 30
EMPTY_BASE = "compte"


@functools.lru_cache(maxsize=65536)
def login_part(value: str, max_length: int) -> str:
    """One part of a login: folded, separators as single hyphens, capped at ``max_length``."""
    part = _NOT_ALNUM.sub("-", fold_ascii(value)).strip("-")
    if len(part) > max_length:
        cut = part[:max_length]
        # Prefer to cut at a hyphen when it keeps at least half of the allowed length.
        hyphen = cut.rfind("-")
        if hyphen >= max_length // 2 and part[max_length] != "-":
            cut = cut[:hyphen]
        part = cut.strip("-")
    return part


def login_base(first_name: str, last_name: str) -> str:
    """The login a person would get without collision, e.g. ``jean-marc.dartagnan-le-goff``."""
    first = login_part(first_name, FIRST_NAME_MAX)
    last = login_part(last_name, LAST_NAME_MAX)
    if first and last:
        return f"{first}.{last}"
    return first or last or EMPTY_BASE


def logins_allocate(
    bases: Iterable[str],
    *,
    is_taken: Callable[[list[str]], set[str]],
    with_prefix: Callable[[list[str]], set[str]],
    reserved: set[str] | None = None,
) -> list[str]:
    """Give each base (in order) the first free login among ``base``, ``base2``, ``base3``…

    Two bulk lookups whatever the size of the file: ``is_taken(bases)`` returns which bases
    exist as logins; ``with_prefix(bases)`` returns every login starting with one of the bases
    that need a number (taken, or wanted twice). ``reserved`` holds logins given earlier in the
    same run. Two people with the same base (twins, homonyms) get distinct logins, the first in
    file order getting the bare base.
    """
    wanted = list(bases)
    counts = Counter(wanted)
    used: set[str] = set(reserved or ())
    distinct = sorted(counts)
    existing = is_taken(distinct) if distinct else set()
    crowded = [base for base in distinct if base in existing or counts[base] > 1]
    if crowded:
        existing |= with_prefix(crowded)
    result: list[str] = []
    next_number: dict[str, int] = {}
    for base in wanted:
        number = next_number.get(base, 1)
        while True:
            candidate = base if number == 1 else f"{base}{number}"
            number += 1
            if candidate not in existing and candidate not in used:
                break
        used.add(candidate)
        result.append(candidate)
        next_number[base] = number
    return result
