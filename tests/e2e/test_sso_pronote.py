"""A student signs in, opens PRONOTE's tile (the example "vie scolaire" service standing in
for it, speaking CAS through python-cas) and lands there signed in, greeted with name and
class. axe-core checks the portal, the CAS sign-in form, the refusal and sign-out pages."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from examples.vie_scolaire import VieScolaire

from preau.directory.models import Account, Establishment
from tests.interop.conftest import _QuietHandler, _ThreadingServer
from tests.sso.conftest import PASSWORD, _fresh_registry, make_person, register  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(os.environ.get("PREAU_SCREENSHOTS", tempfile.gettempdir()))


@pytest.fixture
def student(establishment: Establishment) -> Account:
    return make_person("emma.petit", establishment)


@pytest.fixture
def pronote_stand_in(server: str) -> Iterator[VieScolaire]:
    web = make_server(
        "127.0.0.1", 0, lambda e, s: [], server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    base = f"http://127.0.0.1:{web.server_address[1]}/"
    app = VieScolaire(cas_url=f"{server}/cas/", base_url=base)
    web.set_app(app)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    register(
        "PRONOTE",
        ("prefix", base),
        slug="pronote",
        launch_url=base + "login",
        description="Emploi du temps, notes, cahier de textes",
        icon="fr-icon-calendar-line",
    )
    try:
        yield app
    finally:
        web.shutdown()
        web.server_close()


def test_a_student_opens_pronote_from_mes_services_and_is_greeted(  # noqa: PLR0917
    page: Any,
    server: str,
    student: Account,
    pronote_stand_in: VieScolaire,
    signin: Callable[..., None],
    axe: Callable[..., None],
) -> None:
    signin(page, "emma.petit", PASSWORD)
    assert page.url == f"{server}/"
    assert page.get_by_role("heading", name="Mes services").is_visible()
    assert page.get_by_role("heading", name="Scolarité").is_visible()
    axe(page, "Mes services")
    page.screenshot(path=str(SCREENSHOTS / "mes-services.png"), full_page=True)
    with page.expect_navigation(url=re.compile(re.escape(pronote_stand_in.base_url) + "$")):
        page.get_by_role("link", name="PRONOTE").click()
    assert page.locator("#greeting").inner_text() == "Bonjour Emma Petit"
    assert page.locator("#class").inner_text() == "Classe : 3A"
    assert len(pronote_stand_in.sessions) == 1
    page.screenshot(path=str(SCREENSHOTS / "pronote-stand-in.png"))


def test_mes_services_on_a_phone(
    phone_page: Any,
    student: Account,
    pronote_stand_in: VieScolaire,
    signin: Callable[..., None],
    axe: Callable[..., None],
) -> None:
    signin(phone_page, "emma.petit", PASSWORD)
    assert phone_page.get_by_role("link", name="PRONOTE").is_visible()
    axe(phone_page, "Mes services (téléphone)")


def test_cas_pages_pass_axe(
    page: Any,
    server: str,
    student: Account,
    pronote_stand_in: VieScolaire,
    axe: Callable[..., None],
) -> None:
    service = pronote_stand_in.base_url + "login"
    page.goto(f"{server}/cas/login?service={service}")
    assert page.locator("form#fm1.cas__login-form").is_visible()
    assert "Connectez-vous pour accéder à PRONOTE." in page.content()
    axe(page, "CAS sign-in form")
    page.fill("#username", "emma.petit")
    page.fill("#password", "wrong")
    page.click("#fm1 button[type=submit]")
    assert page.locator("#signin-error").is_visible()
    axe(page, "CAS sign-in form with an error")

    response = page.goto(f"{server}/cas/login?service=https://evil.example/")
    assert response.status == 403
    assert page.url.startswith(server)
    assert page.get_by_role("heading", name="Accès refusé").is_visible()
    axe(page, "refusal page")

    page.goto(f"{server}/cas/logout?service=https://evil.example/")
    assert page.get_by_role("heading", name="Vous êtes déconnecté").is_visible()
    axe(page, "signed-out page")
