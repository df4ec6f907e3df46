"""A local HTTP SMS gateway for tests: listens on 127.0.0.1, keeps every request it receives.

``SmsGateway`` answers 200 by default; ``respond(status, body)`` changes the next answers (a
gateway that is down answers 503, one that refuses a number 400…). ``stop()`` closes the port
(connection refused), ``start()`` opens it again. Other apps' tests (recovery, e2e) use it with
``point_sms_at(settings, gateway)``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.notify.smtp import free_port


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode())

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        gateway = self.server.gateway
        with gateway.lock:
            gateway.requests.append(
                Received(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            )
            status, reply, delay = gateway.status, gateway.reply, gateway.delay
        if delay:
            time.sleep(delay)
        payload = reply.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    do_POST = _handle  # noqa: N815 - http.server's hook names
    do_PUT = _handle  # noqa: N815
    do_GET = _handle  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: SmsGateway


class SmsGateway:
    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.status = 200
        self.reply = '{"status": "accepted"}'
        self.delay = 0.0  # seconds to wait before answering (a slow gateway)
        self.lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/api/sms"

    def start(self) -> None:
        if self._server is None:
            server = _Server((self.host, self.port), _Handler)
            server.gateway = self
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def respond(self, status: int, reply: str = "{}") -> None:
        with self.lock:
            self.status, self.reply = status, reply

    def texts_to(self, number: str) -> list[str]:
        """Texts sent to ``number`` (E.164), with the default JSON payload."""
        with self.lock:
            return [r.json["text"] for r in self.requests if r.json.get("to") == number]

    def code_sent_to(self, number: str) -> str:
        """The last 6-digit code sent to ``number``."""
        codes = re.findall(r"\b\d{6}\b", " ".join(self.texts_to(number)))
        assert codes, f"no code was sent to {number}"
        return codes[-1]


def point_sms_at(settings: Any, gateway: SmsGateway, **http: Any) -> None:
    """Send SMS through ``gateway`` (default JSON payload, no credentials unless given)."""
    settings.PREAU = {
        **getattr(settings, "PREAU", {}),
        "SMS_BACKEND": "http",
        "SMS_SENDER": "PREAU",
        "SMS_HTTP": {"URL": gateway.url, "TIMEOUT": 5, **http},
    }


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[SmsGateway]:
    """A running local SMS gateway that Préau's SMS channel points at."""
    gateway = SmsGateway()
    gateway.start()
    point_sms_at(settings, gateway)
    yield gateway
    gateway.stop()
