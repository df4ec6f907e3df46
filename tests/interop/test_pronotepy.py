"""pronotepy's generic CAS login (``pronotepy.ent.generic_func._cas``, behind the ENT
functions PRONOTE apps use) against /cas/login: it must come back with the SSO cookie, and a
wrong password must raise its login error."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pronotepy.ent.generic_func import _cas as pronotepy_cas_login
from pronotepy.exceptions import ENTLoginError

from preau.directory.models import Account
from tests.sso.conftest import PASSWORD, VIE_SCOLAIRE

pytestmark = pytest.mark.django_db(transaction=True)


def test_pronotepy_signs_in_and_gets_the_sso_cookie(
    cas_url: str, student: Account, vie_scolaire: Any
) -> None:
    cookies = pronotepy_cas_login("emma.petit", PASSWORD, url=cas_url + "login")
    assert "preau_session" in cookies
    # The cookie is an SSO session: a service ticket without credentials.
    browser = requests.Session()
    browser.cookies.update(cookies)
    answer = browser.get(
        cas_url + "login", params={"service": VIE_SCOLAIRE}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["ticket"][0].startswith("ST-")


def test_pronotepy_raises_its_login_error_on_a_wrong_password(
    cas_url: str, student: Account
) -> None:
    with pytest.raises(ENTLoginError):
        pronotepy_cas_login("emma.petit", "not-the-password", url=cas_url + "login")


def test_pronotepy_with_the_selection_parameter_of_real_ents(
    cas_url: str, student: Account
) -> None:
    # ENTs are reached as …/login?selection=…; unknown parameters are ignored.
    cookies = pronotepy_cas_login(
        "emma.petit", PASSWORD, url=cas_url + "login?selection=ATS_parent_eleve"
    )
    assert "preau_session" in cookies
