"""EduConnect sign-in against the test IdP (SimpleSAMLphp): Préau's SP metadata, the signed
request, a known identity straight in, a pupil linked by INE and names, a parent by the exact
INE of the children of one guardian record, anything else to the proof page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.federation.models import FederatedIdentity
from preau.federation.services import PENDING_SESSION_KEY
from tests.factories import PASSWORD, account_factory
from tests.federation.educonnect_helpers import idp_answer, post_answer, query, start
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db

INE_LEA = "123456789AB"
INE_TOM = "223456789AB"


@pytest.fixture
def school(db: Any) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


def pupil(
    school: Establishment, ine: str, first: str = "Léa", last: str = "MARTIN", **kw: Any
) -> Account:
    return account_factory(
        state=kw.pop("state", Account.State.PROVISIONED),
        establishment=school,
        ine=ine,
        first_name=first,
        last_name=last,
        **kw,
    )


def guardian_of(school: Establishment, *children: Account, **kw: Any) -> Account:
    parent = account_factory(
        state=kw.pop("state", Account.State.ACTIVE),
        establishment=school,
        profile=Membership.Profile.GUARDIAN,
        first_name="Paul",
        last_name="Martin",
        **kw,
    )
    for child in children:
        Guardianship.objects.create(guardian=parent, student=child, establishment=school)
    return parent


def signed_in(client: Any) -> str | None:
    return client.session.get(SESSION_KEY)


def test_sp_metadata_names_the_endpoints_and_keys(client: Any, educonnect: TestEduConnect) -> None:
    response = client.get("/saml/metadata/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'entityID="https://preau.test/saml/metadata/"' in text
    assert 'AuthnRequestsSigned="true"' in text
    assert 'WantAssertionsSigned="true"' in text
    assert "http://testserver/saml/acs/" in text and "HTTP-POST" in text
    assert "http://testserver/saml/slo/" in text
    assert 'use="signing"' in text and 'use="encryption"' in text


def test_not_configured_no_page_and_no_choice(client: Any) -> None:
    assert client.get("/saml/metadata/").status_code == 404
    assert client.get("/educonnect/connexion").status_code == 404
    page = client.get("/connexion?selection=educonnect").content.decode()
    assert "EduConnect" not in page


def test_configured_the_choice_leads_to_educonnect(client: Any, educonnect: TestEduConnect) -> None:
    page = client.get("/connexion?selection=educonnect&next=/mon-compte/").content.decode()
    assert "Élève ou parent (EduConnect)" in page
    assert "/educonnect/connexion?next=%2Fmon-compte%2F" in page
    assert page.count("<form") == 1


def test_the_request_is_signed_and_redirected(client: Any, educonnect: TestEduConnect) -> None:
    location = start(client)
    assert location.startswith(educonnect.base + "/saml2/idp/SSOService.php?")
    params = query(location)
    assert {"SAMLRequest", "RelayState", "SigAlg", "Signature"} <= set(params)
    assert params["SigAlg"].endswith("rsa-sha256")


def test_a_pupil_is_linked_by_ine_at_once(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    lea = pupil(school, INE_LEA)
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response.status_code == 302, response.content[:500]
    assert signed_in(client) == str(lea.pk)
    identity = FederatedIdentity.objects.get(provider="educonnect")
    assert (identity.account, identity.subject) == (lea, "ect-eleve-0001")


def test_a_known_identity_signs_straight_in(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    someone = account_factory(state=Account.State.ACTIVE, login="quelqu.un")
    FederatedIdentity.objects.create(
        provider="educonnect", subject="ect-eleve-0002", account=someone, linked_at=timezone.now()
    )
    response = post_answer(client, idp_answer(educonnect, client, "eleve-autre-nom"))
    assert response.status_code == 302
    assert signed_in(client) == str(someone.pk)


def test_a_pupil_with_other_names_proves_the_account(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    lea = pupil(school, INE_LEA, state=Account.State.ACTIVE, login="lea.martin")
    response = post_answer(client, idp_answer(educonnect, client, "eleve-autre-nom"))
    assert response["Location"] == "/educonnect/lier"
    assert signed_in(client) is None
    assert not FederatedIdentity.objects.exists()
    page = client.get("/educonnect/lier").content.decode()
    assert "Lier votre identité EduConnect à votre compte" in page
    response = client.post("/educonnect/lier", {"username": "lea.martin", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client) == str(lea.pk)
    assert FederatedIdentity.objects.get().account == lea
    assert PENDING_SESSION_KEY not in client.session


def test_a_pupil_without_a_current_pupil_membership_is_not_linked(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    lea = pupil(school, INE_LEA)
    Membership.objects.filter(account=lea).update(end_date=date(2020, 8, 31))
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response["Location"] == "/educonnect/lier"
    assert not FederatedIdentity.objects.exists()


def test_a_parent_is_linked_by_the_exact_children(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    parent = guardian_of(school, pupil(school, INE_LEA), pupil(school, INE_TOM, first="Tom"))
    response = post_answer(client, idp_answer(educonnect, client, "parent"))
    assert response.status_code == 302
    assert signed_in(client) == str(parent.pk)
    assert FederatedIdentity.objects.get().account == parent


def test_a_parent_whose_children_differ_proves_the_account(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    # EduConnect names one child, the guardian record has two: not exactly the same.
    guardian_of(school, pupil(school, INE_LEA), pupil(school, INE_TOM, first="Tom"))
    response = post_answer(client, idp_answer(educonnect, client, "parent-un-enfant"))
    assert response["Location"] == "/educonnect/lier"
    assert not FederatedIdentity.objects.exists()


def test_children_on_two_guardian_records_prove_nothing(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    lea = pupil(school, INE_LEA)
    guardian_of(school, lea)
    guardian_of(school, lea)
    response = post_answer(client, idp_answer(educonnect, client, "parent-un-enfant"))
    assert response["Location"] == "/educonnect/lier"
    assert not FederatedIdentity.objects.exists()


def test_the_first_connection_still_runs_for_a_provisioned_pupil(
    client: Any, educonnect: TestEduConnect, school: Establishment
) -> None:
    pupil(school, INE_LEA)  # PROVISIONED: charter, password… still to do
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"] != "/"  # the required actions first


def test_the_idps_metadata_is_kept_a_day_then_read_again(
    educonnect: TestEduConnect, settings: Any, tmp_path: Any
) -> None:
    from unittest import mock

    from django.core.cache import cache

    from preau.federation import educonnect as module

    cache.clear()
    copy = tmp_path / "idp.xml"
    copy.write_text(educonnect.metadata_file.read_text())
    settings.PREAU = {**settings.PREAU, "EDUCONNECT_METADATA": str(copy)}
    with mock.patch.object(module.cache, "set", wraps=module.cache.set) as kept:
        first = module.idp_metadata()
    assert kept.call_args.args[2] == 86400  # a day (the cache's own clock ends it)
    copy.write_text("<changed/>")
    assert module.idp_metadata() == first
    cache.delete("preau:educonnect:metadata")  # the day is over
    assert module.idp_metadata() == "<changed/>"
    cache.clear()


def test_the_idps_metadata_from_an_address(educonnect: TestEduConnect, settings: Any) -> None:
    from django.core.cache import cache

    from preau.federation.educonnect import idp_metadata

    cache.clear()
    # Plain http only on loopback (the test IdP); an operator's address is https://.
    settings.PREAU = {**settings.PREAU, "EDUCONNECT_METADATA": educonnect.entity_id}
    assert educonnect.entity_id in idp_metadata()
    cache.clear()


def test_a_pupil_of_another_establishment_proves_the_account(
    client: Any, educonnect: TestEduConnect
) -> None:
    # Same INE and names, but EduConnect's UAI is not the school of the pupil membership.
    elsewhere = Establishment.objects.create(uai="0690026D", name="Collège du Parc")
    pupil(elsewhere, INE_LEA)
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response["Location"] == "/educonnect/lier"
    assert not FederatedIdentity.objects.exists()
