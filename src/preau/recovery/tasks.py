"""Tasks of recovery, run by the Django Tasks API (``preau worker`` for the database backend).

The task carries only the request's id and calls one service, which claims the row: running it
twice, or late, is safe.
"""

from __future__ import annotations

from django_tasks import task

from preau.recovery.requests import recovery_request_process


@task()
def process_recovery_request(request_id: int) -> str:
    return recovery_request_process(request_id=request_id)
