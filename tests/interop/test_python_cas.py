"""python-cas (a CAS client Préau did not write) against a live Préau, in each protocol
version it speaks: CAS 1.0, 2.0, 3.0 and SAML 1.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from cas import CASClient

from preau.directory.models import Account
from tests.sso.conftest import PASSWORD, PRONOTE, VIE_SCOLAIRE

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_for(client: Any, username: str = "emma.petit", password: str = PASSWORD) -> str:
    """A browser at the client's login URL: the form, the credentials, the ticket."""
    browser = requests.Session()
    page = browser.get(client.get_login_url(), timeout=10)
    form = BeautifulSoup(page.text, "html.parser").find("form", {"class": "cas__login-form"})
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}  # type: ignore[union-attr]
    data.update(username=username, password=password)
    answer = browser.post(page.url, data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["ticket"][0]


@pytest.mark.parametrize("version", [1, 2, 3, "CAS_2_SAML_1_0"])
def test_python_cas_validates_tickets_in_every_version(
    cas_url: str, student: Account, vie_scolaire: Any, version: Any
) -> None:
    client = CASClient(version=version, service_url=VIE_SCOLAIRE, server_url=cas_url)
    ticket = sign_in_for(client)
    user, attributes, _pgtiou = client.verify_ticket(ticket)
    assert user == "emma.petit"
    if version == 1:
        assert attributes is None
    else:
        assert attributes["givenName"] == "Emma"
        assert attributes["sn"] == "Petit"
        assert attributes["classes"] == "3A"
        assert attributes["uai"] == "0750654D"
    # The same ticket never validates twice.
    assert client.verify_ticket(ticket)[0] is None


def test_python_cas_reads_the_pronote_attributes(
    cas_url: str, student: Account, pronote: Any
) -> None:
    client = CASClient(version=3, service_url=PRONOTE, server_url=cas_url)
    user, attributes, _ = client.verify_ticket(sign_in_for(client))
    assert user == "emma.petit"
    assert attributes["nom"] == "Petit"
    assert attributes["prenom"] == "Emma"
    assert attributes["dateNaissance"] == "04/03/2011"
    assert attributes["codePostal"] == "75005"
    assert attributes["categories"] == "National_1"


def test_python_cas_refuses_a_ticket_for_another_service(
    cas_url: str, student: Account, vie_scolaire: Any, pronote: Any
) -> None:
    ticket = sign_in_for(CASClient(version=3, service_url=VIE_SCOLAIRE, server_url=cas_url))
    other = CASClient(version=3, service_url=PRONOTE, server_url=cas_url)
    assert other.verify_ticket(ticket)[0] is None


def test_python_cas_logout_url_comes_back_to_the_service(cas_url: str, vie_scolaire: Any) -> None:
    for version in (2, 3):  # CAS 2.0 names the parameter url, CAS 3.0 service
        client = CASClient(version=version, service_url=VIE_SCOLAIRE, server_url=cas_url)
        answer = requests.get(
            client.get_logout_url(VIE_SCOLAIRE), allow_redirects=False, timeout=10
        )
        assert answer.status_code == 302
        assert answer.headers["Location"] == VIE_SCOLAIRE
