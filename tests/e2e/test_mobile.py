""" "Application mobile" in Chromium on a phone-sized window (issue 16): "Activer mon accès"
shows the identifier, the code and their QR code (decoded from the screen), the three steps; the
QR + PIN page; a client Préau did not write (plain ``requests``) trades what the page showed
and the device appears in the list, then "Retirer cet appareil" removes it; the app's one-time
web link shows "Continuer vers <service>" and only its button opens the service. axe-core
checks every page; the same journeys work without JavaScript.

axe-core runs in the contexts with JavaScript only: in a context without it, Chromium runs no
timer, so ``axe.run`` (which schedules its work with ``setTimeout``) never settles, and
Playwright's ``evaluate`` has no timeout: the test would hang, not fail. The page's HTML is the
same in both (server-rendered); the context without JavaScript proves that it works."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import zxingcpp
from PIL import Image

from preau.directory.models import Account, Establishment, Membership
from preau.mobile.models import Device
from preau.mobile.services import device_pair, grant_create
from preau.mobile.tokens import pin_decrypt
from tests.mobile.conftest import PASSWORD, SERVICE, active
from tests.sso.conftest import register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Each test asks for ``parent`` (the database) before the browser: when this module runs first,
# the session's fixtures then end in the reverse order, so Chromium closes its keep-alive
# connections, and the live server's threads their database connections, before the test
# database is dropped (else PostgreSQL refuses to drop one "being accessed by other users").

WIDTH = 375
PHONE: dict[str, Any] = {
    "viewport": {"width": WIDTH, "height": 740},
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def parent(transactional_db: Any) -> Account:
    school = Establishment.objects.create(uai="0750654D", name="École Jules-Ferry", kind="ecole")
    account = active("claire.martin", "Claire", "Martin", email="claire@example.fr")
    Membership.objects.create(
        account=account, establishment=school, profile=Membership.Profile.GUARDIAN, school_year=2026
    )
    return account


def qr_text(page: Any, selector: str) -> str:
    """What a phone's camera reads from the QR code as the browser drew it on the screen."""
    image = Image.open(io.BytesIO(page.locator(selector).screenshot()))
    found = [
        code
        for code in zxingcpp.read_barcodes(image)
        if code.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert len(found) == 1, f"{len(found)} QR codes read in {selector}"
    return str(found[0].text)


def fits_the_phone(page: Any, selector: str) -> bool:
    """``selector`` is drawn whole within the phone's width, and nothing scrolls sideways."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is drawn"
    scroll = int(page.evaluate("document.documentElement.scrollWidth"))
    return bool(box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and scroll <= WIDTH)


def api_post(server: str, path: str, body: dict[str, Any], token: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{server}/api/mobile/v1{path}", json=body, headers=headers, timeout=10)


def test_activer_mon_acces_on_a_phone_pairs_the_app_then_retirer_cet_appareil(
    parent: Account, phone_page: Any, server: str, signin: Any, axe: Any
) -> None:
    page = phone_page
    signin(page, parent.login, PASSWORD, next="/mon-compte/mobile")
    assert page.url == f"{server}/mon-compte/mobile"
    assert page.inner_text("#mobile-no-device") == "Aucun appareil n’est associé à votre compte."
    axe(page, "Application mobile")

    with page.expect_navigation():
        page.get_by_role("button", name="Activer mon accès").click()
    identifier = page.inner_text("#mobile-identifier")
    code = page.inner_text("#mobile-code-value")
    assert len(identifier) == 8 and len(code) == 11  # "K7MQ4-XHA3C"
    steps = page.locator("#mobile-code ol li").all_inner_texts()
    assert len(steps) == 3
    assert steps[0].startswith("Installez l’application mobile")
    assert "flashez le QR code" in steps[1]
    assert "Ce code n’est valable que 5 minutes" in page.inner_text("#mobile-code")
    qr = page.locator("#mobile-code img.preau-mobile-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert fits_the_phone(page, "#mobile-code img.preau-mobile-qr")
    assert json.loads(qr_text(page, "#mobile-code img.preau-mobile-qr")) == {
        "v": 1,
        "address": server,
        "identifier": identifier,
        "code": code.replace("-", ""),
    }
    axe(page, "Activer mon accès")

    # The app trades what the page showed (typed as a person would, with the dash).
    answer = api_post(
        server,
        "/activation",
        {
            "identifier": identifier,
            "code": code,
            "device_name": "Téléphone de Claire",
            "platform": "android",
        },
    )
    assert answer.status_code == 200, answer.text
    access = answer.json()["access_token"]
    page.reload()
    devices = page.locator("#mobile-devices li")
    assert devices.count() == 1
    assert "Téléphone de Claire (Android)" in devices.first.inner_text()
    assert "pas encore utilisé" in devices.first.inner_text()
    axe(page, "Mes appareils")

    with page.expect_navigation():
        page.get_by_role("button", name="Retirer cet appareil : Téléphone de Claire").click()
    assert "L’appareil « Téléphone de Claire » est retiré" in page.inner_text("main")
    assert page.locator("#mobile-devices").count() == 0
    axe(page, "Appareil retiré")
    refused = requests.get(
        f"{server}/api/mobile/v1/me", headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert refused.status_code == 401
    assert Device.objects.get().revoke_reason == "removed"


def test_the_qr_code_and_pin_on_a_phone(
    parent: Account, phone_page: Any, server: str, signin: Any, axe: Any
) -> None:
    page = phone_page
    signin(page, parent.login, PASSWORD, next="/mon-compte/mobile")
    page.fill("#id_pin", "12a")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher le QR code").click()
    assert page.inner_text("#pin-error") == "Le code PIN doit comporter exactement 4 chiffres."
    axe(page, "QR + PIN: wrong PIN")

    page.fill("#id_pin", "4821")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher le QR code").click()
    assert "tapez le code PIN que vous venez de choisir" in page.inner_text("#mobile-qr-pin")
    fields = json.loads(qr_text(page, "#mobile-qr-pin img.preau-mobile-qr"))
    assert fields["address"] == server and "4821" not in json.dumps(fields)
    axe(page, "QR + PIN")

    answer = api_post(
        server,
        "/pairing",
        {
            "identifier": fields["identifier"],
            "token": pin_decrypt(pin="4821", fields=fields),
            "device_name": "iPad",
            "platform": "ios",
        },
    )
    assert answer.status_code == 200, answer.text
    page.reload()
    assert "iPad (iOS)" in page.inner_text("#mobile-devices")


@pytest.fixture
def no_js_phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False, **PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_page_works_without_javascript(
    parent: Account, no_js_phone: Any, server: str, signin: Any
) -> None:
    page = no_js_phone
    signin(page, parent.login, PASSWORD, next="/mon-compte/mobile")
    with page.expect_navigation():
        page.get_by_role("button", name="Activer mon accès").click()
    identifier = page.inner_text("#mobile-identifier")
    assert json.loads(qr_text(page, "#mobile-code img.preau-mobile-qr"))["identifier"] == identifier
    assert fits_the_phone(page, "#mobile-code img.preau-mobile-qr")
    answer = api_post(
        server,
        "/activation",
        {
            "identifier": identifier,
            "code": page.inner_text("#mobile-code-value"),
            "device_name": "Sans JS",
            "platform": "other",
        },
    )
    assert answer.status_code == 200, answer.text
    page.fill("#id_pin", "4821")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher le QR code").click()
    fields = json.loads(qr_text(page, "#mobile-qr-pin img.preau-mobile-qr"))
    assert pin_decrypt(pin="4821", fields=fields)
    # The page after the POST lists the device paired meanwhile.
    assert "Sans JS (Autre)" in page.inner_text("#mobile-devices")
    with page.expect_navigation():
        page.get_by_role("button", name="Retirer cet appareil : Sans JS").click()
    assert "est retiré" in page.inner_text("main")
    assert not Device.objects.filter(revoked_at__isnull=True).exists()


def web_link(server: str, account: Account) -> str:
    """A device of ``account`` paired, and the one-time link the app asks for (the API)."""
    issued = grant_create(actor=account, account=account)
    pair = device_pair(
        kind="code",
        identifier=issued.grant.identifier,
        secret=issued.code,
        name="Téléphone",
        platform="android",
    )
    answer = api_post(server, "/web-link", {"service": SERVICE}, token=pair.access_token)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["url"])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_web_link_asks_before_it_signs_in_and_opens_the_service(
    parent: Account, browser: Any, server: str, axe: Any, javascript: bool
) -> None:
    register("Vie scolaire", ("prefix", SERVICE), slug="vie-scolaire", launch_url=SERVICE)
    url = web_link(server, parent)
    # A chat's link previewer fetches the link first: that spends nothing.
    assert "Continuer vers Vie scolaire" in requests.get(url, timeout=10).text
    context = browser.new_context(locale="fr-FR", java_script_enabled=javascript, **PHONE)
    try:
        page = context.new_page()
        page.goto(url)
        assert page.inner_text("h1") == "Continuer vers Vie scolaire"
        if javascript:
            axe(page, "web link")
        # Signed in, through the CAS login, to the service with its ticket. (The service is on
        # no network here, and Playwright does not route a redirect's next hop: the browser's
        # request to it is what the test reads.)
        to_service = f"{SERVICE}?ticket=ST-"
        with page.expect_request(lambda request: request.url.startswith(to_service)) as sent:
            page.get_by_role("button", name="Continuer vers Vie scolaire").click()
        assert sent.value.redirected_from.url.startswith(f"{server}/cas/login?service=")
        again = context.new_page()  # the link opened again, in another tab: spent
        again.goto(url)
        assert again.inner_text("h1") == "Ce lien n’est plus valable"
        if javascript:
            axe(again, "web link spent")
    finally:
        context.close()
