"""Querysets of the API's hot paths compiled to SQL once per thread, database and day.

Every bearer request looks its device up and ``/me`` or ``/services`` read the person's
memberships and children: Django building and compiling those querysets cost several times
what the database spends answering them (bench/RESULTS.md, "Mobile API"). As
:class:`preau.db.CompiledQuery` does for the sign-in, a query here is built once with a marker
in place of its one parameter, compiled, and then run with the real value in the marker's
place. Two differences, for these queries:

* the "current" rule (:func:`preau.directory.models.current_q`) puts today's date in the SQL
  when the queryset is built, so the compiled SQL is kept for the day it was built on and built
  again the next day;
* rows come back either as tuples (a ``values_list`` queryset: :meth:`Compiled.rows`) or as
  instances with their ``select_related`` relations (:meth:`Compiled.first`), made by Django's
  own converters and populators.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.utils import timezone

# Stand-ins for the parameter while the queryset is compiled: an id no row has (negative, yet
# within a 32-bit integer, which Django's lookups would otherwise turn into "no row"), and a
# text no digest is.
ID_MARKER = -1_987_654_321
TEXT_MARKER = "\x00preau-mobile-compiled-parameter\x00"


@dataclass(frozen=True)
class _Statement:
    compiler: Any
    sql: str
    params: list[Any]
    position: int  # the marker's place in ``params`` (-1: no parameter)
    converters: dict[int, Any]  # Django's converters of the selected columns
    day: tuple[float, float]  # the local day it was built on (timestamps of its midnights)
    names: list[str]  # a model query's: the columns of its model, their slice of a row
    start: int
    end: int
    populators: list[Any]  # its select_related relations


def _today() -> tuple[float, float]:
    """Today's local midnight and the next one, as timestamps: the SQL holds today's date."""
    today, zone = timezone.localdate(), timezone.get_current_timezone()
    midnights = (today, today + timedelta(days=1))
    start, end = (datetime.combine(d, dt_time.min, tzinfo=zone).timestamp() for d in midnights)
    return start, end


def _model_columns(compiler: Any, using: str) -> tuple[list[str], int, int, list[Any]]:
    """How ``QuerySet.__iter__`` makes instances of a row (nothing for a values query)."""
    klass_info = compiler.klass_info
    if klass_info is None:
        return [], 0, 0, []
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [column[0].target.attname for column in compiler.select[start:end]]
    # django-stubs describe a later Django, whose populators also take a fetch mode.
    populators = get_related_populators(klass_info, compiler.select, using)  # type: ignore[call-arg]
    return names, start, end, list(populators)


class Compiled:
    """``build(marker)`` → a queryset using its parameter exactly once; run it with a value.
    With ``marker=None`` the queryset takes no parameter (``build(None)``, ``rows()``)."""

    def __init__(self, build: Callable[[Any], QuerySet[Any]], marker: Any = ID_MARKER) -> None:
        self._build = build
        self._marker = marker
        self._local = threading.local()

    def _compiled(self, using: str) -> _Statement:
        statements: dict[str, _Statement] = self._local.__dict__.setdefault("by_alias", {})
        found = statements.get(using)
        if found is not None and found.day[0] <= time.time() < found.day[1]:
            return found
        day = _today()
        compiler = self._build(self._marker).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = [i for i, p in enumerate(params) if p == self._marker]
        if self._marker is not None and len(positions) != 1:
            raise ValueError("a compiled query uses its parameter exactly once")
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        position = positions[0] if positions else -1
        names, start, end, populators = _model_columns(compiler, using)
        statement = _Statement(
            compiler, sql, list(params), position, converters, day, names, start, end, populators
        )
        if _today() == day:  # not built across midnight: keep it for the day
            statements[using] = statement
        return statement

    def _fetch(self, value: Any, using: str, one: bool) -> tuple[_Statement, list[Any]]:
        if (value is None) != (self._marker is None):
            raise ValueError("a compiled query's parameter cannot be None")
        statement = self._compiled(using)
        params = statement.params
        if statement.position >= 0:
            params = list(params)
            params[statement.position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(statement.sql, params)
            fetched = cursor.fetchmany(1) if one else cursor.fetchall()
        if fetched and statement.converters:
            fetched = list(statement.compiler.apply_converters(fetched, statement.converters))
        return statement, fetched

    def rows(self, value: Any = None, using: str = "default") -> list[tuple[Any, ...]]:
        """The rows of a ``values_list`` queryset for ``value``, converted as Django does."""
        _, rows = self._fetch(value, using, one=False)
        return [tuple(row) for row in rows]

    def first(self, value: Any, using: str = "default") -> Any:
        """The first row for ``value`` as an instance, its ``select_related`` relations
        attached (as ``QuerySet.first()`` makes it), or None."""
        statement, rows = self._fetch(value, using, one=True)
        if not rows:
            return None
        row = rows[0]
        model = statement.compiler.klass_info["model"]
        obj = model.from_db(using, statement.names, row[statement.start : statement.end])
        for populator in statement.populators:
            populator.populate(row, obj)
        return obj
