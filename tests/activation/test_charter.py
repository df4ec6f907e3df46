"""Charter versions: the operator writes and publishes them in /operateur/; published versions
are frozen; acceptances are recorded once with their time."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from preau.activation.models import CharterAcceptance, CharterVersion
from preau.activation.selectors import charter_current, charter_current_id
from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
    charter_version_update,
)
from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.activation.conftest import STUDENT_CODE, follow, post, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db: Any) -> Account:
    return Account.objects.create_superuser(
        "ope.rateur", password="Operateur#2026", first_name="Ope", last_name="Rateur"
    )


@pytest.fixture
def operator_client(operator: Account) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_the_operator_writes_then_publishes_a_version_in_the_admin(
    operator_client: Client, operator: Account
) -> None:
    response = operator_client.post(
        "/operateur/activation/charterversion/add/",
        {"title": "Charte 2026", "body": "Respectez les autres.\n\nProtégez votre mot de passe."},
    )
    assert response.status_code == 302
    version = CharterVersion.objects.get()
    assert version.number == 1
    assert version.published_at is None
    assert charter_current() is None  # a draft is nobody's charter yet

    response = operator_client.post(
        "/operateur/activation/charterversion/",
        {"action": "publish", "_selected_action": [version.pk]},
        follow=True,
    )
    assert "1 version publiée" in response.content.decode()
    version.refresh_from_db()
    assert version.published_at is not None
    assert charter_current() == version
    events = AuditEvent.objects.filter(action__startswith="charter.").order_by("id")
    assert [(e.action, e.actor) for e in events] == [
        ("charter.create", operator),
        ("charter.publish", operator),
    ]


def test_a_published_version_is_frozen(operator_client: Client, charter: CharterVersion) -> None:
    page = operator_client.get(f"/operateur/activation/charterversion/{charter.pk}/change/")
    assert 'name="body"' not in page.content.decode()
    operator_client.post(
        f"/operateur/activation/charterversion/{charter.pk}/change/",
        {"title": "Autre", "body": "Autre texte"},
    )
    charter.refresh_from_db()
    assert "On respecte les autres" in charter.body
    with pytest.raises(ValidationError):
        charter_version_update(actor=None, version=charter, title="x", body="y")
    assert operator_client.post(
        f"/operateur/activation/charterversion/{charter.pk}/delete/", {"post": "yes"}
    ).status_code in (302, 403)
    assert CharterVersion.objects.filter(pk=charter.pk).exists()


def test_versions_are_numbered_and_the_latest_published_is_current(
    charter: CharterVersion,
) -> None:
    second = charter_version_create(actor=None, title="", body="Deuxième version.")
    assert second.number == 2
    assert second.title == "Charte d'utilisation"
    assert charter_current_id() == charter.pk
    charter_version_publish(actor=None, version=second)
    assert charter_current_id() == second.pk
    assert charter_version_publish(actor=None, version=second) is False  # already published


def test_an_older_draft_cannot_be_published_over_a_newer_version(charter: CharterVersion) -> None:
    draft = charter_version_create(actor=None, title="", body="Brouillon oublié.")
    newer = charter_version_create(actor=None, title="", body="Version publiée.")
    charter_version_publish(actor=None, version=newer)
    with pytest.raises(ValidationError):
        charter_version_publish(actor=None, version=draft)


def test_an_empty_charter_is_refused() -> None:
    with pytest.raises(ValidationError):
        charter_version_create(actor=None, title="Vide", body="  \n ")


def test_accepting_is_recorded_once_with_version_and_time(
    client: Client, student: Account, charter: CharterVersion
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = follow(client)
    assert page.url == "/premiere-connexion/charte"
    post(client, page.url, {"accept": "on"})
    post(client, page.url, {"accept": "on"})  # the same form sent twice
    acceptance = CharterAcceptance.objects.get(account=student)
    assert acceptance.version == charter
    assert acceptance.accepted_at is not None
    assert acceptance.ip == "127.0.0.1"
    assert AuditEvent.objects.filter(action="charter.accept", target=student).count() == 1
    assert charter_accept(actor=student, account=student, version=charter) == acceptance


def test_not_ticking_the_box_says_what_to_do(
    client: Client, student: Account, charter: CharterVersion
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = post(client, "/premiere-connexion/charte", {})
    assert page.status == 400
    assert "Cochez la case « J&#x27;ai lu et j&#x27;accepte les conditions ci-dessus »" in page.html
    assert not CharterAcceptance.objects.exists()


def test_a_draft_cannot_be_accepted(student: Account) -> None:
    draft = charter_version_create(actor=None, title="", body="Brouillon.")
    with pytest.raises(ValidationError):
        charter_accept(actor=student, account=student, version=draft)


def test_mon_compte_shows_the_charter_and_when_it_was_accepted(
    client: Client, charter: CharterVersion
) -> None:
    from django.utils import timezone

    account = Account.objects.create_user(
        "claire.martin",
        password="Tournesol#42b",
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    charter_accept(actor=account, account=account, version=charter)
    sign_in(client, "claire.martin", "Tournesol#42b")
    page = follow(client, "/mon-compte/charte")
    assert page.url == "/mon-compte/charte"
    assert "Vous avez accepté la version 1 le" in page.html
    assert "Article 2. On protège son mot de passe." in page.html
