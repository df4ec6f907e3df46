"""Independent clients against a live Préau: python-cas, pronotepy, the example service.

The people and services are the ones of tests/sso (created in the live server's database).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from examples.vie_scolaire import VieScolaire

from tests.sso.conftest import (  # noqa: F401 - fixtures
    _fresh_registry,
    pronote,
    register,
    student,
    teacher,
    vie_scolaire,
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def cas_url(live_server: Any) -> str:
    return f"{live_server.url}/cas/"


@pytest.fixture
def demo_service(cas_url: str) -> Iterator[VieScolaire]:
    """The example "vie scolaire" site on a free port, registered in the live Préau."""
    server = make_server(
        "127.0.0.1", 0, lambda e, s: [], server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    app = VieScolaire(cas_url=cas_url, base_url=base)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    register(
        "Vie scolaire (démonstration)",
        ("prefix", base),
        slug="vie-scolaire-demo",
        launch_url=base + "login",
    )
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
