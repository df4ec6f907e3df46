"""``preau serve`` starts the chosen WSGI server with bounded pools and serves pages and CSS."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from preau.signin.management.commands.serve import (
    APPLICATION,
    DEFAULT_SERVER,
    server_command,
    split_bind,
)


def test_bind_is_split_into_host_and_port() -> None:
    assert split_bind("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert split_bind("[::1]:8080") == ("::1", 8080)
    assert split_bind("0.0.0.0:80") == ("0.0.0.0", 80)  # noqa: S104
    for bad in ("8000", "localhost", ":80", "host:http"):
        with pytest.raises(CommandError, match="adresse:port"):
            split_bind(bad)


def test_gunicorn_uses_sync_workers_or_gthread_when_asked_for_threads() -> None:
    sync = server_command("gunicorn", bind="127.0.0.1:8000", workers=2, threads=1)
    assert sync[1:3] == ["-m", "gunicorn"]
    assert "--worker-class" not in sync
    assert sync[sync.index("--workers") + 1] == "2"
    assert sync[-1] == APPLICATION
    threaded = server_command("gunicorn", bind="[::1]:8000", workers=3, threads=4)
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"
    assert threaded[threaded.index("--threads") + 1] == "4"
    assert threaded[threaded.index("--bind") + 1] == "[::1]:8000"


def test_granian_serves_wsgi_with_a_bounded_thread_pool() -> None:
    command = server_command("granian", bind="127.0.0.1:9000", workers=2, threads=2)
    assert command[1:3] == ["-m", "granian"]
    assert command[command.index("--interface") + 1] == "wsgi"
    assert command[command.index("--port") + 1] == "9000"
    assert command[command.index("--blocking-threads") + 1] == "2"
    assert command[-1] == APPLICATION


def test_nonsense_is_refused() -> None:
    with pytest.raises(CommandError):
        server_command("uwsgi", bind="127.0.0.1:8000", workers=2, threads=1)
    with pytest.raises(CommandError):
        server_command("granian", bind="127.0.0.1:8000", workers=0, threads=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    # Generous: the first page of a cold server on a busy CI machine can take seconds.
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def test_preau_serve_answers_pages_and_static_files(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PREAU_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PREAU_SECURE_COOKIES": "0",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "preau", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"{base}/healthz")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the server did not start in 30 s"
                time.sleep(0.2)
        assert (status, body) == (200, b'{"status": "ok"}')
        status, body = _get(f"{base}/connexion")
        assert status == 200
        assert b'id="fm1"' in body
        status, body = _get(f"{base}/static/preau/preau.css")
        assert status == 200
        assert b"preau" in body
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = process.stdout.read().decode()  # type: ignore[union-attr]
    assert f"({DEFAULT_SERVER})" in output


def test_without_redis_one_process_serves_with_threads(settings: Any) -> None:
    from preau.signin.management.commands.serve import process_model

    settings.REDIS_URL = ""
    assert process_model(None, None) == (1, 4)
    with pytest.raises(CommandError, match="REDIS_URL"):
        process_model(2, None)
    settings.REDIS_URL = "redis://127.0.0.1:6379/1"
    assert process_model(None, None) == (2, 1)
    assert process_model(4, 2) == (4, 2)
