"""Single logout with the test EduConnect: Préau's sign-out sends a signed LogoutRequest and
comes back to the sign-in page; the IdP's own LogoutRequest ends Préau's session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY

from preau.directory.models import Account, Establishment
from tests.factories import account_factory
from tests.federation.educonnect_helpers import post_answer, query, start
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(db: Any) -> Account:
    school = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    return account_factory(
        establishment=school, ine="123456789AB", first_name="Léa", last_name="Martin"
    )


def signed_in_through_educonnect(client: Any, ec: TestEduConnect) -> requests.Session:
    browser = requests.Session()
    form = ec.authenticate(start(client), "eleve", browser)
    form.pop("action")
    assert post_answer(client, form).status_code == 302
    assert SESSION_KEY in client.session
    return browser


def to_preau(ec: TestEduConnect, browser: requests.Session, url: str) -> str:
    """Follow the IdP's own redirections until one leads to Préau."""
    for _ in range(5):
        if urlsplit(url).netloc == "testserver":
            return url
        answer = browser.get(url, allow_redirects=False, timeout=20)
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300], ec.log())
        url = answer.headers["Location"]
    raise AssertionError(url)


def local(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url
    return f"{parts.path}?{parts.query}"


def test_signing_out_ends_the_idps_session_too(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    browser = signed_in_through_educonnect(client, educonnect)
    response = client.post("/deconnexion")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(educonnect.base + "/saml2/idp/SingleLogoutService.php?")
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query(location))
    assert SESSION_KEY not in client.session
    # The IdP checks the signature, ends its session and answers Préau's SLO address.
    done = client.get(local(to_preau(educonnect, browser, location)), follow=True)
    assert done.redirect_chain[-1][0] == "/connexion"
    # Signed out at the IdP: the next sign-in asks for the password again.
    again = browser.get(start(client), timeout=20)
    assert 'name="password"' in again.text


def test_the_idps_logout_request_ends_prea_session(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    browser = signed_in_through_educonnect(client, educonnect)
    first = browser.get(
        educonnect.base + "/saml2/idp/SingleLogoutService.php",
        params={"ReturnTo": educonnect.base + "/"},
        allow_redirects=False,
        timeout=20,
    )
    assert first.status_code in (302, 303), (first.status_code, first.text[:500], educonnect.log())
    request = to_preau(educonnect, browser, first.headers["Location"])
    assert "SAMLRequest" in query(request) and "Signature" in query(request)
    answer = client.get(local(request))
    assert answer.status_code == 302
    assert SESSION_KEY not in client.session
    assert answer["Location"].startswith(educonnect.base)
    assert "SAMLResponse" in query(answer["Location"])
    end = browser.get(answer["Location"], allow_redirects=False, timeout=20)
    assert end.status_code in (302, 303), educonnect.log()


def test_a_logout_request_for_someone_else_leaves_the_session(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    other = client.__class__()
    browser = signed_in_through_educonnect(other, educonnect)
    first = browser.get(
        educonnect.base + "/saml2/idp/SingleLogoutService.php",
        params={"ReturnTo": educonnect.base + "/"},
        allow_redirects=False,
        timeout=20,
    )
    request = to_preau(educonnect, browser, first.headers["Location"])
    signed_in_through_educonnect(client, educonnect)
    answer = client.get(local(request))
    assert answer.status_code == 302
    assert SESSION_KEY in client.session  # another browser's EduConnect session


def test_an_unsigned_logout_request_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    browser = signed_in_through_educonnect(client, educonnect)
    first = browser.get(
        educonnect.base + "/saml2/idp/SingleLogoutService.php",
        params={"ReturnTo": educonnect.base + "/"},
        allow_redirects=False,
        timeout=20,
    )
    params = query(to_preau(educonnect, browser, first.headers["Location"]))
    response = client.get("/saml/slo/", {"SAMLRequest": params["SAMLRequest"]})
    assert response.status_code == 400
    assert SESSION_KEY in client.session
