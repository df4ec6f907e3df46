"""``preau serve``: Préau under its production WSGI server, static files through whitenoise.

    preau serve [--bind 127.0.0.1:8000] [--workers 2] [--threads 1] [--server granian|gunicorn]

The server was chosen from bench/bench_server.py (figures in bench/RESULTS.md, reasons in
docs/deployment.md). The command replaces itself with the server process (``exec``): signals
from systemd or a terminal reach the server directly, and no database connection opened by
this process leaks into the workers. Configure Préau through the environment, as always.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

SERVERS = ("granian", "gunicorn")
DEFAULT_SERVER = "granian"
APPLICATION = "preau.wsgi:application"


def split_bind(bind: str) -> tuple[str, int]:
    """``127.0.0.1:8000`` → ("127.0.0.1", 8000); ``[::1]:8000`` → ("::1", 8000)."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise CommandError(f"--bind attend adresse:port (par exemple 127.0.0.1:8000), pas {bind!r}")
    return host.strip("[]"), int(port)


def server_command(server: str, *, bind: str, workers: int, threads: int) -> list[str]:
    """The command line that serves Préau with ``server`` (run with this Python)."""
    if workers < 1 or threads < 1:
        raise CommandError("--workers et --threads valent au moins 1.")
    if server == "gunicorn":
        host, port = split_bind(bind)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        command = [sys.executable, "-m", "gunicorn", "--bind", address, "--workers", str(workers)]
        if threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(threads)]
        return [*command, "--access-logfile", "-", APPLICATION]
    if server == "granian":
        host, port = split_bind(bind)
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            # Granian's WSGI default is hundreds of threads per worker, each holding its own
            # database connection: keep the pool as small as the concurrency we want.
            "--blocking-threads",
            str(threads),
            "--backpressure",
            str(max(threads, 16)),
            "--no-ws",
            "--access-log",
            APPLICATION,
        ]
    raise CommandError(f"serveur inconnu {server!r} : {', '.join(SERVERS)}")


def process_model(workers: int | None, threads: int | None) -> tuple[int, int]:
    """Processes and threads: without Redis the cache (throttle counters, the service registry's
    version) lives in each process's memory, so every request must reach the same process: one
    process with a few threads (Argon2 releases the GIL while it hashes). With Redis, one process
    per core."""
    shared_cache = bool(settings.REDIS_URL)
    if workers is None:
        workers = 2 if shared_cache else 1
    if threads is None:
        threads = 1 if shared_cache else 4
    if workers > 1 and not shared_cache:
        raise CommandError(
            "Plusieurs processus demandent un cache partagé : définissez REDIS_URL, "
            "ou servez avec un seul processus (--workers 1 --threads 4)."
        )
    return workers, threads


class Command(BaseCommand):
    help = "Sert Préau avec son serveur WSGI de production (fichiers statiques par whitenoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="adresse:port d'écoute")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processus (un par cœur ; défaut : 2 avec Redis, 1 sans)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="fils d'exécution par processus (défaut : 1 avec Redis, 4 sans)",
        )
        parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)

    def handle(self, *args: Any, **options: Any) -> None:
        workers, threads = process_model(options["workers"], options["threads"])
        command = server_command(
            options["server"], bind=options["bind"], workers=workers, threads=threads
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.settings")
        self.stdout.write(f"Préau sur http://{options['bind']}/ ({options['server']})")
        self.stdout.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        connections.close_all()
        os.execv(sys.executable, command)  # noqa: S606 - our own server, no shell
