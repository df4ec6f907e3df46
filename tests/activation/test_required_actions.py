"""Required actions come before any page, in the configured order; what stays reachable; the
selector and the URL the CAS and OIDC code use; the configuration's checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.activation.models import CharterVersion
from preau.activation.selectors import required_actions_config, required_actions_pending
from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account, Establishment, Membership
from preau.signin.passwords import PASSWORD_CHANGE_SESSION_KEY
from tests.activation.conftest import STUDENT_CODE, follow, member, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(establishment: Establishment) -> Account:
    account = Account.objects.create_user(
        "claire.martin",
        password="Tournesol#42b",
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    member(account, establishment, Membership.Profile.TEACHER)
    return account


@pytest.mark.parametrize(
    "path",
    ["/", "/mon-compte/", "/mon-compte/mot-de-passe", "/console/", "/operateur/"],
)
def test_every_page_leads_a_pending_person_to_the_journey_and_back(
    client: Client, student: Account, path: str
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    response = client.get(path + "?service=x")
    assert response.status_code == 302
    assert response["Location"].startswith("/premiere-connexion/?next=")
    # The journey keeps where the person was going.
    assert client.get(response["Location"])["Location"] == "/premiere-connexion/mot-de-passe"
    assert client.session["preau_journey_next"] == path + "?service=x"


def test_a_post_elsewhere_is_sent_to_the_journey_without_a_next(
    client: Client, student: Account
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    response = client.post("/mon-compte/coordonnees", {"mobile": "0612345678"})
    assert response["Location"] == "/premiere-connexion/"
    student.refresh_from_db()
    assert student.mobile == ""


@pytest.mark.parametrize(
    "path", ["/deconnexion", "/connexion", "/healthz", "/courriel/confirmer/x"]
)
def test_signing_out_signing_in_health_and_the_mail_link_stay_reachable(
    client: Client, student: Account, path: str
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    response = client.get(path)
    assert not response.get("Location", "").startswith("/premiere-connexion/")


def test_a_new_charter_version_is_accepted_before_anything_else(
    client: Client, active: Account
) -> None:
    sign_in(client, "claire.martin", "Tournesol#42b")
    assert client.get("/").status_code == 200
    version = charter_version_create(actor=None, title="Charte", body="Version 1.")
    charter_version_publish(actor=None, version=version)
    page = follow(client, "/mon-compte/")
    assert page.url == "/premiere-connexion/charte"
    # The first charter ever published is not "a new version" (issue 12, part 10).
    assert "a changé" not in page.html and "nouvelle version" not in page.html
    assert "Étape" not in page.html  # a single step: no progress bar
    client.post(page.url, {"accept": "on"})
    assert follow(client, "/mon-compte/").url == "/mon-compte/"
    # The second is: the person accepted the first.
    version = charter_version_create(actor=None, title="Charte", body="Version 2.")
    charter_version_publish(actor=None, version=version)
    page = follow(client, "/mon-compte/")
    assert page.url == "/premiere-connexion/charte"
    assert "La charte d’utilisation a changé" in page.html
    assert "Une nouvelle version de la charte" in page.html


def test_an_accepted_charter_is_not_asked_again_until_a_new_version(
    client: Client, active: Account, charter: CharterVersion
) -> None:
    charter_accept(actor=active, account=active, version=charter)
    assert required_actions_pending(active) == []
    sign_in(client, "claire.martin", "Tournesol#42b")
    assert client.get("/").status_code == 200
    newer = charter_version_create(actor=None, title="Charte", body="Version 2.")
    assert client.get("/").status_code == 200  # a draft asks nothing
    charter_version_publish(actor=None, version=newer)
    assert required_actions_pending(active) == ["ACCEPT_CHARTER"]
    assert client.get("/")["Location"].startswith("/premiere-connexion/")


def test_a_deployment_without_a_charter_step_never_asks_for_it(
    client: Client, active: Account, charter: CharterVersion, preau_options: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"enseignant": ["UPDATE_PASSWORD", "UPDATE_CONTACT"]})
    assert required_actions_pending(active) == []


def test_a_password_change_asked_in_the_session_comes_first(
    client: Client, active: Account
) -> None:
    sign_in(client, "claire.martin", "Tournesol#42b")
    session = client.session
    session[PASSWORD_CHANGE_SESSION_KEY] = True
    session.save()
    assert required_actions_pending(active, client.session) == ["UPDATE_PASSWORD"]
    assert follow(client, "/").url == "/premiere-connexion/mot-de-passe"
    client.post(
        "/premiere-connexion/mot-de-passe",
        {"password": "Girafe+Bleue77", "password_confirm": "Girafe+Bleue77"},
    )
    assert follow(client, "/").url == "/"
    assert PASSWORD_CHANGE_SESSION_KEY not in client.session


def test_an_active_account_without_a_local_password_is_not_asked_for_one(
    establishment: Establishment,
) -> None:
    federated = Account.objects.create_user(
        "paul.prof", first_name="Paul", last_name="Prof", state=Account.State.ACTIVE
    )
    member(federated, establishment, Membership.Profile.TEACHER)
    assert required_actions_pending(federated) == []


def test_the_selector_lists_pending_actions_in_the_configured_order(
    student: Account, charter: CharterVersion
) -> None:
    assert required_actions_pending(student) == [
        "ACCEPT_CHARTER",
        "UPDATE_PASSWORD",
        "CONFIRM_BIRTH_DATE",
        "UPDATE_CONTACT",
    ]
    assert required_actions_pending(None) == []


def test_the_continue_url_for_cas_and_oidc_comes_back_to_the_service(
    client: Client, student: Account
) -> None:
    # What the CAS login view does when required actions are pending.
    sign_in(client, "lea.bernard", STUDENT_CODE)
    target = "/cas/login?service=https%3A%2F%2Fpronote.example%2F"
    response = client.get("/premiere-connexion/", {"next": target})
    assert response["Location"] == "/premiere-connexion/mot-de-passe"
    assert client.session["preau_journey_next"] == target
    # An address on another site is never kept.
    client.get("/premiere-connexion/", {"next": "https://evil.example/"})
    assert client.session["preau_journey_next"] == target


def test_a_person_with_nothing_pending_goes_straight_through_continue(
    client: Client, active: Account
) -> None:
    sign_in(client, "claire.martin", "Tournesol#42b")
    response = client.get("/premiere-connexion/", {"next": "/mon-compte/"})
    assert response["Location"] == "/mon-compte/"


def test_once_clear_a_page_costs_no_required_actions_query(
    client: Client, active: Account, charter: CharterVersion
) -> None:
    charter_accept(actor=active, account=active, version=charter)
    sign_in(client, "claire.martin", "Tournesol#42b")
    with CaptureQueriesContext(connection) as first:
        assert client.get("/mon-compte/sessions").status_code == 200
    assert any("activation_charteracceptance" in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as later:
        assert client.get("/mon-compte/sessions").status_code == 200
    assert not any(
        'FROM "activation_' in q["sql"] or '"directory_membership"' in q["sql"]
        for q in later.captured_queries
    )


def test_signing_in_again_derives_the_actions_again(
    client: Client, active: Account, charter: CharterVersion
) -> None:
    charter_accept(actor=active, account=active, version=charter)
    sign_in(client, "claire.martin", "Tournesol#42b")
    client.get("/")
    assert "preau_required_actions_clear" in client.session
    sign_in(client, "claire.martin", "Tournesol#42b")
    assert "preau_required_actions_clear" not in client.session


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"eleve": ["ACCEPT_CHARTER", "SING_A_SONG"]}, "unknown action"),
        ({"parent": ["ACCEPT_CHARTER"]}, "unknown profile"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_by_the_system_check(
    preau_options: Any, config: dict[str, list[str]], message: str
) -> None:
    preau_options(REQUIRED_ACTIONS=config)
    with pytest.raises(ImproperlyConfigured, match=message):
        required_actions_config()
    errors = [e for e in run_checks() if e.id == "preau.E401"]
    assert errors and message in errors[0].msg


def test_the_default_configuration_passes_the_system_check() -> None:
    assert [e for e in run_checks() if e.id.startswith("preau.E40")] == []


def test_a_profile_without_steps_is_activated_at_its_first_page(
    client: Client, student: Account, preau_options: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"eleve": []})
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = follow(client, "/mon-compte/")
    assert page.url == "/premiere-connexion/termine"
    assert "Votre compte est activé" in page.html
    student.refresh_from_db()
    assert student.state == Account.State.ACTIVE
    assert follow(client, "/mon-compte/").url == "/mon-compte/"
