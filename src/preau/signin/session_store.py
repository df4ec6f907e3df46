"""Préau's session engine: Django's cached database sessions, written once per change.

``SESSION_ENGINE = "preau.signin.session_store"``. Sessions live in the ``django_session``
table (the record that survives a cache restart) and in the cache (Redis across nodes: most
requests read only the cache), exactly as with Django's ``cached_db`` engine, with two changes
that take a sign-in from seven database round trips for its session to one:

- A new key is not looked up first. Django reads the table (and the cache) to check that a fresh
  random key is unused, then inserts an empty row at once to reserve it, then updates that row
  when the response leaves. Here a new key is only chosen; the row is inserted once, with its
  data, when the session is saved, and the table's primary key refuses a duplicate. A key is 32
  characters drawn from 36 by the operating system's generator (165 bits): a collision would
  make that one request fail, never share a session; with 10⁹ sessions its probability is
  below 10⁻³⁰.
- A save that would write what this store has already written is skipped. A service may save
  the session with its own rows (the sign-in does, in a :func:`preau.db.write_batch`: the
  session row is written in one statement with the audit event, the session's record and
  ``last_login``) and the session middleware's save at the end of the request then writes
  nothing, unless something changed the session meanwhile.

No savepoint is taken around the write: outside a transaction the statement is its own, and
inside one a failed write must fail the whole transaction anyway.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache.backends.base import BaseCache
from django.db import DatabaseError, router

from preau.db import write_batch_current

KEY_LENGTH = 32
KEY_BITS = 165  # 36**32 > 2**165

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(CachedDBStore):
    _cache: BaseCache  # set by Django's cached_db store
    _session_cache: dict[str, Any]

    def __init__(self, session_key: str | None = None) -> None:
        self._changed = False  # set with Django's ``modified`` flag, cleared by a save
        super().__init__(session_key)
        self._unsaved = False  # a key chosen here, with no row yet
        self._written: str | None = None  # the key last saved, while nothing changed since

    # Django sets ``modified`` whenever the data changes (and code that changes a value in
    # place sets it by hand); it stays set after a save, for the middleware to send the cookie.
    # ``_changed`` follows it but is cleared by a save: what the store has left to write.
    @property
    def modified(self) -> bool:
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        self._modified = value
        if value:
            self._changed = True

    def _get_new_session_key(self) -> str:
        # No lookup: the row's primary key is the uniqueness check (see the module's docstring).
        # 165 random bits from the operating system, written in base 36 (Django's alphabet).
        number = secrets.randbits(KEY_BITS)
        digits = []
        for _ in range(KEY_LENGTH):
            number, digit = divmod(number, 36)
            digits.append(VALID_KEY_CHARS[digit])
        return "".join(digits)

    def create(self) -> None:
        self._session_key = self._get_new_session_key()
        self._unsaved = True
        self._written = None
        if not hasattr(self, "_session_cache"):
            self._session_cache = {}  # nothing to load for a key that was just chosen
        self.modified = True

    def load(self) -> dict[str, Any]:
        if self._unsaved:
            return {}
        data: dict[str, Any] = super().load()
        return data

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        key = str(self.session_key)
        insert = must_create or self._unsaved
        if not insert and not self._changed and self._written == key:
            return  # this store already wrote this, and nothing changed since
        data = self._get_session(no_load=insert)  # type: ignore[attr-defined]
        encoded = self.encode(data)
        obj = self.model(session_key=key, session_data=encoded, expire_date=self.get_expiry_date())
        using = router.db_for_write(self.model, instance=obj)
        batch = write_batch_current()
        if not insert or batch is None or batch.using != using:
            batch = None
        try:
            if batch is not None:
                batch.insert(obj)  # with the sign-in's other rows (see preau.db)
            else:
                obj.save(force_insert=insert, force_update=not insert, using=using)
        except DatabaseError:
            if not insert:
                raise UpdateError from None  # the row was deleted meanwhile (signed out)
            raise
        self._unsaved = False
        self._changed = False
        self._written = key
        cache_key, expiry = self.cache_key, self.get_expiry_age()
        if batch is not None:
            # The cache holds a session once its row exists, never a session without one.
            batch.on_flush(lambda: self._cache_set(cache_key, data, expiry))
        else:
            self._cache_set(cache_key, data, expiry)

    def _cache_set(self, cache_key: str, data: dict[str, Any], expiry: int) -> None:
        try:
            self._cache.set(cache_key, data, expiry)
        except Exception:  # the row is the record; a cache miss reads it back
            logger.exception("Error saving to cache (%s)", self._cache)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None or session_key == self.session_key:
            if self._unsaved:  # never written: nothing to delete
                self._unsaved = False
                self._written = None
                return
            self._written = None
        super().delete(session_key)

    # Préau's middleware and views are synchronous. Django's asynchronous session methods would
    # bypass what this store keeps track of (a key not written yet, what was written last):
    # they are refused rather than left to write a session twice.
    async def acreate(self) -> None:
        raise NotImplementedError("Préau's session store is synchronous")

    async def asave(self, must_create: bool = False) -> None:
        raise NotImplementedError("Préau's session store is synchronous")

    async def acycle_key(self) -> None:
        raise NotImplementedError("Préau's session store is synchronous")

    async def aflush(self) -> None:
        raise NotImplementedError("Préau's session store is synchronous")

    async def adelete(self, session_key: str | None = None) -> None:
        raise NotImplementedError("Préau's session store is synchronous")
