""" "Mon compte" in Chromium: every page passes axe-core; signing out everywhere else and a
password change really end the other browser's session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account
from preau.signin.passwords import account_password_set

PASSWORD = "Tournesol#42"


@pytest.fixture
def claire(transactional_db: Any) -> Account:
    account = Account.objects.create_user(
        "claire.martin",
        first_name="Claire",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        email="claire@example.fr",
        email_verified_at=timezone.now(),
    )
    account_password_set(actor=None, account=account, password=PASSWORD)
    return account


@pytest.mark.usefixtures("claire")
def test_every_mon_compte_page_passes_axe_also_with_errors(
    page: Any, phone_page: Any, url: Callable[[str], str], signin: Any, axe: Any
) -> None:
    signin(page, "claire.martin", PASSWORD, next="/mon-compte/")
    assert page.inner_text("#account-login") == "claire.martin"
    axe(page, "Mon compte")
    for path in ("mot-de-passe", "courriel", "coordonnees", "sessions", "charte"):
        page.goto(url(f"/mon-compte/{path}"))
        axe(page, f"Mon compte: {path}")
    page.goto(url("/mon-compte/coordonnees"))
    page.fill("#id_mobile", "01 45 45 45 45")
    with page.expect_navigation():
        page.click("#contact-form button[type=submit]")
    assert "pas celui d'un téléphone mobile" in page.inner_text("#id_mobile-messages")
    axe(page, "Mon compte: phone with an error")
    page.goto(url("/mon-compte/mot-de-passe"))
    page.fill("#id_current_password", "pas-le-bon")
    page.fill("#id_password", "Girafe+Bleue77")
    page.fill("#id_password_confirm", "Girafe+Bleue77")
    with page.expect_navigation():
        page.click("#password-form button[type=submit]")
    assert "pas votre mot de passe actuel" in page.inner_text("#id_current_password-messages")
    axe(page, "Mon compte: password with an error")
    signin(phone_page, "claire.martin", PASSWORD, next="/mon-compte/")
    axe(phone_page, "Mon compte on a phone")


@pytest.mark.usefixtures("claire")
def test_signing_out_everywhere_else_ends_the_other_browsers_session(
    page: Any, phone_page: Any, url: Callable[[str], str], signin: Any
) -> None:
    signin(phone_page, "claire.martin", PASSWORD, next="/mon-compte/")
    signin(page, "claire.martin", PASSWORD, next="/mon-compte/sessions")
    assert page.locator("#sessions-table tbody tr").count() == 2
    with page.expect_navigation():
        page.click("#sessions-end-others button[type=submit]")
    assert "1 autre session a été déconnectée." in page.inner_text("main")
    assert page.locator("#sessions-table tbody tr").count() == 1
    phone_page.goto(url("/mon-compte/"))
    assert phone_page.url.startswith(url("/connexion"))


@pytest.mark.usefixtures("claire")
def test_a_password_change_signs_the_other_browser_out(
    page: Any, phone_page: Any, url: Callable[[str], str], signin: Any
) -> None:
    signin(phone_page, "claire.martin", PASSWORD, next="/mon-compte/")
    signin(page, "claire.martin", PASSWORD, next="/mon-compte/mot-de-passe")
    page.fill("#id_current_password", PASSWORD)
    page.fill("#id_password", "Girafe+Bleue77")
    page.fill("#id_password_confirm", "Girafe+Bleue77")
    with page.expect_navigation():
        page.click("#password-form button[type=submit]")
    assert page.url == url("/mon-compte/")
    assert "Votre mot de passe a été modifié." in page.inner_text("main")
    phone_page.goto(url("/mon-compte/"))
    assert phone_page.url.startswith(url("/connexion"))
