"""Write batches: the rows a request writes together, sent to the database as one statement.

A sign-in writes four rows that belong together (the session, its record for "Mon compte",
the audit event, ``last_login``). Written one by one inside a transaction they cost six round
trips to PostgreSQL (``BEGIN``, four statements, ``COMMIT``), each with the ORM's work around
it; on PostgreSQL a batch sends them as **one** statement whose parts are data-modifying common
table expressions::

    WITH w0 AS (UPDATE "directory_account" SET "last_login" = … WHERE "id" = …),
         w1 AS (INSERT INTO "account_sessionrecord" (…) VALUES (…) ON CONFLICT … DO UPDATE …),
         w2 AS (INSERT INTO "audit_auditevent" (…) VALUES (…))
    INSERT INTO "django_session" (…) VALUES (…)

One statement is one transaction: all the rows are written or none. On other databases (SQLite
for a school's laptop) the same rows are written by the ORM inside one transaction.

Code that writes opts in where it can be batched::

    batch = write_batch_current()
    if batch is not None:
        batch.insert(event)          # written when the batch closes
    else:
        event.save()

and the caller that knows the rows belong together opens the batch::

    with write_batch():
        login(request, account)      # receivers add their rows
        audit_record(...)

Rows added to a batch are written when the ``with`` block ends without an exception (nothing
is written if it raises); a model instance inserted through a batch gets no primary key back.
What must follow the rows (filling a cache with what they hold) is given to
``batch.on_flush()``: it runs once they are written, never if they are not. A batch writes a
row once (a second write of the same row in one statement would be lost on PostgreSQL, whose
parts of a statement cannot see each other): it refuses a second write.

A batch stands outside transactions: open it outside ``transaction.atomic()`` blocks (its
statement commits on its own; inside an outer ``atomic()`` it joins that transaction). Rows
queued inside an inner ``atomic()`` that rolls back are still written when the batch closes,
and statements the block runs directly (a read, a delete) run at once, as usual.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connections, models, transaction
from django.db.models import QuerySet

_current: contextvars.ContextVar[WriteBatch | None] = contextvars.ContextVar(
    "preau_write_batch", default=None
)


@dataclass
class _Insert:
    obj: models.Model
    conflict_fields: Sequence[str] = ()
    update_fields: Sequence[str] = ()


@dataclass
class _Update:
    model: type[models.Model]
    pk: Any
    values: dict[str, Any]


@dataclass
class WriteBatch:
    using: str = "default"
    operations: list[_Insert | _Update] = field(default_factory=list)
    _after: list[Callable[[], None]] = field(default_factory=list)
    _rows: set[tuple[type[models.Model], Any]] = field(default_factory=set)

    def _once(self, model: type[models.Model], pk: Any) -> None:
        if pk is None:
            return  # a new row whose key the database draws: it cannot be written twice
        if (model, pk) in self._rows:
            raise ValueError(f"a batch writes a row once: {model._meta.label} {pk!r}")
        self._rows.add((model, pk))

    def on_flush(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the batch's rows are written (never if they are not)."""
        self._after.append(callback)

    def insert(
        self,
        obj: models.Model,
        *,
        conflict_fields: Sequence[str] = (),
        update_fields: Sequence[str] = (),
    ) -> None:
        """Insert ``obj``; with ``conflict_fields``, a row with the same values there is updated
        instead (its ``update_fields``), as ``bulk_create(update_conflicts=True)`` does."""
        if conflict_fields and not update_fields:
            raise ValueError("an upsert names the fields it updates")
        self._once(type(obj), obj.pk)
        self.operations.append(_Insert(obj, tuple(conflict_fields), tuple(update_fields)))

    def update(self, model: type[models.Model], pk: Any, **values: Any) -> None:
        """``UPDATE model SET values WHERE pk = pk``."""
        self._once(model, pk)
        self.operations.append(_Update(model, pk, values))

    def flush(self) -> None:
        operations, self.operations = self.operations, []
        after, self._after = self._after, []
        self._rows = set()
        if operations:
            connection = connections[self.using]
            if connection.vendor == "postgresql":
                sql, params = _statement(operations, connection)
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
            else:
                with transaction.atomic(using=self.using):
                    for operation in operations:
                        _write_with_orm(operation, self.using)
        for callback in after:
            callback()


def write_batch_current() -> WriteBatch | None:
    """The batch open in this thread (or task), if any."""
    return _current.get()


@contextlib.contextmanager
def write_batch(using: str = "default") -> Iterator[WriteBatch]:
    """Collect the rows written in the block; write them when it ends (see the module)."""
    if _current.get() is not None:
        raise RuntimeError("write batches do not nest")
    batch = WriteBatch(using=using)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
    batch.flush()


