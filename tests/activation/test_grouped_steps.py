"""Several first-connection steps on one page: a list in ``PREAU["REQUIRED_ACTIONS"]``
(password, birth date and contact together, then the charter), checked by the system check,
validated together, applied together, counted as one step."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from preau.activation.journey import journey_pages
from preau.activation.models import ActivationJourney, CharterAcceptance, CharterVersion
from preau.activation.selectors import required_actions_config, required_actions_steps
from preau.audit.models import AuditEvent
from preau.directory.models import Account
from tests.activation.conftest import GOOD_PASSWORD, GUARDIAN_CODE, follow, post, sign_in

pytestmark = pytest.mark.django_db

GROUPED = {
    "responsable": [
        ["UPDATE_PASSWORD", "CONFIRM_BIRTH_DATE", "UPDATE_CONTACT"],
        "ACCEPT_CHARTER",
        "VERIFY_EMAIL",
    ]
}
GROUP_URL = "/premiere-connexion/informations"
STEP = re.compile(r"Étape (\d) sur (\d)")
GOOD = {
    "password": GOOD_PASSWORD,
    "password_confirm": GOOD_PASSWORD,
    "birth_date": "14/07/2011",
    "email": "marc.b@example.org",
    "mobile": "06 11 22 33 44",
    "from_establishment": "on",
}


def step_of(html: str) -> tuple[int, int]:
    found = STEP.search(html)
    assert found, "the page shows where one is in the journey"
    return int(found.group(1)), int(found.group(2))


@pytest.fixture
def grouped_guardian(
    client: Client, guardian: Account, charter: CharterVersion, preau_options: Any
) -> Account:
    preau_options(REQUIRED_ACTIONS=GROUPED)
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    return guardian


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"responsable": [["UPDATE_PASSWORD", "SING_A_SONG"]]}, "unknown action"),
        (
            {"responsable": [["UPDATE_PASSWORD", "UPDATE_CONTACT"], "UPDATE_PASSWORD"]},
            "more than once",
        ),
        ({"responsable": [["UPDATE_CONTACT", "UPDATE_CONTACT"]]}, "more than once"),
        ({"responsable": [["UPDATE_CONTACT", "VERIFY_EMAIL"]]}, "VERIFY_EMAIL cannot share"),
        ({"responsable": [[], "ACCEPT_CHARTER"]}, "non-empty list"),
        ({"responsable": [{"UPDATE_PASSWORD": 1}]}, "non-empty list"),
    ],
)
def test_a_grouping_that_cannot_work_is_refused_by_the_system_check(
    preau_options: Any, config: dict[str, Any], message: str
) -> None:
    preau_options(REQUIRED_ACTIONS=config)
    with pytest.raises(ImproperlyConfigured, match=message):
        required_actions_config()
    errors = [e for e in run_checks() if e.id == "preau.E401"]
    assert errors and message in errors[0].msg


def test_a_grouped_configuration_passes_the_check_and_flattens_in_order(
    preau_options: Any,
) -> None:
    preau_options(REQUIRED_ACTIONS={**GROUPED, "eleve": ["ACCEPT_CHARTER", ["UPDATE_PASSWORD"]]})
    assert [e for e in run_checks() if e.id == "preau.E401"] == []
    assert required_actions_config()["responsable"] == [
        "UPDATE_PASSWORD",
        "CONFIRM_BIRTH_DATE",
        "UPDATE_CONTACT",
        "ACCEPT_CHARTER",
        "VERIFY_EMAIL",
    ]


def test_grouped_actions_count_as_one_step() -> None:
    steps = [("A",), ("B", "C", "D"), ("E",)]
    assert journey_pages(["A", "B", "C", "D", "E"], steps) == [["A"], ["B", "C", "D"], ["E"]]
    assert journey_pages(["B", "D", "E"], steps) == [["B", "D"], ["E"]]
    assert journey_pages(["A", "B", "C"]) == [["A"], ["B"], ["C"]]


def test_a_guardians_grouped_page_applies_every_step_at_once_then_the_charter(
    client: Client, grouped_guardian: Account
) -> None:
    assert required_actions_steps(grouped_guardian)[0] == (
        "UPDATE_PASSWORD",
        "CONFIRM_BIRTH_DATE",
        "UPDATE_CONTACT",
    )
    page = follow(client, "/")
    assert page.url == GROUP_URL
    assert step_of(page.html) == (1, 3)
    assert "Étape suivante :</span> Charte d’utilisation" in page.html
    for field in ('name="password"', 'name="birth_date"', 'name="email"', 'id="password-rules"'):
        assert field in page.html
    assert "Léa Bernard" in page.html

    page = post(client, GROUP_URL, GOOD)
    assert page.url == "/premiere-connexion/charte"
    assert step_of(page.html) == (2, 3)

    journey = ActivationJourney.objects.get(account=grouped_guardian)
    assert journey.password_updated_at is not None
    assert journey.birth_date_confirmed_at is not None
    assert journey.contact_updated_at is not None
    grouped_guardian.refresh_from_db()
    assert grouped_guardian.check_password(GOOD_PASSWORD)
    assert grouped_guardian.email == "marc.b@example.org"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "account.password.set",
        "activation.birth_date.confirm",
        "account.contact.update",
    } <= actions

    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/premiere-connexion/courriel"
    assert step_of(page.html) == (3, 3)
    assert CharterAcceptance.objects.filter(account=grouped_guardian).exists()


def test_every_error_of_the_grouped_page_is_shown_and_what_was_typed_is_kept(
    client: Client, grouped_guardian: Account
) -> None:
    typed = {
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD + "x",
        "birth_date": "31/02/2011",
        "email": "marc.b@example",
        "mobile": "06 11 22 33 44",
    }
    page = post(client, GROUP_URL, typed)
    assert page.status == 400
    assert page.url == GROUP_URL
    assert step_of(page.html) == (1, 3)
    assert "il n&#x27;y a pas de 31/02/2011" in page.html  # birth date
    assert "adresse" in page.html.lower()
    assert page.html.count("fr-input--error") >= 3  # confirmation, date, e-mail
    assert 'value="31/02/2011"' in page.html
    assert 'value="marc.b@example"' in page.html
    assert 'value="06 11 22 33 44"' in page.html
    assert GOOD_PASSWORD not in page.html  # passwords are never sent back
    journey = ActivationJourney.objects.filter(account=grouped_guardian).first()
    assert journey is None or journey.password_updated_at is None
    assert not AuditEvent.objects.filter(action="account.password.set").exists()


def test_a_wrong_birth_date_applies_nothing_and_keeps_the_rest(
    client: Client, grouped_guardian: Account
) -> None:
    page = post(client, GROUP_URL, {**GOOD, "birth_date": "15/07/2011"})
    assert page.status == 400
    assert "ne correspond pas à celle que l&#x27;établissement connaît pour Léa Bernard" in (
        page.html
    )
    assert 'value="marc.b@example.org"' in page.html
    assert GOOD_PASSWORD not in page.html
    journey = ActivationJourney.objects.get(account=grouped_guardian)
    assert journey.password_updated_at is None
    assert journey.contact_updated_at is None
    grouped_guardian.refresh_from_db()
    assert grouped_guardian.email == "marc.bernard@example.fr"
    assert AuditEvent.objects.filter(action="activation.birth_date.failure").count() == 1
    assert not AuditEvent.objects.filter(action="account.password.set").exists()


def test_the_birth_date_throttle_still_applies_on_the_grouped_page(
    client: Client, grouped_guardian: Account
) -> None:
    statuses = []
    for _ in range(6):
        response = client.post(GROUP_URL, {**GOOD, "birth_date": "15/07/2011"})
        statuses.append(response.status_code)
    assert 429 in statuses
    response = client.post(GROUP_URL, GOOD)  # even the right date waits
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Trop de tentatives\u00a0: réessayez dans" in response.content.decode()
    assert ActivationJourney.objects.get(account=grouped_guardian).password_updated_at is None


def test_the_single_page_of_a_grouped_action_leads_to_the_grouped_page(
    client: Client, grouped_guardian: Account
) -> None:
    for single in ("/premiere-connexion/mot-de-passe", "/premiere-connexion/date-de-naissance"):
        assert follow(client, single).url == GROUP_URL
    response = client.post("/premiere-connexion/mot-de-passe", GOOD)
    assert response.status_code == 302
    assert ActivationJourney.objects.filter(password_updated_at__isnull=False).count() == 0
