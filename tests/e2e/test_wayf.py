"""Sign-in choices in Chromium: choosing leads to the right form, the browser remembers it, it
works without JavaScript and on a phone, and every state of the page passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def teacher(transactional_db: Any) -> Account:
    return Account.objects.create_user(
        "marie.curie",
        password=PASSWORD,
        first_name="Marie",
        last_name="Curie",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )


def selected(page: Any) -> list[str]:
    return page.locator('#wayf a[aria-current="true"]').all_inner_texts()


def test_a_choice_is_made_remembered_and_leads_to_its_form(
    browser: Any, url: Any, axe: Any, teacher: Account
) -> None:
    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(url("/connexion"))
        assert page.locator("#wayf a").all_inner_texts() == [
            "Élève ou parent",
            "Enseignant",
            "Personnel non enseignant",
            "Autres comptes et invités",
        ]
        assert selected(page) == []
        axe(page, "connexion sans choix")
        page.get_by_role("link", name="Enseignant", exact=True).click()
        page.wait_for_url("**/connexion?selection=enseignant")
        assert selected(page) == ["Enseignant"]
        assert "marie.curie" in page.inner_text("#username-hint")
        axe(page, "connexion : enseignant")

        # Another visit from the same browser comes back to the same choice.
        other = context.new_page()
        other.goto(url("/connexion"))
        assert selected(other) == ["Enseignant"]
        other.fill("#username", "marie.curie")
        other.fill("#password", PASSWORD)
        with other.expect_navigation():
            other.click("#fm1 button[type=submit]")
        assert "/connexion" not in other.url
    finally:
        context.close()


def test_choosing_works_without_javascript_on_a_phone(
    browser: Any, url: Any, axe: Any, teacher: Account
) -> None:
    context = browser.new_context(
        locale="fr-FR",
        java_script_enabled=False,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        page.goto(url("/connexion?next=/mon-compte/"))
        page.get_by_role("link", name="Autres comptes et invités").click()
        page.wait_for_url("**selection=autres**")
        assert "next=%2Fmon-compte%2F" in page.url
        assert selected(page) == ["Autres comptes et invités"]
        page.fill("#username", "marie.curie")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#fm1 button[type=submit]")
        assert page.url == url("/mon-compte/")
    finally:
        context.close()


def test_an_identity_source_elsewhere_is_a_button_and_the_page_stays_accessible(
    page: Any, url: Any, axe: Any, settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "SIGNIN_CHOICES": [
            {
                "code": "educonnect",
                "label": "Élève ou parent",
                "url": url("/educonnect/"),
                "description": "Avec votre compte ÉduConnect.",
            },
            {"code": "autres", "label": "Autres comptes"},
        ],
    }
    page.goto(url("/connexion?selection=educonnect"))
    button = page.get_by_role("link", name="Se connecter : Élève ou parent")
    assert button.get_attribute("href") == url("/educonnect/")
    assert page.locator("form#fm1").count() == 1
    axe(page, "connexion : source d'identité externe")
