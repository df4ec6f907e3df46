"""A school administrator's journey through the console, in Chromium.

Sign in at /connexion, open the console, upload the students' file, read the preview, confirm,
find a new pupil, download the letters and read the identifiers in the PDF; axe-core checks
every console page on the way.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from preau.directory.models import Account, Establishment, Membership
from tests.console.conftest import make_person
from tests.e2e.conftest import choose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"

STUDENTS = (
    "Numéro élève;INE;Nom;Prénom;Date de naissance;Classe\n"
    "2001;070803070AJ;Dupont;Jean;12/03/2011;3A\n"
    "2002;;Lévêque;Hélène;2011-05-01;3A\n"
    "2003;;N'Diaye;Aïssatou;07/09/2011;3A\n"
    "2004;;Martin;Zoé;01/02/2012;4B\n"
).encode()


@pytest.fixture
def school() -> Establishment:
    return Establishment.objects.create(
        uai="0750654D", name="Lycée Louis-le-Grand", kind="lycee", city="Paris"
    )


@pytest.fixture
def administrator(school: Establishment) -> Account:
    return make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=PASSWORD,
    )


def test_an_administrator_imports_students_and_prints_their_letters(
    page: Any,
    url: Any,
    axe: Any,
    school: Establishment,
    administrator: Account,
) -> None:
    # Signed out, the console sends to the sign-in page, which brings back to the console.
    page.goto(url("/console/"))
    assert "/connexion" in page.url
    page.fill("#username", administrator.login)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    assert page.url == url(f"/console/{school.uai}/")
    assert page.locator("h1").inner_text() == "Tableau de bord des activations"
    axe(page, "tableau de bord (vide)")

    # Upload the students' file: the preview lists the newcomers and writes nothing.
    page.get_by_role("link", name="Importer un fichier").first.click()
    axe(page, "formulaire d'import")
    choose(page, "Élèves")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "eleves.csv", "mimeType": "text/csv", "buffer": STUDENTS}],
    )
    page.get_by_role("button", name="Voir l’aperçu").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Aperçu de l’import"
    preview = page.locator("main").inner_text()
    for login in ("jean.dupont", "helene.leveque", "aissatou.ndiaye", "zoe.martin"):
        assert login in preview, login
    assert not Account.objects.filter(login="jean.dupont").exists()
    axe(page, "aperçu de l'import")

    # Confirm: the accounts exist.
    page.get_by_role("button", name="Confirmer l’import").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Résultat de l’import"
    assert "L'import est enregistré." in page.locator("main").inner_text()
    axe(page, "résultat de l'import")
    assert Account.objects.filter(login="jean.dupont", state=Account.State.PROVISIONED).exists()

    # The dashboard counts them; its link leads to the class's pending accounts.
    page.get_by_role("link", name="Tableau de bord").click()
    assert "3A : 0 activés, 3 en attente, 0 désactivés" in page.content()
    axe(page, "tableau de bord")
    page.get_by_role("link", name="3 en attente en 3A").click()
    results = page.locator("table tbody").inner_text()
    assert "helene.leveque" in results and "zoe.martin" not in results
    axe(page, "recherche filtrée")

    # Search by name, without accents, and open the account.
    page.get_by_label("Nom, prénom ou identifiant").fill("LEVEQUE")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="LÉVÊQUE Hélène").click()
    assert page.locator("h1").inner_text() == "Hélène Lévêque"
    axe(page, "fiche du compte")

    # Letters for class 3A: a PDF with the three new identifiers.
    page.get_by_role("link", name="Courriers").click()
    axe(page, "formulaire des courriers")
    choose(page, "Élèves")
    page.get_by_label("Classe").select_option("3A")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Émettre les codes et télécharger le PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf_path = download.path()
    text = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    for login in ("jean.dupont", "helene.leveque", "aissatou.ndiaye"):
        assert login in text, login
    assert "zoe.martin" not in text
    assert Account.objects.get(login="jean.dupont").activation_code_digest


def test_the_console_works_on_a_phone_without_javascript(
    browser: Any, url: Any, school: Establishment, administrator: Account
) -> None:
    context = browser.new_context(
        locale="fr-FR",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        make_person(school, "lea.martin", first_name="Léa", last_name="Martin", classes=["3A"])
        page.goto(url("/console/"))
        page.fill("#username", administrator.login)
        page.fill("#password", PASSWORD)
        page.click("#fm1 button[type=submit]")
        page.wait_for_url(url(f"/console/{school.uai}/"))
        # Every section is one tap away and signing out stays visible.
        for name in ("Comptes", "Importer un fichier", "Courriers"):
            expect(page.get_by_role("link", name=name)).to_be_visible()
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
        # Nothing wider than the screen: no horizontal scrolling of the page itself.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_role("link", name="Comptes").click()
        page.get_by_label("Nom, prénom ou identifiant").fill("lea")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("table tbody")).to_contain_text("lea.martin")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_the_console_pages_are_accessible_on_a_phone(
    phone_page: Any, axe: Any, signin: Any, school: Establishment, administrator: Account
) -> None:
    make_person(school, "lea.martin", first_name="Léa", last_name="Martin", classes=["3A"])
    signin(phone_page, administrator.login, PASSWORD, next=f"/console/{school.uai}/")
    expect(phone_page.locator("h1")).to_have_text("Tableau de bord des activations")
    axe(phone_page, "tableau de bord sur téléphone")
    phone_page.get_by_role("link", name="Comptes").click()
    phone_page.get_by_role("link", name="MARTIN Léa").click()
    expect(phone_page.locator("h1")).to_have_text("Léa Martin")
    axe(phone_page, "fiche du compte sur téléphone")


def test_problems_and_form_errors_are_shown_accessibly(
    page: Any, axe: Any, signin: Any, school: Establishment, administrator: Account
) -> None:
    signin(page, administrator.login, PASSWORD, next=f"/console/{school.uai}/import/")
    # Sent without a file: the form says what is missing, next to the field.
    page.get_by_role("button", name="Voir l’aperçu").click()
    expect(page.locator(".fr-message--error").first).to_be_visible()
    axe(page, "formulaire d'import en erreur")

    bad = STUDENTS.replace(b"01/02/2012", b"31/02/2012")
    choose(page, "Élèves")
    page.set_input_files(
        "input[type=file]", files=[{"name": "eleves.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Voir l’aperçu").click()
    problems = page.get_by_role("table", name="Problèmes trouvés dans le fichier")
    expect(problems).to_contain_text("31/02/2012")
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Confirmer l’import")).to_have_count(0)
    axe(page, "aperçu avec des problèmes")
