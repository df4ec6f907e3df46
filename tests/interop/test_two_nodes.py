"""Two Préau processes on one database (PostgreSQL and Redis when the run has them, a SQLite
file otherwise): a ticket issued by one node validates on the other, once, and the SSO session
opened on one node is known to the other.

pytest-django's own test database is not shared with other processes (in memory on SQLite), so
this test builds its own: a database ``preau_test_cas_nodes`` next to DATABASE_URL's (dropped
afterwards), or a SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests
from bs4 import BeautifulSoup

SERVICE = "https://vie-scolaire.test/"
PASSWORD = "Correct-Horse-Battery-9"
NODES_DB = "preau_test_cas_nodes"
SEED = f"""
from preau.directory.models import Account, Establishment, Membership, SchoolClass
from preau.portal.models import Category, Service, ServicePattern
from django.utils import timezone
school = Establishment.objects.create(uai="0750654D", name="Lycée", postal_code="75005")
emma = Account.objects.create_user("emma.petit", password={PASSWORD!r}, first_name="Emma",
    last_name="Petit", state="active", activated_at=timezone.now())
m = Membership.objects.create(account=emma, establishment=school, profile="eleve", school_year=2026)
m.classes.add(SchoolClass.objects.create(establishment=school, school_year=2026, code="3A"))
category, _ = Category.objects.get_or_create(name="Scolarité")
service = Service.objects.create(name="Vie scolaire", slug="vs", category=category)
ServicePattern.objects.create(service=service, kind="prefix", value={SERVICE!r})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'nodes.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NODES_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {NODES_DB}")
    try:
        yield urlunsplit(parts._replace(path=f"/{NODES_DB}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {NODES_DB} WITH (FORCE)")


@pytest.fixture
def nodes(shared_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "DJANGO_SETTINGS_MODULE": "preau.settings",
        "PREAU_DATA_DIR": str(tmp_path),
        "PREAU_SECURE_COOKIES": "0",
        "SECRET_KEY": "two-nodes-" + "s" * 50,  # the nodes of one deployment share their key
        "PREAU_ARGON2_MEMORY_KIB": "1024",
        "PREAU_ARGON2_TIME_COST": "1",
        "PREAU_CACHE_PREFIX": f"nodes{os.getpid()}",
        "LOG_LEVEL": "ERROR",
    }
    preau = [sys.executable, "-m", "preau"]
    subprocess.run([*preau, "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    subprocess.run([*preau, "shell", "--command", SEED], env=env, check=True, timeout=60)
    processes, bases = [], []
    for _ in range(2):
        port = _free_port()
        processes.append(
            subprocess.Popen(
                [*preau, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, process in zip(bases, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert process.poll() is None, "a node stopped"
                assert time.monotonic() < deadline, "a node did not start in 60 s"
                time.sleep(0.2)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _ticket(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text[:300]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["ticket"][0]


def test_a_ticket_issued_by_one_node_validates_on_the_other(nodes: tuple[str, str]) -> None:
    first, second = nodes
    browser = requests.Session()
    page = browser.get(f"{first}/cas/login", params={"service": SERVICE}, timeout=10)
    form = BeautifulSoup(page.text, "html.parser").find("form", {"id": "fm1"})
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}  # type: ignore[union-attr]
    data.update(username="emma.petit", password=PASSWORD)
    ticket = _ticket(browser.post(page.url, data=data, allow_redirects=False, timeout=10))

    validated = requests.get(
        f"{second}/cas/p3/serviceValidate",
        params={"service": SERVICE, "ticket": ticket},
        timeout=10,
    )
    assert "<cas:user>emma.petit</cas:user>" in validated.text
    assert "<cas:classes>3A</cas:classes>" in validated.text
    replay = requests.get(
        f"{first}/cas/serviceValidate", params={"service": SERVICE, "ticket": ticket}, timeout=10
    )
    assert 'code="INVALID_TICKET"' in replay.text

    # The SSO session opened on the first node gives tickets on the second.
    again = _ticket(
        browser.get(
            f"{second}/cas/login", params={"service": SERVICE}, allow_redirects=False, timeout=10
        )
    )
    validated = requests.get(
        f"{first}/cas/validate", params={"service": SERVICE, "ticket": again}, timeout=10
    )
    assert validated.text == "yes\nemma.petit\n"
