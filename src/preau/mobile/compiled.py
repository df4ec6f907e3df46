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
from collections.abc import Callable
from datetime import date
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


class Compiled:
    """``build(marker)`` → a queryset using its parameter exactly once; run it with a value.
    With ``marker=None`` the queryset takes no parameter (``build(None)``, ``rows()``)."""

    def __init__(self, build: Callable[[Any], QuerySet[Any]], marker: Any = ID_MARKER) -> None:
        self._build = build
        self._marker = marker
        self._local = threading.local()

    def _compiled(self, using: str) -> tuple[Any, str, list[Any], int]:
        day = timezone.localdate()
        cache: dict[tuple[str, date], tuple[Any, str, list[Any], int]]
        cache = self._local.__dict__.setdefault("by_day", {})
        key = (using, day)
        if key in cache:
            return cache[key]
        compiler = self._build(self._marker).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = [i for i, p in enumerate(params) if p == self._marker]
        if self._marker is not None and len(positions) != 1:
            raise ValueError("a compiled query uses its parameter exactly once")
        compiled = (compiler, sql, list(params), positions[0] if positions else -1)
        if timezone.localdate() == day:  # not built across midnight: keep it for the day
            cache.clear()
            cache[key] = compiled
        return compiled

    def _fetch(self, value: Any, using: str, one: bool) -> tuple[Any, list[Any]]:
        if (value is None) != (self._marker is None):
            raise ValueError("a compiled query's parameter cannot be None")
        compiler, sql, params, position = self._compiled(using)
        if position >= 0:
            params = list(params)
            params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchmany(1) if one else cursor.fetchall()
        return compiler, list(compiler.results_iter(results=[fetched])) if fetched else []

    def rows(self, value: Any = None, using: str = "default") -> list[tuple[Any, ...]]:
        """The rows of a ``values_list`` queryset for ``value``, converted as Django does."""
        _, rows = self._fetch(value, using, one=False)
        return [tuple(row) for row in rows]

    def first(self, value: Any, using: str = "default") -> Any:
        """The first row for ``value`` as an instance, its ``select_related`` relations
        attached (as ``QuerySet.first()`` makes it), or None."""
        compiler, rows = self._fetch(value, using, one=True)
        if not rows:
            return None
        row = rows[0]
        klass_info = compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        obj = klass_info["model"].from_db(using, names, row[start:end])
        # django-stubs describe a later Django, whose populators also take a fetch mode.
        populators = get_related_populators(klass_info, compiler.select, using)  # type: ignore[call-arg]
        for populator in populators:
            populator.populate(row, obj)
        return obj
