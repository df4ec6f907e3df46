"""The sign-in and sign-out pages in Chromium: accessible (axe-core), and usable without JS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def account(transactional_db: Any) -> Account:
    return Account.objects.create_user(
        "claire.martin",
        password=PASSWORD,
        last_name="Martin",
        first_name="Claire",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )


@pytest.fixture
def no_js_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _submit(page: Any, login: str, password: str) -> None:
    page.fill("#username", login)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")


def test_the_sign_in_page_passes_axe_blank_in_error_and_throttled(
    page: Any, phone_page: Any, url: Callable[[str], str], axe: Any, account: Account
) -> None:
    page.goto(url("/connexion"))
    axe(page, "sign-in page")
    _submit(page, "claire.martin", "wrong")
    assert "Identifiant ou mot de passe incorrect" in page.inner_text("#signin-error")
    assert page.input_value("#username") == "claire.martin"
    axe(page, "sign-in page after a failure")
    for _ in range(4):
        _submit(page, "claire.martin", "wrong")
    _submit(page, "claire.martin", "wrong")
    assert "Trop de tentatives" in page.inner_text("#signin-error")
    axe(page, "sign-in page while throttled")
    phone_page.goto(url("/connexion"))
    axe(phone_page, "sign-in page on a phone")


def test_sign_in_and_out_without_javascript(
    no_js_page: Any, url: Callable[[str], str], axe: Any, account: Account
) -> None:
    page = no_js_page
    page.goto(url("/connexion?next=/"))
    _submit(page, "claire.martin", PASSWORD)
    assert page.url == url("/")
    assert "Bonjour Claire" in page.inner_text("main")
    page.goto(url("/deconnexion"))
    assert "Voulez-vous vous déconnecter" in page.inner_text("main")
    with page.expect_navigation():
        page.click("#signout button[type=submit]")
    assert page.url == url("/connexion")
    assert "Vous êtes déconnecté." in page.inner_text("main")
    page.goto(url("/"))
    assert page.url.startswith(url("/connexion")), "signed out for real"


def test_the_sign_out_page_passes_axe(
    page: Any, url: Callable[[str], str], axe: Any, signin: Any, account: Account
) -> None:
    signin(page, "claire.martin", PASSWORD)
    page.goto(url("/deconnexion"))
    axe(page, "sign-out confirmation")
