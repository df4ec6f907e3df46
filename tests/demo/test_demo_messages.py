"""Where the demo's mail and SMS go (issue 12): ``preau demo`` runs in demo mode, which delivers
the outbox in the server's own process (no worker to start), writes each message to the
terminal, and lists the last ones on /demo/messages, linked from every page's banner. Outside
the demo that page does not exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.notify.models import OutboundMessage
from preau.signin.passwords import account_password_set

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# What the settings make of PREAU_DEMO=1 (checked below in a fresh interpreter).
DEMO_SETTINGS = {
    "tasks": "django_tasks.backends.immediate.ImmediateBackend",
    "email": "preau.demo.backends.TerminalEmailBackend",
    "sms": "preau.demo.backends.TerminalSmsBackend",
}


@pytest.fixture
def demo(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "DEMO": True, "SMS_BACKEND": DEMO_SETTINGS["sms"]}
    settings.TASKS = {"default": {"BACKEND": DEMO_SETTINGS["tasks"]}}
    settings.EMAIL_BACKEND = DEMO_SETTINGS["email"]


@pytest.fixture
def parent(establishment: Establishment) -> Account:
    account = Account.objects.create_user(
        "sandrine.martin",
        first_name="Sandrine",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        email="sandrine.martin@example.org",
        email_verified_at=timezone.now(),
        mobile="+33612345678",
        mobile_verified_at=timezone.now(),
    )
    account_password_set(actor=None, account=account, password="Tournesol#42b")
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
        school_year=2026,
    )
    return account


def _forgotten_password(client: Client, capture: Any, login: str) -> None:
    with capture(execute=True):
        response = client.post("/mot-de-passe-oublie/", {"query": login})
    assert response.status_code == 302


@pytest.mark.usefixtures("demo")
def test_a_reset_request_is_delivered_at_once_to_the_terminal_and_listed_on_the_page(
    client: Client,
    parent: Account,
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _forgotten_password(client, django_capture_on_commit_callbacks, parent.login)
    # Delivered in-process, by the real flow: no worker ran.
    mail, sms = (
        OutboundMessage.objects.get(channel=channel, account=parent) for channel in ("email", "sms")
    )
    assert mail.status == sms.status == OutboundMessage.Status.SENT
    assert "/mot-de-passe-oublie/lien/" in mail.body_text  # kept for the page, in the demo only
    terminal = capsys.readouterr().out
    assert "Courriel pour sandrine.martin@example.org" in terminal
    assert f"Objet : {mail.subject}" in terminal
    assert "/mot-de-passe-oublie/lien/" in terminal
    assert "SMS pour le 06 12 34 56 78" in terminal
    assert sms.body_text in terminal

    # Every page shows where the messages are; the page lists them, links clickable.
    assert 'href="/demo/messages"' in client.get("/connexion").content.decode()
    html = client.get("/demo/messages").content.decode()
    assert "Courriel pour sandrine.martin@example.org" in html
    assert mail.subject in html
    link = next(w for w in mail.body_text.split() if "/mot-de-passe-oublie/lien/" in w)
    assert f'<a href="{link}"' in html
    assert "SMS pour le 06 12 34 56 78" in html
    # The newest first.
    newest_first = [f"demo-message-{m.pk}" for m in sorted((mail, sms), key=lambda m: -m.pk)]
    assert html.index(newest_first[0]) < html.index(newest_first[1])


def test_outside_the_demo_the_page_is_a_404_and_no_banner_is_shown(
    client: Client, parent: Account, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "DEMO": False}
    assert client.get("/demo/messages").status_code == 404
    assert "demo-banner" not in client.get("/connexion").content.decode()
    # Signed in, an operator or not: a 404 all the same.
    client.post("/connexion", {"username": parent.login, "password": "Tournesol#42b"})
    assert client.get("/demo/messages").status_code == 404


def test_outside_the_demo_a_sent_message_keeps_no_body(
    parent: Account, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": DEMO_SETTINGS["tasks"]}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _forgotten_password(Client(), django_capture_on_commit_callbacks, parent.login)
    mail = OutboundMessage.objects.get(channel="email", account=parent)
    assert mail.status == OutboundMessage.Status.SENT
    assert mail.body_text == ""


def _settings_in_a_fresh_process(args: list[str], tmp_path: Path) -> dict[str, Any]:
    """Run the ``preau`` script's ``main(args)`` in a new interpreter, stopping where Django
    would run the command, and return what the settings then say."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREAU_", "DJANGO_")) and key not in {"EMAIL_URL", "DATABASE_URL"}
    }
    env["PREAU_DATA_DIR"] = str(tmp_path)
    code = """
import json, sys
from unittest import mock
from django.core import management
from preau.__main__ import main

def stop(argv):
    import django
    django.setup()
    from django.conf import settings
    print(json.dumps({
        "argv": argv,
        "demo": settings.PREAU["DEMO"],
        "tasks": settings.TASKS["default"]["BACKEND"],
        "email": settings.EMAIL_BACKEND,
        "sms": settings.PREAU["SMS_BACKEND"],
    }))

with mock.patch.object(management, "execute_from_command_line", stop):
    main(json.loads(sys.argv[1]))
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, json.dumps(args)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_make_demo_runs_preau_demo_whose_settings_deliver_in_process(tmp_path: Path) -> None:
    """`make demo` is `preau demo` (Makefile); the script turns the demo mode on before the
    settings are read, so the server delivers mail and SMS itself and shows them."""
    makefile = (ROOT / "Makefile").read_text()
    assert "demo: $(STAMP)\n\t$(BIN)/preau demo\n" in makefile
    seen = _settings_in_a_fresh_process(["demo", "--no-serve"], tmp_path)
    assert seen["argv"] == ["preau", "demo", "--no-serve"]
    assert seen["demo"] is True
    assert {key: seen[key] for key in DEMO_SETTINGS} == DEMO_SETTINGS
    # Any other command is no demo: the database worker, no page of messages, bodies cleared.
    other = _settings_in_a_fresh_process(["check"], tmp_path)
    assert other["demo"] is False
    assert other["tasks"] == "django_tasks_db.DatabaseBackend"
    assert other["email"] == "django.core.mail.backends.console.EmailBackend"
    assert other["sms"] == "console"


def test_the_demo_command_serves_in_demo_mode_and_says_where_messages_go(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo: None
) -> None:
    """The server `preau demo` becomes (``preau serve`` execs it) reads its settings from the
    environment: the command leaves PREAU_DEMO=1 there for it."""
    from preau.demo.management.commands import demo as command

    monkeypatch.delenv("PREAU_DEMO", raising=False)
    served: list[dict[str, Any]] = []
    real = command.call_command

    def fake(name: str, *args: Any, **options: Any) -> None:
        if name == "serve":
            served.append({"options": options, "PREAU_DEMO": os.environ.get("PREAU_DEMO")})
            return
        real(name, *args, **options)

    monkeypatch.setattr(command, "call_command", fake)
    call_command("demo", "--bind", "127.0.0.1:8123")
    assert served == [{"options": {"bind": "127.0.0.1:8123"}, "PREAU_DEMO": "1"}]
    out = capsys.readouterr().out
    assert "Courriels et SMS : rien ne part vraiment" in out
    assert "/demo/messages" in out


@pytest.mark.usefixtures("demo")
def test_the_demo_command_delivers_what_an_earlier_run_left_queued(
    parent: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    from preau.notify.services import message_queue

    left = message_queue(
        channel="email",
        to=parent.email,
        template="test_message",
        context={},
        account=parent,
    )  # never delivered: no on-commit callback runs in this test's transaction
    # Queued by a server stopped an hour ago.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    OutboundMessage.objects.filter(pk=left.pk).update(
        created_at=an_hour_ago, next_attempt_at=an_hour_ago, enqueued_at=an_hour_ago
    )
    call_command("demo", "--no-serve")
    left.refresh_from_db()
    assert left.status == OutboundMessage.Status.SENT
    assert "Courriel pour sandrine.martin@example.org" in capsys.readouterr().out
