"""Letters from the console: a POST that issues fresh codes and downloads the PDF."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from preau.directory.models import Account, Establishment
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def pupils(school: Establishment) -> None:
    make_person(school, "lea.martin", first_name="Léa", last_name="Martin", classes=["3A"])
    make_person(school, "tom.durand", first_name="Tom", last_name="Durand", classes=["3A"])
    make_person(
        school, "ana.silva", first_name="Ana", last_name="Silva", classes=["3A"], state="active"
    )
    make_person(school, "max.petit", first_name="Max", last_name="Petit", classes=["4B"])


def test_the_form_warns_that_previous_codes_stop_working(
    admin_client: Any, school: Establishment, pupils: None
) -> None:
    response = admin_client.get(reverse("console:letters", kwargs={"uai": school.uai}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "les codes des courriers précédents ne fonctionneront plus" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert '<option value="3A">3A</option>' in html


def test_printing_a_class_downloads_a_pdf_and_issues_fresh_codes(
    admin_client: Any, school: Establishment, pupils: None
) -> None:
    lea = Account.objects.get(login="lea.martin")
    assert lea.activation_code_digest == ""
    response = admin_client.post(
        reverse("console:letters", kwargs={"uai": school.uai}),
        {"profile": "student", "school_class": "3A", "pending_only": "on"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="courriers-{school.uai.lower()}-student-3a.pdf"'
    )
    text = _pdf_text(response.content)
    assert "lea.martin" in text and "tom.durand" in text
    assert "ana.silva" not in text  # active: left out by "pending only"
    assert "max.petit" not in text  # another class
    lea.refresh_from_db()
    assert lea.activation_code_digest and lea.activation_expires_at is not None


def test_nothing_to_print_says_so_instead_of_an_empty_pdf(
    admin_client: Any, school: Establishment
) -> None:
    make_person(school, "ana.silva", classes=["3A"], state="active")
    url = reverse("console:letters", kwargs={"uai": school.uai})
    response = admin_client.post(url, {"profile": "student", "pending_only": "on"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "aucun courrier à imprimer" in response.content.decode()


def test_an_unknown_class_is_refused(
    admin_client: Any, school: Establishment, pupils: None
) -> None:
    response = admin_client.post(
        reverse("console:letters", kwargs={"uai": school.uai}),
        {"profile": "student", "school_class": "9Z"},
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_printing_letters_needs_the_csrf_token(
    school: Establishment, admin: Account, pupils: None
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(
        reverse("console:letters", kwargs={"uai": school.uai}), {"profile": "student"}
    )
    assert response.status_code == 403
    assert Account.objects.get(login="lea.martin").activation_code_digest == ""


def test_guardian_letters_of_a_class(
    admin_client: Any, school: Establishment, pupils: None
) -> None:
    from preau.directory.models import Guardianship

    parent = make_person(
        school, "marc.martin", first_name="Marc", last_name="Martin", profile="responsable"
    )
    Guardianship.objects.create(
        guardian=parent, student=Account.objects.get(login="lea.martin"), establishment=school
    )
    response = admin_client.post(
        reverse("console:letters", kwargs={"uai": school.uai}),
        {"profile": "guardian", "school_class": "3A"},
    )
    assert response.status_code == 200
    text = _pdf_text(response.content)
    assert "marc.martin" in text and "lea.martin" not in text
