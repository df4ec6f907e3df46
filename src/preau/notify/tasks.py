"""Tasks of the outbox, run by the Django Tasks API (``preau worker`` for the database backend).

A task carries only a message id: it fetches the row and calls one service, which decides
whether there is anything to do. Running it twice, late or for a message already sent is safe.
"""

from __future__ import annotations

from django_tasks import task

from preau.notify.services import outbound_message_deliver


@task()
def deliver_message(message_id: int) -> str:
    return outbound_message_deliver(message_id=message_id)
