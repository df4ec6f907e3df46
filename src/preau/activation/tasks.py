"""Tasks of the first connection, run by the Django Tasks API (``preau worker`` for the
database backend). The task carries only the row's id and calls one service, which claims
the row: running it twice, or late, is safe."""

from __future__ import annotations

from django_tasks import task

from preau.activation.signup import signup_process


@task()
def process_signup(signup_id: int) -> str:
    return signup_process(signup_id=signup_id)