def _write_with_orm(operation: _Insert | _Update, using: str) -> None:
    if isinstance(operation, _Update):
        operation.model._default_manager.using(using).filter(pk=operation.pk).update(
            **operation.values
        )
    elif operation.conflict_fields:
        type(operation.obj)._default_manager.using(using).bulk_create(
            [operation.obj],
            update_conflicts=True,
            unique_fields=list(operation.conflict_fields),
            update_fields=list(operation.update_fields),
        )
    else:
        operation.obj.save(force_insert=True, using=using)


def _statement(operations: list[_Insert | _Update], connection: Any) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    for operation in operations:
        sql, values = (
            _update_sql(operation, connection)
            if isinstance(operation, _Update)
            else _insert_sql(operation, connection)
        )
        parts.append(sql)
        params.extend(values)
    *first, last = parts
    if not first:
        return last, params
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(first))
    return f"WITH {ctes} {last}", params


def _insert_sql(operation: _Insert, connection: Any) -> tuple[str, list[Any]]:
    obj = operation.obj
    meta = obj._meta
    qn = connection.ops.quote_name
    fields = [
        f
        for f in meta.local_concrete_fields
        if not (f is meta.auto_field and getattr(obj, f.attname) is None)
        and not getattr(f, "generated", False)
    ]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    columns = ", ".join(qn(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Names come from the models' metadata, quoted; every value is a parameter.
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if operation.conflict_fields:
        conflict = ", ".join(qn(_column(meta, name)) for name in operation.conflict_fields)
        updates = ", ".join(
            f"{qn(_column(meta, name))} = EXCLUDED.{qn(_column(meta, name))}"
            for name in operation.update_fields
        )
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    return sql, values


def _concrete(meta: Any, name: str) -> models.Field[Any, Any]:
    f = meta.get_field(name)
    if not isinstance(f, models.Field) or not f.concrete:
        raise ValueError(f"{meta.label}.{name} is not a column")
    return f


def _column(meta: Any, name: str) -> str:
    return str(_concrete(meta, name).column)


def _update_sql(operation: _Update, connection: Any) -> tuple[str, list[Any]]:
    meta = operation.model._meta
    qn = connection.ops.quote_name
    assignments = []
    values = []
    for name, value in operation.values.items():
        f = _concrete(meta, name)
        assignments.append(f"{qn(f.column)} = %s")
        values.append(f.get_db_prep_save(value, connection=connection))
    pk = meta.pk
    values.append(pk.get_db_prep_value(operation.pk, connection=connection))
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {qn(pk.column)} = %s"
    )
    return sql, values


M = TypeVar("M", bound=models.Model)
_PARAMETER = "\x00preau-compiled-query-parameter\x00"


class CompiledQuery(Generic[M]):
    """A query compiled to SQL once per thread, then run with a new parameter each time.

    Django compiles a queryset to SQL at every evaluation; for the account a sign-in looks up
    (some thirty columns and a join) that is about 200 µs of CPU, more than the database spends
    answering. ``build`` returns the queryset for one parameter value; it is called once per
    thread and database with a marker value, and the SQL is kept with the marker's position::

        ACCOUNT_BY_LOGIN = CompiledQuery(lambda login: Account.objects.filter(login=login))
        account = ACCOUNT_BY_LOGIN.first("lea.martin")

    Rows become instances as the ORM makes them (field converters, annotations as attributes).
    The queryset must use its parameter exactly once and select plain fields and annotations
    (no ``select_related``, ``only`` or ``defer``).
    """

    def __init__(self, build: Callable[[Any], QuerySet[M]]) -> None:
        self._build = build
        self._local = threading.local()

    def _compiled(self, using: str) -> tuple[Any, str, list[Any], int]:
        cache: dict[str, tuple[Any, str, list[Any], int]] = self._local.__dict__.setdefault(
            "by_alias", {}
        )
        if using not in cache:
            queryset = self._build(_PARAMETER)
            query = queryset.query
            if query.select_related or query.deferred_loading[0]:
                raise ValueError("a compiled query selects plain fields and annotations only")
            compiler = query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            positions = [i for i, p in enumerate(params) if p == _PARAMETER]
            if len(positions) != 1:
                raise ValueError("a compiled query uses its parameter exactly once")
            cache[using] = (compiler, sql, list(params), positions[0])
        return cache[using]

    def first(self, value: Any, using: str = "default") -> M | None:
        """The first row for ``value`` as an instance, or None. ``value`` is sent as it is
        (no field conversion): a string or a number, never None (``= NULL`` matches nothing)."""
        if value is None:
            raise ValueError("a compiled query's parameter cannot be None")
        compiler, sql, params, position = self._compiled(using)
        params = list(params)
        params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = next(iter(compiler.results_iter(results=[[row]])))
        klass_info = compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        obj: M = klass_info["model"].from_db(using, names, row[start:end])
        for name, index in compiler.annotation_col_map.items():
            setattr(obj, name, row[index])
        return obj
