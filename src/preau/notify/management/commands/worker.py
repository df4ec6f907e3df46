"""``preau worker``: run background tasks and keep the outbox swept.

It runs django-tasks-db's ``db_worker`` (every queue by default) and, in a background thread, the
outbox sweeper every ``--sweep-interval`` seconds, so that a message whose task was lost (a crash
between a commit and its enqueue, a worker killed while sending) is delivered all the same.
Run as many workers as you like: claims make each message go out once.

``--batch`` sweeps once, runs every task that is due, and exits (for cron-only deployments and
tests). ``--sweep-only`` runs the sweeper alone, for a task backend that has its own worker (RQ),
or the immediate backend of development (which cannot defer a retry: the sweeper does it).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from preau.notify.services import outbound_message_sweep

logger = logging.getLogger("preau.notify.worker")


def _sweep_once() -> None:
    try:
        result = outbound_message_sweep()
    except Exception:
        # A locked SQLite file or a database restart: the next pass will do it.
        logger.exception("Outbox sweep failed")
        return
    if result.enqueued or result.recovered:
        logger.info(
            "Outbox sweep: %s message(s) enqueued again, %s stale claim(s) released",
            result.enqueued,
            result.recovered,
        )


class Sweeper(threading.Thread):
    """Calls the outbox sweeper every ``interval`` seconds until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="preau-outbox-sweeper", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                close_old_connections()
                _sweep_once()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


class Command(BaseCommand):
    help = (
        "Exécute les tâches de fond (envoi des courriels et SMS) et relance les messages "
        "dont la tâche a été perdue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="files de tâches à traiter, séparées par des virgules ('*' : toutes)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="attente (secondes) quand aucune tâche n'est prête (défaut : 1)",
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help="secondes entre deux passages du balayeur de la file d'envoi (défaut : 60)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="balayer une fois, exécuter toutes les tâches prêtes, puis s'arrêter",
        )
        parser.add_argument(
            "--sweep-only",
            action="store_true",
            help="seulement le balayeur (quand un autre worker exécute les tâches, ex. RQ)",
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="s'arrêter après N tâches")
        parser.add_argument("--worker-id", default=None, help="identifiant unique de ce worker")

    def configure_logging(self, verbosity: int) -> None:
        """Like db_worker: what the sweeper recovers is shown unless ``-v 0``."""
        notify_logger = logging.getLogger("preau.notify")
        notify_logger.setLevel(logging.WARNING if verbosity == 0 else logging.INFO)
        if not notify_logger.hasHandlers():
            notify_logger.addHandler(logging.StreamHandler(self.stdout))

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        if options["sweep_interval"] <= 0:
            raise CommandError("--sweep-interval doit être positif.")
        worker_options: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "batch": options["batch"],
            "reload": False,
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"] is not None:
            worker_options["max_tasks"] = options["max_tasks"]
        if options["worker_id"]:
            worker_options["worker_id"] = options["worker_id"]
        if options["batch"]:
            worker_options["startup_delay"] = False

        if not options["sweep_only"] and not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "Le backend de tâches configuré (PREAU_TASKS_BACKEND) n'est pas celui de la base "
                "de données : lancez son propre worker, et `preau worker --sweep-only` à côté."
            )
        # Whatever the previous run left behind is enqueued before the first task is taken.
        _sweep_once()
        if options["sweep_only"]:
            if not options["batch"]:
                Sweeper(options["sweep_interval"]).run()  # in the foreground, until killed
            return
        if options["batch"]:
            call_command("db_worker", **worker_options)
            return
        sweeper = Sweeper(options["sweep_interval"])
        sweeper.start()
        try:
            call_command("db_worker", **worker_options)
        finally:
            sweeper.stop()
