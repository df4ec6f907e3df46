"""On a phone (390 × 844, Chromium): the design system's mobile header (a menu button opening
the links, the person's name as text), "Mon compte"'s collapsible side menu reaching the
charter, the sign-in form in the first screen with the profile choice above it, the French error
pages and the footer's pages, each checked by axe-core; and without JavaScript the header's and
side menu's links stay in the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account, Establishment, Membership
from preau.portal.models import Category, Service, ServicePattern
from preau.signin.passwords import account_password_set

PASSWORD = "Tournesol#42"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def claire(transactional_db: Any) -> Account:
    """A pupil whose account is active and who accepted the published charter."""
    school = Establishment.objects.create(uai="0750654D", name="Lycée", kind="lycee")
    account = Account.objects.create_user(
        "claire.martin",
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    account_password_set(actor=None, account=account, password=PASSWORD)
    Membership.objects.create(
        account=account, establishment=school, profile="eleve", school_year=timezone.now().year
    )
    charter = charter_version_create(
        actor=None, title="Charte 2026", body="Article 1. Chacun respecte les autres."
    )
    charter_version_publish(actor=None, version=charter)
    charter_accept(actor=account, account=account, version=charter)
    return account


def _phone(browser: Any, javascript: bool = True) -> Iterator[Any]:
    context = browser.new_context(
        locale="fr-FR",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from _phone(browser)


@pytest.fixture
def phone_without_js(browser: Any) -> Iterator[Any]:
    yield from _phone(browser, javascript=False)


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is drawn"
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] + box["height"] <= PHONE["height"]
    )


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_the_header_on_a_phone_is_a_menu_button_opening_the_links(
    phone: Any, url: Callable[[str], str], signin: Any, axe: Any, claire: Account
) -> None:
    signin(phone, "claire.martin", PASSWORD, next="/mon-compte/")
    assert phone.url == url("/mon-compte/")
    menu_button = phone.get_by_role("button", name="Menu")
    assert menu_button.is_visible()
    # Nothing squeezed beside the logo: the links wait behind the button.
    for name in ("Mes services", "Mon compte"):
        assert not phone.locator("header").get_by_role("link", name=name).first.is_visible()
    assert not phone.get_by_role("button", name="Se déconnecter").is_visible()
    # The ENT's tagline on one line (it took three beside the links).
    tagline = phone.locator(".fr-header__service-tagline").bounding_box()
    assert tagline is not None and tagline["height"] < 30
    assert no_horizontal_scroll(phone)
    axe(phone, "Mon compte (téléphone), menu fermé")

    menu_button.click()
    menu = phone.locator("#header-menu")
    phone.wait_for_function("document.querySelector('#header-menu').matches('.fr-modal--opened')")
    # The name is text, not a button that does nothing.
    name = menu.locator(".preau-header__user")
    assert name.inner_text().strip() == "Claire Martin"
    assert name.is_visible()
    assert name.evaluate("e => e.tagName") == "SPAN"
    assert "fr-btn" not in (name.get_attribute("class") or "")
    assert menu.get_by_role("button", name="Claire Martin").count() == 0
    for link in ("Mes services", "Mon compte"):
        assert menu.get_by_role("link", name=link).is_visible()
    assert menu.get_by_role("button", name="Se déconnecter").is_visible()
    axe(phone, "Mon compte (téléphone), menu ouvert")

    menu.get_by_role("link", name="Mes services").click()
    phone.wait_for_url(url("/"))
    phone.get_by_role("button", name="Menu").click()
    phone.wait_for_function("document.querySelector('#header-menu').matches('.fr-modal--opened')")
    with phone.expect_navigation():
        phone.locator("#header-menu").get_by_role("button", name="Se déconnecter").click()
    phone.goto(url("/mon-compte/"))
    assert phone.url.startswith(url("/connexion"))


def test_without_javascript_the_header_and_side_menu_links_stay_in_the_page(
    phone_without_js: Any, url: Callable[[str], str], signin: Any, claire: Account
) -> None:
    page = phone_without_js
    signin(page, "claire.martin", PASSWORD, next="/mon-compte/")
    assert not page.get_by_role("button", name="Menu").is_visible()  # it would do nothing
    header = page.locator("header")
    assert header.get_by_role("link", name="Mes services").is_visible()
    assert header.get_by_role("button", name="Se déconnecter").is_visible()
    assert not page.get_by_role("button", name="Dans cette rubrique").is_visible()
    page.get_by_role("link", name="Charte d'utilisation").click()
    page.wait_for_url(url("/mon-compte/charte"))
    assert "Article 1. Chacun respecte les autres." in page.inner_text("main")
    assert no_horizontal_scroll(page)


def test_mon_compte_side_menu_opens_on_a_phone_and_reaches_the_charter(
    phone: Any, url: Callable[[str], str], signin: Any, axe: Any, claire: Account
) -> None:
    signin(phone, "claire.martin", PASSWORD, next="/mon-compte/")
    charter_link = phone.get_by_role("link", name="Charte d'utilisation")
    assert not charter_link.is_visible()  # folded: the page starts with its content
    toggle = phone.get_by_role("button", name="Dans cette rubrique")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    phone.wait_for_function(
        "document.querySelector('#account-menu-button').getAttribute('aria-expanded') === 'true'"
    )
    charter_link.wait_for(state="visible")
    axe(phone, "Mon compte (téléphone), menu latéral ouvert")
    charter_link.click()
    phone.wait_for_url(url("/mon-compte/charte"))
    assert "Article 1. Chacun respecte les autres." in phone.inner_text("main")
    axe(phone, "Charte (téléphone)")


@pytest.fixture(params=[False, True], ids=["operator", "state-with-logo"])
def header_of(request: Any, settings: Any) -> str:
    """The header as most ENTs draw it (the service's name alone), or the tallest one: a State
    service with the State's block and the operator's logo."""
    if request.param:
        settings.PREAU = {
            **settings.PREAU,
            "STATE_SERVICE": True,
            "OPERATOR_NAME": "Académie d’exemple",
            "OPERATOR_LOGO": "dsfr/dist/favicon/apple-touch-icon.png",
        }
    return "state-with-logo" if request.param else "operator"


@pytest.mark.parametrize(
    "path", ["/connexion", "/connexion?selection=enseignant", "/cas/login?service=PRONOTE"]
)
@pytest.mark.usefixtures("transactional_db")
def test_the_sign_in_form_is_in_the_first_screen_with_the_profile_choice(
    phone: Any, url: Callable[[str], str], axe: Any, path: str, header_of: str
) -> None:
    pronote = "https://0750654d.index-education.net/pronote/"
    service = Service.objects.create(
        name="PRONOTE",
        slug="pronote",
        category=Category.objects.get_or_create(name="Scolarité")[0],
        launch_url=pronote,
    )
    ServicePattern.objects.create(service=service, kind="prefix", value=pronote)
    phone.goto(url(path.replace("PRONOTE", quote(pronote, safe=""))))
    if "cas" in path:  # the CAS page says which service one signs in to, above the form
        assert "Connectez-vous pour accéder à PRONOTE." in phone.inner_text("main")
    assert phone.locator("#wayf a").count() == 4  # the choice is there…
    assert in_viewport(phone, "#wayf")
    # …and takes little room: the identifier and the button are seen without scrolling.
    assert phone.evaluate("window.scrollY") == 0
    assert in_viewport(phone, "#username")
    assert in_viewport(phone, "#fm1 button[type=submit]")
    assert no_horizontal_scroll(phone)
    axe(phone, f"{path} (téléphone, {header_of})")


def test_choosing_a_profile_on_a_phone_keeps_the_form_in_the_first_screen(
    phone: Any, url: Callable[[str], str], axe: Any, transactional_db: Any
) -> None:
    phone.goto(url("/connexion"))
    phone.get_by_role("link", name="Personnel non enseignant").click()
    phone.wait_for_url("**/connexion?selection=personnel")
    assert phone.locator('#wayf a[aria-current="true"]').all_inner_texts() == [
        "Personnel non enseignant"
    ]
    assert "marie.curie" in phone.inner_text("#username-hint")
    assert in_viewport(phone, "#username")
    assert in_viewport(phone, "#fm1 button[type=submit]")
    axe(phone, "connexion : personnel (téléphone)")


def test_the_french_404_page_on_a_phone(
    phone: Any, url: Callable[[str], str], axe: Any, transactional_db: Any
) -> None:
    response = phone.goto(url("/cette-page-n-existe-pas"))
    assert response.status == 404
    assert phone.inner_text("h1") == "Page introuvable"
    assert "Erreur 404" in phone.inner_text("main")
    assert no_horizontal_scroll(phone)
    axe(phone, "404 (téléphone)")
    phone.get_by_role("link", name="Revenir à l’accueil").click()
    phone.wait_for_url(re.compile(r"/connexion\?next="))


def test_the_french_403_page_on_a_phone(
    phone: Any, url: Callable[[str], str], signin: Any, axe: Any, claire: Account
) -> None:
    signin(phone, "claire.martin", PASSWORD, next="/")
    response = phone.goto(url("/console/"))
    assert response.status == 403
    assert phone.inner_text("h1") == "Accès refusé"
    main = phone.inner_text("main")
    assert "Erreur 403" in main
    assert "claire.martin" in main
    assert phone.get_by_role("button", name="Menu").is_visible()  # her header, as elsewhere
    assert no_horizontal_scroll(phone)
    axe(phone, "403 (téléphone)")
    phone.get_by_role("link", name="Revenir à Mes services").click()
    phone.wait_for_url(url("/"))


def test_the_footer_pages_from_the_sign_in_page_on_a_phone(
    phone: Any, url: Callable[[str], str], axe: Any, transactional_db: Any
) -> None:
    phone.goto(url("/connexion"))
    phone.get_by_role("link", name="Besoin d’aide pour vous connecter ?").click()
    phone.wait_for_url(url("/besoin-d-aide"))
    assert phone.inner_text("h1") == "Aide"
    axe(phone, "aide (téléphone)")
    footer = phone.locator("footer")
    for link, path, heading in (
        ("Accessibilité : non conforme", "/accessibilite", "Accessibilité"),
        ("Mentions légales", "/mentions-legales", "Mentions légales"),
        ("Données personnelles", "/donnees-personnelles", "Données personnelles"),
        ("Aide", "/besoin-d-aide", "Aide"),
    ):
        footer.get_by_role("link", name=link, exact=True).click()
        phone.wait_for_url(url(path))
        assert phone.inner_text("h1") == heading
        assert no_horizontal_scroll(phone)
        axe(phone, f"{path} (téléphone)")


def test_a_state_service_with_its_logo_passes_axe_on_a_phone(
    phone: Any, url: Callable[[str], str], axe: Any, settings: Any, transactional_db: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "STATE_SERVICE": True,
        "OPERATOR_NAME": "Académie d’exemple",
        "OPERATOR_LOGO": "dsfr/dist/favicon/apple-touch-icon.png",
    }
    phone.goto(url("/connexion"))
    assert phone.locator("header .fr-logo").is_visible()
    assert phone.get_by_role("img", name="Académie d’exemple").first.is_visible()
    assert in_viewport(phone, "#username")
    axe(phone, "connexion, service de l'État avec logo (téléphone)")


def test_during_the_first_connection_the_phone_menu_offers_only_the_name_and_sign_out(
    phone: Any, url: Callable[[str], str], signin: Any, axe: Any, transactional_db: Any
) -> None:
    from datetime import timedelta

    from preau.directory.activation_codes import activation_code_digest

    school = Establishment.objects.create(uai="0750654D", name="Lycée", kind="lycee")
    pupil = Account.objects.create_user(
        "lea.bernard",
        first_name="Léa",
        last_name="Bernard",
        activation_code_digest=activation_code_digest("K7MQ4XHA"),
        activation_expires_at=timezone.now() + timedelta(days=92),
    )
    Membership.objects.create(
        account=pupil, establishment=school, profile="eleve", school_year=timezone.now().year
    )
    signin(phone, "lea.bernard", "K7MQ4XHA", next="/")
    assert "/premiere-connexion/" in phone.url
    phone.get_by_role("button", name="Menu").click()
    phone.wait_for_function("document.querySelector('#header-menu').matches('.fr-modal--opened')")
    menu = phone.locator("#header-menu")
    assert menu.get_by_role("link", name="Mes services").count() == 0
    assert menu.get_by_role("link", name="Mon compte").count() == 0
    assert menu.locator(".preau-header__user").inner_text().strip() == "Léa Bernard"
    assert menu.get_by_role("button", name="Se déconnecter").is_visible()
    axe(phone, "première connexion (téléphone), menu ouvert")
