"""Request bodies are refused from their announced size, before a byte is read: nobody makes
the server read or spool hundreds of megabytes, signed in or not, CSRF cookie or not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from preau.console.models import PendingImport
from preau.directory.models import Account, Establishment, Membership
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
MARGIN = 64 * 1024  # room for the import form's other fields and the multipart boundaries


class UnreadableInput:
    """A wsgi.input that fails the test if anything reads the body."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the request body was read")

    readline = read

    def __iter__(self) -> Any:
        raise AssertionError("the request body was read")


@pytest.fixture
def school(establishment: Establishment) -> Establishment:
    return establishment


@pytest.fixture
def admin(school: Establishment) -> Account:
    return make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )


@pytest.fixture
def csrf_client() -> Client:
    """A client that, like a browser, holds a CSRF cookie and has CSRF checks enforced."""
    client = Client(enforce_csrf_checks=True)
    client.get("/connexion")
    assert django_settings.CSRF_COOKIE_NAME in client.cookies
    return client


def _forged(client: Client, path: str, length: int, method: str = "POST") -> Any:
    """A request announcing ``length`` bytes whose body may not be read."""
    return client.generic(
        method,
        path,
        data=b"x",
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(length),
        HTTP_X_CSRFTOKEN=client.cookies[django_settings.CSRF_COOKIE_NAME].value
        if django_settings.CSRF_COOKIE_NAME in client.cookies
        else "",
        **{"wsgi.input": UnreadableInput()},
    )


def _import_url(school: Establishment) -> str:
    return reverse("console:import", kwargs={"uai": school.uai})


def _assert_refusal_page(response: Any, limit: str) -> str:
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="fr"' in html  # the site's base template
    assert 'class="fr-header"' in html
    assert f"{limit} Mo" in html
    return html


def test_an_anonymous_huge_upload_to_the_import_page_is_refused_unread(
    csrf_client: Client, school: Establishment
) -> None:
    response = _forged(csrf_client, _import_url(school), 500 * MIB)
    html = _assert_refusal_page(response, "5")
    assert "Le fichier dépasse la taille maximale de 5 Mo." in html
    assert "découpez" in html
    assert not PendingImport.objects.exists()


def test_a_signed_in_administrator_huge_upload_is_refused_unread(
    csrf_client: Client, school: Establishment, admin: Account
) -> None:
    csrf_client.force_login(admin)
    limit = 5 * MIB + MARGIN
    response = _forged(csrf_client, _import_url(school), limit + 1)
    _assert_refusal_page(response, "5")
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize("path", ["/connexion", "/cas/samlValidate", "/mon-compte/", "/nowhere"])
def test_every_other_page_accepts_far_less(csrf_client: Client, path: str) -> None:
    # An import-sized body (2 MiB) elsewhere is refused: the large limit is the import page's.
    response = _forged(csrf_client, path, 2 * MIB)
    html = _assert_refusal_page(response, "1")
    assert "Les données envoyées dépassent la taille maximale acceptée" in html


def test_a_get_announcing_a_body_is_limited_too(client: Client) -> None:
    response = _forged(client, "/connexion", 2 * MIB, method="GET")
    assert response.status_code == 413


def test_a_body_exactly_at_the_limit_is_accepted(client: Client, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "REQUEST_MAX_BYTES": 2000}
    url = "/cas/samlValidate?TARGET=https%3A%2F%2Fvie-scolaire.test%2F"
    at_limit = client.post(url, b"<x/>".ljust(2000), content_type="text/xml")
    assert at_limit.status_code == 200
    assert "samlp:Requester" in at_limit.content.decode()  # read and answered by CAS
    over = client.post(url, b"<x/>".ljust(2001), content_type="text/xml")
    assert over.status_code == 413
    assert "2 Ko" in over.content.decode()  # a small limit is not shown as 0 Mo


def test_an_upload_exactly_at_the_import_limit_reaches_the_page(
    client: Client, school: Establishment, admin: Account, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "IMPORT_MAX_BYTES": 100 * 1024}
    client.force_login(admin)
    limit = 100 * 1024 + MARGIN

    def body(size: int) -> bytes:
        fields = {"kind": "students"}
        empty = encode_multipart(BOUNDARY, {**fields, "file": SimpleUploadedFile("e.csv", b"")})
        content = b"Nom\n" + b"\n" * (size - len(empty) - 4)
        data = encode_multipart(BOUNDARY, {**fields, "file": SimpleUploadedFile("e.csv", content)})
        assert len(data) == size
        return data

    at_limit = client.generic("POST", _import_url(school), body(limit), MULTIPART_CONTENT)
    # Past the body limit: the form itself says the file is over 100 KiB.
    assert at_limit.status_code == 400
    assert "la taille maximale est de 0,1 Mo" in at_limit.content.decode()
    over = client.generic("POST", _import_url(school), body(limit + 1), MULTIPART_CONTENT)
    assert over.status_code == 413
    assert "Le fichier dépasse la taille maximale de 0,1 Mo." in over.content.decode()


def test_a_chunked_body_without_length_is_refused_unread(csrf_client: Client) -> None:
    response = csrf_client.generic(
        "POST",
        "/connexion",
        data=b"",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableInput()},
    )
    assert response.status_code == 411
    html = response.content.decode()
    assert 'class="fr-header"' in html
    assert "taille des données envoyées n’est pas indiquée" in html


def test_djangos_own_limits_follow_the_settings() -> None:
    # The parsers' own limits: form fields as large as any body, and an accepted import file
    # kept in memory (it is read whole anyway) rather than spooled to a temporary file.
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == django_settings.PREAU["REQUEST_MAX_BYTES"]
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE == (
        django_settings.PREAU["IMPORT_MAX_BYTES"] + MARGIN
    )


def test_the_apis_oversized_or_unannounced_body_gets_the_apis_json_error(client: Client) -> None:
    """Under /api/ the refusals are the mobile API's JSON errors (docs/mobile.md), unread."""
    response = client.generic(
        "POST",
        "/api/mobile/v1/activation",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(50 * MIB),
        **{"wsgi.input": UnreadableInput()},
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body == {
        "error": "request_too_large",
        "message": "La requête est trop volumineuse : 1 Mo au plus.",
    }
    chunked = client.generic(
        "POST",
        "/api/mobile/v1/activation",
        data=b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableInput()},
    )
    assert chunked.status_code == 411
    assert json.loads(chunked.content)["error"] == "length_required"
