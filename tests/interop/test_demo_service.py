"""The example "vie scolaire" service (python-cas inside) signs a student in through Préau,
greets them with name and class, and closes its session on Préau's single logout."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from examples.vie_scolaire import VieScolaire

from preau.directory.models import Account
from tests.sso.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def browse_to_service(demo: VieScolaire) -> requests.Session:
    browser = requests.Session()
    page = browser.get(demo.base_url + "login", timeout=10)  # → Préau's /cas/login
    form = BeautifulSoup(page.text, "html.parser").find("form", {"id": "fm1"})
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}  # type: ignore[union-attr]
    data.update(username="emma.petit", password=PASSWORD)
    landed = browser.post(page.url, data=data, timeout=10)  # → ticket → the service's home
    assert landed.url == demo.base_url
    assert "Bonjour Emma Petit" in landed.text
    assert "Classe : 3A" in landed.text
    return browser


def test_the_demo_service_greets_the_student_then_receives_single_logout(
    live_server: Any, student: Account, demo_service: VieScolaire
) -> None:
    browser = browse_to_service(demo_service)
    assert len(demo_service.sessions) == 1
    ticket = next(iter(demo_service.sessions.values())).ticket
    # Sign out at Préau (its own page, with the form's CSRF token).
    home = browser.get(f"{live_server.url}/", timeout=10)
    token = BeautifulSoup(home.text, "html.parser").find("input", {"name": "csrfmiddlewaretoken"})
    browser.post(
        f"{live_server.url}/deconnexion",
        data={"csrfmiddlewaretoken": token["value"]},  # type: ignore[index]
        timeout=10,
    )
    deadline = time.monotonic() + 10
    while demo_service.sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert demo_service.logouts == [ticket]
    assert demo_service.sessions == {}
    assert "Vous n’êtes pas connecté" in browser.get(demo_service.base_url, timeout=10).text


def test_the_demo_service_logout_goes_through_cas_and_back(
    live_server: Any, student: Account, demo_service: VieScolaire
) -> None:
    browser = browse_to_service(demo_service)
    back = browser.get(demo_service.base_url + "logout", timeout=10)
    assert back.url == demo_service.base_url
    assert "Vous n’êtes pas connecté" in back.text
    # Préau's session is over too: the next visit asks for credentials.
    again = browser.get(demo_service.base_url + "login", timeout=10)
    assert 'id="fm1"' in again.text
