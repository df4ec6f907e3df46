"""Django's PostgreSQL backend, with health checks skipped for connections just proven alive.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request
that reuses a connection: one round trip per request, a sixth of what a CAS ticket validation
costs. Connection pools solve this with an *alive bypass window* (HikariCP's
``aliveBypassWindowMs``, 500 ms): a connection that served a request without error less than
``PREAU_DB_ALIVE_WINDOW`` seconds ago (0.5 by default) is used without the check. Under load
every request skips it; a connection idle for longer is checked as before. If the server went
away inside the window, that one request fails, the error marks the connection, and Django
closes it at the end of the request (the next request opens a new one).
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper

from preau.conf import preau_setting


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    health_check_enabled: bool  # Django's, set by connect()
    health_check_done: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alive_at = float("-inf")  # when a request last used it without error
        self._used_at = float("-inf")  # when a cursor was last opened on it
        self._alive_window = float(preau_setting("DB_ALIVE_WINDOW"))

    def connect(self) -> None:
        super().connect()
        self._alive_at = float("-inf")  # a new connection is healthy; Django knows it
        self._used_at = time.monotonic()

    def _cursor(self, name: str | None = None) -> Any:
        self._used_at = time.monotonic()
        return super()._cursor(name)  # type: ignore[misc]

    def close_if_unusable_or_obsolete(self) -> None:
        # Called when a request starts and when it ends (django.db.close_old_connections).
        if self.connection is not None and not self.errors_occurred and self.health_check_done:
            # The last request used the connection (after its check, or on a new connection)
            # and nothing failed: it was alive when it was last used. Not "now": this also
            # runs when the next request starts, however long the connection sat idle, and
            # after Django's own check of a connection that had an error.
            self._alive_at = self._used_at
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self._alive_at < self._alive_window
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
