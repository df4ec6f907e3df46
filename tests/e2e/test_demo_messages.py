"""The demo's mail and SMS, in Chromium at phone size: from the sign-in page's banner to the page
of the messages sent, where the forgotten-password link is followed; axe-core on each page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.signin.passwords import account_password_set

pytestmark = pytest.mark.usefixtures("public_site")


@pytest.fixture
def demo(settings: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "DEMO": True,
        "SMS_BACKEND": "preau.demo.backends.TerminalSmsBackend",
    }
    settings.EMAIL_BACKEND = "preau.demo.backends.TerminalEmailBackend"


@pytest.fixture
def parent(transactional_db: Any) -> Account:
    school = Establishment.objects.create(uai="0693999X", name="Collège Jean Moulin")
    account = Account.objects.create_user(
        "sandrine.martin",
        first_name="Sandrine",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        email="sandrine.martin@example.org",
        email_verified_at=timezone.now(),
    )
    account_password_set(actor=None, account=account, password="Tournesol#42b")
    Membership.objects.create(
        account=account, establishment=school, profile=Membership.Profile.GUARDIAN, school_year=2026
    )
    return account


@pytest.mark.usefixtures("demo")
def test_a_visitor_reads_the_demos_mail_on_her_phone_and_follows_its_link(
    phone_page: Any, url: Callable[[str], str], axe: Any, parent: Account
) -> None:
    page = phone_page
    page.goto(url("/connexion"))
    banner = page.locator("#demo-banner")
    assert banner.is_visible()
    assert "Aucun courriel ni SMS ne part vraiment" in banner.inner_text()
    axe(page, "sign-in page with the demo banner")

    page.click("text=Mot de passe oublié ?")
    page.fill("#id_query", "sandrine.martin")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == url("/mot-de-passe-oublie/envoye")

    with page.expect_navigation():
        page.click("#demo-messages-link")
    assert page.url == url("/demo/messages")
    assert page.inner_text("h1") == "Messages envoyés"
    [item] = page.locator("#demo-messages > li").all()
    assert "Courriel pour sandrine.martin@example.org" in item.inner_text()
    # Nothing wider than the phone's screen (a long link wraps).
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    axe(page, "the demo's messages at phone size")

    link = item.locator("a[href*='/mot-de-passe-oublie/lien/']")
    with page.expect_navigation():
        link.click()
    assert "/mot-de-passe-oublie/" in page.url
    assert page.locator("#id_password").is_visible()


def test_outside_the_demo_there_is_no_banner_and_no_page(
    phone_page: Any, url: Callable[[str], str]
) -> None:
    phone_page.goto(url("/connexion"))
    assert phone_page.locator("#demo-banner").count() == 0
    response = phone_page.goto(url("/demo/messages"))
    assert response is not None and response.status == 404
