"""While a journey is under way (first connection, a new charter, a password the school asked
for), the header offers only the person's name and "Se déconnecter": "Mes services" and "Mon
compte" would only lead back to the step. Once it ends, they are there again."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from preau.activation import middleware
from preau.activation.models import CharterVersion
from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account
from tests.activation.conftest import GOOD_PASSWORD, STUDENT_CODE, follow, post, sign_in

pytestmark = pytest.mark.django_db


def header(html: str) -> str:
    found = re.search(r"<header\b.*?</header>", html, re.S)
    assert found, "the page has a header"
    return found.group(0)


def assert_journey_header(html: str, name: str) -> None:
    top = header(html)
    assert name in top
    assert "Se déconnecter" in top
    assert "Mes services" not in top
    assert "Mon compte" not in top
    assert 'href="/mon-compte/"' not in top
    assert 'href="/"' not in top.replace('<a href="/" title=', "")  # the ENT's name stays


def assert_full_header(html: str, name: str) -> None:
    top = header(html)
    assert name in top
    assert "Se déconnecter" in top
    assert "Mes services" in top
    assert 'href="/mon-compte/"' in top


def test_the_first_connection_shows_only_the_name_and_sign_out_until_it_ends(
    client: Client, student: Account, charter: CharterVersion, preau_options: Any
) -> None:
    preau_options(
        REQUIRED_ACTIONS={"eleve": ["ACCEPT_CHARTER", "UPDATE_PASSWORD", "CONFIRM_BIRTH_DATE"]}
    )
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = follow(client, "/")
    assert page.url == "/premiere-connexion/charte"
    assert_journey_header(page.html, "Léa Bernard")

    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/premiere-connexion/mot-de-passe"
    assert_journey_header(page.html, "Léa Bernard")

    page = post(client, page.url, {"password": "court", "password_confirm": "court"})
    assert page.status == 400  # a page with errors too
    assert_journey_header(page.html, "Léa Bernard")

    page = post(client, page.url, {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert page.url == "/premiere-connexion/date-de-naissance"
    assert_journey_header(page.html, "Léa Bernard")

    page = post(client, page.url, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/termine"
    assert_full_header(page.html, "Léa Bernard")  # the account is active: the journey ended
    for url in ("/", "/mon-compte/"):
        page = follow(client, url)
        assert page.url == url
        assert_full_header(page.html, "Léa Bernard")


def test_a_new_charter_version_to_accept_hides_them_too(
    client: Client, charter: CharterVersion
) -> None:
    account = Account.objects.create_user(
        "claire.martin",
        password=GOOD_PASSWORD,
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    charter_accept(actor=account, account=account, version=charter)
    sign_in(client, "claire.martin", GOOD_PASSWORD)
    assert_full_header(follow(client, "/mon-compte/").html, "Claire Martin")

    newer = charter_version_create(actor=None, title="Charte 2027", body="Article 3.")
    charter_version_publish(actor=None, version=newer)
    page = follow(client, "/mon-compte/")
    assert page.url == "/premiere-connexion/charte"
    assert_journey_header(page.html, "Claire Martin")
    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/mon-compte/"
    assert_full_header(page.html, "Claire Martin")


def test_an_ordinary_page_asks_nothing_more_for_the_header(
    client: Client, student: Account, preau_options: Any
) -> None:
    """The middleware's decision (one session read) serves the header: no second look."""
    preau_options(REQUIRED_ACTIONS={"eleve": []})
    sign_in(client, "lea.bernard", STUDENT_CODE)
    follow(client, "/")  # the journey activates the account; the session remembers it is clear
    with mock.patch.object(
        middleware, "required_actions_pending", wraps=middleware.required_actions_pending
    ) as spy:
        page = follow(client, "/mon-compte/")
    assert page.url == "/mon-compte/"
    assert_full_header(page.html, "Léa Bernard")
    assert spy.call_count == 0
