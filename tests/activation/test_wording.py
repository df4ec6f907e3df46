"""Issue 12, part 10: the words of the first connection and of "Mon compte".

French elision before a name, the charter's paragraphs, a first charter not announced as a
change, the common-password rule in the checklist, typographic apostrophes, and the session
of a first connection listed in "Sessions ouvertes"."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

import preau
from preau.activation.models import CharterVersion
from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account, Establishment
from preau.french import de, elides, paragraphs
from tests.activation.conftest import (
    GOOD_PASSWORD,
    GUARDIAN_CODE,
    STUDENT_CODE,
    follow,
    post,
    sign_in,
)

TEMPLATES = Path(preau.__file__).parent


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- French elision --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Aaron", "d’Aaron"),
        ("Arthur Martin", "d’Arthur Martin"),
        ("Élodie", "d’Élodie"),
        ("Inès", "d’Inès"),
        ("Océane", "d’Océane"),
        ("Ugo", "d’Ugo"),
        ("Yves", "d’Yves"),
        ("Hélène", "d’Hélène"),  # a mute h
        ("Hugo", "d’Hugo"),
        ("Œlia", "d’Œlia"),
        ("Yann", "de Yann"),  # y before a vowel is a consonant
        ("Yasmine", "de Yasmine"),
        ("Zoé", "de Zoé"),
        ("Marc", "de Marc"),
        ("  Aaron ", "d’Aaron"),
        ("1er", "de 1er"),
    ],
)
def test_de_elides_before_a_vowel_or_a_mute_h(name: str, expected: str) -> None:
    assert de(name) == expected


def test_elides_reads_the_first_letter_only() -> None:
    assert elides("Émile") and elides("ambre") and not elides("") and not elides("Bruno")


@pytest.mark.django_db
def test_the_birth_date_legend_elides(
    client: Client, establishment: Establishment, student: Account, guardian: Account
) -> None:
    Account.objects.filter(pk=student.pk).update(first_name="Arthur")
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    post(client, "/premiere-connexion/mot-de-passe", _password())
    page = follow(client)
    assert page.url == "/premiere-connexion/date-de-naissance", page.url
    text = _text(page.html)
    assert "Date de naissance d’Arthur Bernard" in text
    assert "de Arthur" not in text


def _password() -> dict[str, str]:
    return {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}


# --- The charter's text and its announcement -------------------------------------------------


def test_paragraphs_split_at_blank_lines_only() -> None:
    text = (
        "Cette charte fixe les règles d'utilisation de l'espace numérique de travail\n"
        "de l'établissement.\r\n\r\n"
        "Chacun s'engage à :\n- respecter les autres ;\n- protéger\nson mot de passe.\n"
        "  \n\n\nFin."
    )
    assert paragraphs(text) == [
        "Cette charte fixe les règles d'utilisation de l'espace numérique de travail "
        "de l'établissement.",
        "Chacun s'engage à :\n- respecter les autres ;\n- protéger son mot de passe.",
        "Fin.",
    ]


WRAPPED = "L'ENT est réservé aux activités\nscolaires et éducatives.\n\nSecond <paragraphe>."


@pytest.mark.django_db
def test_the_charter_page_keeps_sentences_whole(
    client: Client, establishment: Establishment, student: Account
) -> None:
    version = charter_version_create(actor=None, title="Charte", body=WRAPPED)
    charter_version_publish(actor=None, version=version)
    sign_in(client, "lea.bernard", STUDENT_CODE)
    page = follow(client)
    assert page.url == "/premiere-connexion/charte"
    assert "<p>L&#x27;ENT est réservé aux activités scolaires et éducatives.</p>" in page.html
    assert "<p>Second &lt;paragraphe&gt;.</p>" in page.html
    assert "activités<br>" not in page.html
    # The first charter of a first connection is not "a new version".
    assert "a changé" not in page.html and "nouvelle version" not in page.html


@pytest.mark.django_db
def test_mon_compte_shows_the_charter_in_paragraphs(
    client: Client, establishment: Establishment, student: Account
) -> None:
    version = charter_version_create(actor=None, title="Charte", body=WRAPPED)
    charter_version_publish(actor=None, version=version)
    Account.objects.filter(pk=student.pk).update(state=Account.State.ACTIVE)
    charter_accept(actor=student, account=student, version=version)
    client.force_login(Account.objects.get(pk=student.pk))
    response = client.get("/mon-compte/charte")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<p>L&#x27;ENT est réservé aux activités scolaires et éducatives.</p>" in html


# --- The password checklist ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_common_password_is_refused_by_a_rule_the_checklist_shows(
    client: Client, establishment: Establishment, student: Account, charter: CharterVersion
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    post(client, "/premiere-connexion/charte", {"accept": "on"})
    page = follow(client)
    assert page.url == "/premiere-connexion/mot-de-passe"
    # Before anything is typed, the rule is listed.
    assert 'data-rule="common"' in page.html
    assert "un mot de passe courant" in _text(page.html)

    # "Soleil2024!" passes every rule of the policy, but it is common: the checklist says so.
    refused = post(
        client,
        "/premiere-connexion/mot-de-passe",
        {"password": "Soleil2024!", "password_confirm": "Soleil2024!"},
    )
    assert refused.status == 400
    found = re.findall(r'<li class="fr-message ([^"]+)" data-rule="([^"]+)"', refused.html)
    states = {rule: classes for classes, rule in found}
    assert len(states) >= 5, found  # the policy's rules and the three checked on submission
    assert states.pop("common") == "fr-message--error"
    assert set(states.values()) == {"fr-message--valid"}, states
    assert "trop courant" in _text(refused.html)


# --- Typographic apostrophes -----------------------------------------------------------------

TOUCHED = [
    "activation/templates/activation/charter.html",
    "activation/templates/activation/group.html",
    "activation/templates/activation/birth_date.html",
    "activation/templates/activation/_password_checklist.html",
    "account/templates/account/charter.html",
    "account/templates/account/sessions.html",
    "console/templates/console/account_detail.html",
    "console/templates/console/import_detail.html",
    "console/templates/console/help_request_detail.html",
    "console/templates/console/account_deactivate.html",
]


@pytest.mark.parametrize("template", TOUCHED)
def test_french_text_uses_the_typographic_apostrophe(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    # An apostrophe between two letters is French text (template strings are quoted after a
    # space or a parenthesis: {% url 'x' %}, _('x')).
    straight = re.findall(r"\w+(?<=[^\W\d_])'(?=[^\W\d_])\w+", source)
    assert not straight, straight


# --- The session of a first connection -------------------------------------------------------


@pytest.mark.django_db
def test_the_session_of_a_first_connection_is_listed(
    client: Client, establishment: Establishment, student: Account, charter: CharterVersion
) -> None:
    sign_in(client, "lea.bernard", STUDENT_CODE)
    post(client, "/premiere-connexion/charte", {"accept": "on"})
    post(client, "/premiere-connexion/mot-de-passe", _password())
    post(client, "/premiere-connexion/date-de-naissance", {"birth_date": "14/07/2011"})
    post(client, "/premiere-connexion/coordonnees", {"email": "", "mobile": ""})
    student.refresh_from_db()
    assert student.state == Account.State.ACTIVE

    html = client.get("/mon-compte/sessions").content.decode()
    assert "Aucune session enregistrée" not in html
    assert "cette session" in html
    assert html.count("<tr") == 2  # the heading and this session
