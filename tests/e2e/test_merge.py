"""Merging two accounts of one person, in Chromium on a phone-sized screen (issue 14, part 3):
a parent merges the accounts of two schools from "Mon compte" and sees both children's
establishments in "Mes portails"; a school administrator merges two accounts from the console
and the operator undoes it. axe-core checks every page of the way."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account, AccountMerge, Establishment, Guardianship, Membership
from tests.console.conftest import make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"
OTHER_PASSWORD = "Autre-Cheval-Pile-7"


@pytest.fixture
def schools() -> tuple[Establishment, Establishment]:
    return (
        Establishment.objects.create(uai="0750654D", name="École Jules-Ferry", kind="ecole"),
        Establishment.objects.create(uai="0690026D", name="Collège du Parc", kind="college"),
    )


def _parent(school: Establishment, login: str, password: str, child: str) -> Account:
    account = make_person(
        school,
        login,
        first_name="Nathalie",
        last_name="Moreau",
        profile=Membership.Profile.GUARDIAN,
        state=Account.State.ACTIVE,
        password=password,
    )
    pupil = make_person(school, f"{child.lower()}.moreau", first_name=child, last_name="Moreau")
    Guardianship.objects.create(guardian=account, student=pupil, establishment=school)
    return account


def _portals(page: Any) -> list[str]:
    return page.locator("#establishment option").all_inner_texts()


def test_a_parent_merges_the_accounts_of_two_schools_and_sees_both_in_mes_portails(
    phone_page: Any, url: Any, axe: Any, signin: Any, schools: tuple[Establishment, Establishment]
) -> None:
    page = phone_page
    school, college = schools
    mine = _parent(school, "nathalie.moreau", PASSWORD, "Chloé")
    _parent(college, "nathalie.moreau2", OTHER_PASSWORD, "Inès")
    signin(page, mine.login, PASSWORD)
    assert page.locator("#establishment").count() == 0  # one establishment: no choice yet

    page.goto(url("/mon-compte/"))
    page.get_by_role("button", name="Dans cette rubrique").click()
    page.get_by_role("link", name="Fusion de comptes").click()
    page.wait_for_url("**/mon-compte/fusion")
    axe(page, "fusion de comptes")

    # A wrong password says the same as an unknown identifier.
    page.fill("#id_identifier", "nathalie.moreau2")
    page.fill("#id_password", "pas-le-bon")
    page.get_by_role("button", name="Vérifier cet autre compte").click()
    assert "incorrect" in page.inner_text("#merge-error")
    axe(page, "fusion de comptes : erreur")

    page.fill("#id_identifier", "nathalie.moreau2")
    page.fill("#id_password", OTHER_PASSWORD)
    page.get_by_role("button", name="Vérifier cet autre compte").click()
    page.wait_for_url("**/mon-compte/fusion/confirmer")
    preview = page.inner_text("#merge-preview")
    assert "Collège du Parc" in preview and "Inès" in preview
    axe(page, "fusion de comptes : confirmation")
    page.get_by_role("button", name="Fusionner les deux comptes").click()
    page.wait_for_url("**/mon-compte/")
    assert "Vos comptes sont fusionnés" in page.content()
    axe(page, "mon compte après la fusion")

    page.goto(url("/"))
    assert sorted(_portals(page)) == ["Collège du Parc", "École Jules-Ferry"]
    page.select_option("#establishment", label="Collège du Parc")
    page.get_by_role("button", name="Changer d’établissement").click()
    assert "Vous êtes sur le portail de Collège du Parc" in page.content()
    axe(page, "mes portails")

    # The other identifier still signs in, to the kept account, and says so.
    page.context.clear_cookies()
    signin(page, "nathalie.moreau2", PASSWORD)
    assert "a été fusionné dans votre compte nathalie.moreau" in page.content()
    assert sorted(_portals(page)) == ["Collège du Parc", "École Jules-Ferry"]


def test_a_school_administrator_merges_two_accounts_from_the_console(
    phone_page: Any, url: Any, axe: Any, signin: Any, schools: tuple[Establishment, Establishment]
) -> None:
    page = phone_page
    school, _college = schools
    admin = make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=PASSWORD,
    )
    kept = _parent(school, "sophie.lefevre", PASSWORD, "Tom")
    other = make_person(
        school,
        "sophie.lefevre2",
        first_name="Sophie",
        last_name="LEFEVRE",
        profile=Membership.Profile.GUARDIAN,
    )
    Account.objects.filter(pk__in=[kept.pk, other.pk]).update(mobile="+33611223344")
    Account.objects.filter(pk=kept.pk).update(first_name="Sophie", last_name="Lefèvre")

    signin(page, admin.login, PASSWORD, next=f"/console/{school.uai}/")
    page.get_by_role("link", name="Doublons").click()
    page.wait_for_url(f"**/console/{school.uai}/doublons/")
    assert "même mobile" in page.inner_text("#duplicates-table")
    axe(page, "doublons")
    page.get_by_role("link", name="Fusionner sophie.lefevre2").click()
    assert "École Jules-Ferry" in page.inner_text("#merge-preview")
    axe(page, "fusionner deux comptes")
    page.get_by_role("button", name="Fusionner les deux comptes").click()
    page.wait_for_url(f"**/console/{school.uai}/doublons/")
    assert "Les comptes sont fusionnés" in page.content()
    assert page.locator("#no-duplicates").is_visible()
    axe(page, "doublons après la fusion")
    other.refresh_from_db()
    assert other.state == Account.State.MERGED and other.merged_into_id == kept.pk

    # The operator undoes it (within 30 days).
    Account.objects.create_superuser(
        "ope.rateur",
        PASSWORD,
        first_name="Olivier",
        last_name="Opérateur",
        activated_at=timezone.now(),
    )
    page.context.clear_cookies()
    signin(page, "ope.rateur", PASSWORD, next="/console/fusions/")
    page.wait_for_url("**/console/fusions/")
    assert "sophie.lefevre2" in page.inner_text("#merges-table")
    axe(page, "fusions récentes")
    page.get_by_role("button", name="Annuler la fusion de sophie.lefevre2").click()
    page.wait_for_url("**/console/fusions/")
    assert "La fusion est annulée" in page.content()
    axe(page, "fusions après l'annulation")
    other.refresh_from_db()
    assert other.state == Account.State.PROVISIONED
    assert AccountMerge.objects.get().undone_at is not None


def test_the_merge_works_without_javascript_on_a_phone(
    browser: Any, url: Any, signin: Any, schools: tuple[Establishment, Establishment]
) -> None:
    school, college = schools
    mine = _parent(school, "nathalie.moreau", PASSWORD, "Chloé")
    _parent(college, "nathalie.moreau2", OTHER_PASSWORD, "Inès")
    context = browser.new_context(
        locale="fr-FR",
        java_script_enabled=False,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
    )
    try:
        page = context.new_page()
        signin(page, mine.login, PASSWORD)
        page.goto(url("/mon-compte/fusion"))
        page.fill("#id_identifier", "nathalie.moreau2")
        page.fill("#id_password", OTHER_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Vérifier cet autre compte").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Fusionner les deux comptes").click()
        assert "Vos comptes sont fusionnés" in page.content()
        page.goto(url("/"))
        assert sorted(_portals(page)) == ["Collège du Parc", "École Jules-Ferry"]
    finally:
        context.close()
