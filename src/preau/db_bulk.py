"""Bulk writes for imports: plain rows streamed to the database, and grouped updates.

:class:`BulkInserter` inserts rows given as dicts of column values, with COPY on PostgreSQL and
``executemany`` elsewhere (SQLite); :func:`bulk_update` sends one UPDATE per set of changed
fields. Both run inside the caller's transaction. :mod:`preau.db` holds the tools of the
request paths (write batches, compiled queries); this module holds those of the bulk paths.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup

__all__ = ["BATCH_SIZE", "AnyLookup", "BulkInserter", "bulk_update", "chunks"]

BATCH_SIZE = 2000

T = TypeVar("T")


class AnyLookup(Lookup):
    """``field__any=values``: the rows whose ``field`` is one of ``values``, for the bulk reads
    of imports (thousands of values at a time).

    On PostgreSQL it is ``field = ANY(%s::type[])`` with **one** array parameter: the statement's
    text is the same for every list, so psycopg converts it once and the server prepares it
    once, where ``field__in`` sends a new statement of thousands of placeholders each time
    (converting one took psycopg ~10 ms, and Django as long to build: bench/RESULTS.md, import).
    Elsewhere (SQLite) it is ``IN (…)``; keep lists within :data:`BATCH_SIZE` there
    (:func:`chunks`)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


# Fields, and foreign keys (whose lookups Django keeps apart).
Field.register_lookup(AnyLookup)
ForeignObject.register_lookup(AnyLookup)


def chunks(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size`` (for ``__in`` lookups and batched statements)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_update(model: Any, updates: dict[int, dict[str, Any]], now: dt.datetime) -> None:
    """One ``bulk_update`` per set of changed fields (plus ``updated_at``)."""
    by_fields: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for pk, changed in updates.items():
        fields = tuple(sorted(changed))
        by_fields[fields].append(model(pk=pk, updated_at=now, **changed))
    for fields, objs in by_fields.items():
        # Identical values for all (school year, end of membership): one UPDATE per batch.
        values = [tuple(getattr(o, f) for f in fields) for o in objs]
        if len(set(values)) == 1:
            common = dict(zip(fields, values[0], strict=True))
            for chunk in chunks([o.pk for o in objs], 5000):
                model.objects.filter(pk__any=chunk).update(updated_at=now, **common)
        else:
            model.objects.bulk_update(objs, [*fields, "updated_at"], batch_size=500)


class BulkInserter:
    """Insert plain rows fast: COPY on PostgreSQL, ``executemany`` elsewhere.

    Django's ``bulk_create`` builds a model instance and prepares every value of every row
    through the field API (about 30 µs per account); an import of 270,000 people cannot
    afford that. Rows here are dicts of column values; missing columns take the field default.
    Primary keys, when other rows must refer to them, are reserved beforehand
    (:meth:`reserve_ids`), so the rows can be streamed without RETURNING.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def reserve_ids(self, model: Any, count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the import holds the database's write lock (BEGIN IMMEDIATE), and an
            # id past both the largest one and the AUTOINCREMENT counter is never reused.
            cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
            top = max(top, cursor.fetchone()[0])
        return list(range(top + 1, top + 1 + count))

    def insert(self, model: Any, rows: Sequence[dict[str, Any]], *, with_id: bool = False) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        columns = [f.column for f in fields]
        defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in fields}
        names = [f.attname for f in fields]
        table = model._meta.db_table
        quoted = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([_pg(row.get(n, defaults[n])) for n in names])
                return
            adapters = [_sqlite_adapter(f) for f in fields]
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})'  # noqa: S608
            params = [
                [adapt(row.get(n, defaults[n])) for n, adapt in zip(names, adapters, strict=True)]
                for row in rows
            ]
            for batch in chunks(params, 5000):
                cursor.executemany(sql, batch)


def _pg(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict) else value


def _sqlite_adapter(field: Any) -> Callable[[Any], Any]:
    ops = connection.ops
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "JSONField":
        return lambda v: None if v is None else json.dumps(v)
    return lambda v: v
