"""The footer's pages (legal notice, accessibility statement, personal data, help): on every
page's footer with the RGAA conformity level, a default French text until the operator writes
theirs in the admin, readable by anyone (during a first connection too); the help page is linked
from the sign-in page; the identity block (operator's name and logo, the State's block only for a
State service) comes from the settings."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.portal.models import SitePage
from preau.portal.site_pages import text_blocks

pytestmark = pytest.mark.django_db

PAGES = {
    "/mentions-legales": ("Mentions légales", "Éditeur"),
    "/accessibilite": ("Accessibilité", "Voies de recours"),
    "/donnees-personnelles": ("Données personnelles", "Responsable du traitement"),
    "/besoin-d-aide": ("Aide", "Première connexion"),
}


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def footer(body: str) -> str:
    found = re.search(r"<footer\b.*?</footer>", body, re.S)
    assert found, "the page has a footer"
    return found.group(0)


def header(body: str) -> str:
    found = re.search(r"<header\b.*?</header>", body, re.S)
    assert found, "the page has a header"
    return found.group(0)


@pytest.fixture
def operator(db: Any) -> Account:
    return Account.objects.create_superuser(
        "ope.rateur", password="Operateur#2026", first_name="Ope", last_name="Rateur"
    )


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_has_a_default_french_text_for_anyone(client: Client, path: str) -> None:
    title, section = PAGES[path]
    response = client.get(path)
    assert response.status_code == 200
    body = text_of(response)
    assert f"<h1>{title}</h1>" in body
    assert f"<h2>{section}</h2>" in body
    assert f"<title>{title} — Préau</title>" in body


def test_every_page_footer_links_the_four_pages_and_states_the_conformity_level(
    client: Client,
) -> None:
    for path in ("/connexion", "/mentions-legales", "/nulle-part"):
        bottom = footer(text_of(client.get(path)))
        assert (
            '<a class="fr-footer__bottom-link" id="footer-accessibility" href="/accessibilite">'
            in bottom
        )
        # RGAA: without an audit, the service is "non conforme".
        assert "Accessibilité : non conforme" in bottom
        for href, label in (
            ("/mentions-legales", "Mentions légales"),
            ("/donnees-personnelles", "Données personnelles"),
            ("/besoin-d-aide", "Aide"),
        ):
            assert f'href="{href}">{label}</a>' in bottom


def test_the_sign_in_page_links_the_help_page(client: Client) -> None:
    body = text_of(client.get("/connexion"))
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'href="/besoin-d-aide">Besoin d’aide pour vous connecter ?</a>' in main
    help_page = text_of(client.get("/besoin-d-aide"))
    for href in ("/identifiant-oublie/", "/mot-de-passe-oublie/", "/aide/", "/connexion"):
        assert f'href="{href}"' in help_page


def test_the_operator_writes_the_accessibility_statement_in_the_admin(
    client: Client, operator: Account
) -> None:
    assert "Accessibilité : non conforme" in footer(text_of(client.get("/connexion")))
    client.force_login(operator)
    # Adding a page starts from its default text, to adapt rather than retype.
    form_page = text_of(client.get("/operateur/portal/sitepage/add/?kind=accessibilite"))
    assert "Voies de recours" in form_page
    response = client.post(
        "/operateur/portal/sitepage/add/",
        {
            "kind": "accessibilite",
            "title": "Déclaration d’accessibilité",
            "body": "## Résultats des tests\n\nL’audit de mars 2027 relève 75 % de critères "
            "respectés.\n\n- Formulaires : conformes\n- Cartes : non conformes\n\n"
            "<script>alert(1)</script> https://audit.example/rapport",
            "conformity": "partiellement",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = SitePage.objects.get(kind="accessibilite")
    assert page.conformity == SitePage.Conformity.PARTIAL
    event = AuditEvent.objects.get(action="site_page.update")
    assert event.actor == operator
    assert event.data == {"page": "accessibilite", "conformity": "partiellement"}

    client.logout()
    # Every footer states the new level at once (the cache was cleared)…
    assert "Accessibilité : partiellement conforme" in footer(text_of(client.get("/connexion")))
    # …and the page shows the operator's text, escaped, with its links.
    raw = client.get("/accessibilite").content.decode()
    body = html.unescape(raw)
    assert "<h1>Déclaration d’accessibilité</h1>" in body
    assert "<strong>partiellement conforme</strong>" in body
    assert "<h2>Résultats des tests</h2>" in body
    assert "<li>Formulaires : conformes</li>" in body
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert '<a href="https://audit.example/rapport" rel="nofollow">' in raw
    assert "Mis à jour le" in body

    # The operator changes it again: the change page saves through the same service.
    client.force_login(operator)
    response = client.post(
        f"/operateur/portal/sitepage/{page.pk}/change/",
        {"title": "", "body": "Tout est conforme.", "conformity": "totalement"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="site_page.update").count() == 2
    client.logout()
    assert "Accessibilité : totalement conforme" in footer(text_of(client.get("/connexion")))
    body = text_of(client.get("/accessibilite"))
    assert "<h1>Accessibilité</h1>" in body  # an empty title: the usual one
    assert "<p>Tout est conforme.</p>" in body


@pytest.mark.parametrize("path", ["/mentions-legales", "/donnees-personnelles", "/besoin-d-aide"])
def test_the_operators_text_replaces_the_default(client: Client, path: str) -> None:
    kind = path.strip("/").replace("besoin-d-aide", "aide")
    SitePage.objects.create(kind=kind, body="Texte de l’exploitant.\nSur deux lignes.")
    body = text_of(client.get(path))
    assert "<p>Texte de l’exploitant. Sur deux lignes.</p>" in body
    assert f"<h2>{PAGES[path][1]}</h2>" not in body


def test_the_pages_are_open_during_a_first_connection(client: Client) -> None:
    from preau.activation.services import charter_version_create, charter_version_publish

    charter = charter_version_create(actor=None, title="Charte", body="Article 1.")
    charter_version_publish(actor=None, version=charter)
    account = Account.objects.create_user(
        "lea.bernard",
        password="Tournesol#42",
        first_name="Léa",
        last_name="Bernard",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    client.force_login(account)
    assert client.get("/mon-compte/").status_code == 302  # the charter comes first…
    response = client.get("/donnees-personnelles")  # …but its data page may be read before
    assert response.status_code == 200
    top = header(text_of(response))
    assert "Léa Bernard" in top and 'href="/mon-compte/"' not in top


def test_the_text_format_makes_headings_paragraphs_and_lists() -> None:
    blocks = text_blocks(
        "## Titre\nUn paragraphe\nqui continue.\n\n- un\n- deux\nFin.\r\n\r\nAutre."
    )
    assert [(b.kind, b.text, b.items) for b in blocks] == [
        ("h2", "Titre", []),
        ("p", "Un paragraphe qui continue.", []),
        ("ul", "", ["un", "deux"]),
        ("p", "Fin.", []),
        ("p", "Autre.", []),
    ]


def test_the_default_texts_name_the_operator_when_known(client: Client, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ENT_NAME": "ENT Exemple", "OPERATOR_NAME": "Région Sud"}
    legal = text_of(client.get("/mentions-legales"))
    assert "ENT Exemple est édité par Région Sud." in legal
    assert "ENT Exemple repose sur Préau" in legal
    assert "Le responsable du traitement est Région Sud." in text_of(
        client.get("/donnees-personnelles")
    )


def test_no_state_block_unless_the_operator_is_a_state_service(
    client: Client, settings: Any
) -> None:
    body = text_of(client.get("/connexion"))
    assert "fr-logo" not in body  # the "République française" block
    assert "info.gouv.fr" not in footer(body)

    settings.PREAU = {**settings.PREAU, "STATE_SERVICE": True}
    body = text_of(client.get("/connexion"))
    assert '<p class="fr-logo">République<br>Française</p>' in header(body)
    assert '<p class="fr-logo">République<br>Française</p>' in footer(body)
    assert 'href="https://www.info.gouv.fr">info.gouv.fr</a>' in footer(body)


def test_the_operators_name_and_logo(client: Client, settings: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "OPERATOR_NAME": "Région Exemple",
        "OPERATOR_LOGO": "preau/logo-region.svg",  # a static file name…
    }
    body = text_of(client.get("/connexion"))
    logo = (
        '<img class="fr-responsive-img preau-operator-logo" src="/static/preau/logo-region.svg"'
        ' alt="Région Exemple">'
    )
    assert logo in header(body)
    assert 'src="/static/preau/logo-region.svg" alt="Région Exemple"' in footer(body)
    assert "Préau, l’espace numérique de travail proposé par Région Exemple." in footer(body)
    assert "fr-logo" not in body

    settings.PREAU = {**settings.PREAU, "OPERATOR_LOGO": "https://region.example/logo.png"}
    assert 'src="https://region.example/logo.png" alt="Région Exemple"' in header(
        text_of(client.get("/connexion"))
    )
