"""What a client learns, scope by scope, in the ID token and from userinfo; and the pairwise
``sub``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from preau.directory.models import (
    Account,
    Establishment,
    Guardianship,
    Membership,
    SchoolClass,
)
from preau.directory.selectors import ESTABLISHMENT_SESSION_KEY
from preau.sso.oidc.models import Subject
from tests.oidc.conftest import RegisteredClient, code_for, exchange, pkce, register_client

pytestmark = pytest.mark.django_db


def tokens(http: Client, rp: RegisteredClient, scope: str) -> dict[str, Any]:
    challenge = pkce()
    response = exchange(http, rp, code_for(http, rp, challenge, scope=scope), challenge.verifier)
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


def userinfo(access_token: str) -> dict[str, Any]:
    response = Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


def id_token_claims(id_token: str) -> dict[str, Any]:
    keys = jwk.JWKSet.from_json(Client().get("/oidc/jwks").content)
    return dict(json.loads(jwt.JWT(jwt=id_token, key=keys, algs=["RS256"]).claims))


def test_openid_alone_releases_an_opaque_sub_only(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    token = tokens(client, rp, "openid")
    info = userinfo(token["access_token"])
    assert list(info) == ["sub"]
    sub = info["sub"]
    assert sub == Subject.objects.get(account=student, application=rp.application).sub
    assert len(sub) >= 22  # 128 random bits
    assert "lea" not in sub
    assert sub != str(student.pk)

    claims = id_token_claims(token["id_token"])
    assert claims["sub"] == sub
    assert claims["iss"] == "http://127.0.0.1:8000"
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == "nonce-456"
    assert "name" not in claims
    assert "email" not in claims


def test_sub_is_stable_for_one_client_and_differs_between_clients(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    other = register_client("Autre service", redirect_uri="https://autre.example/cb")
    first = userinfo(tokens(client, rp, "openid")["access_token"])["sub"]
    again = userinfo(tokens(client, rp, "openid")["access_token"])["sub"]
    elsewhere = userinfo(tokens(client, other, "openid")["access_token"])["sub"]
    assert first == again
    assert elsewhere != first


def test_profile_releases_names_login_and_birth_date(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    token = tokens(client, rp, "openid profile")
    info = userinfo(token["access_token"])
    student.refresh_from_db()
    assert info == {
        "sub": info["sub"],
        "name": "Léa Bernard",
        "given_name": "Léa",
        "family_name": "Bernard",
        "middle_name": "Marie Jeanne",
        "preferred_username": "lea.bernard",
        "birthdate": "2011-07-14",
        "updated_at": int(student.updated_at.timestamp()),
    }
    assert id_token_claims(token["id_token"])["birthdate"] == "2011-07-14"


def test_profile_leaves_out_what_is_not_known(
    client: Client, rp: RegisteredClient, establishment: Establishment
) -> None:
    from tests.oidc.conftest import active_account

    teacher = active_account("marie.curie")
    client.force_login(teacher)
    info = userinfo(tokens(client, rp, "openid profile email ent")["access_token"])
    assert "birthdate" not in info
    assert "middle_name" not in info
    assert "email" not in info
    assert info["email_verified"] is False
    assert info["ent_profiles"] == []
    assert "ent_uai" not in info


def test_email_says_whether_the_address_was_proven(
    client: Client, rp: RegisteredClient, student: Account
) -> None:
    client.force_login(student)
    info = userinfo(tokens(client, rp, "openid email")["access_token"])
    assert info["email"] == "lea@example.fr"
    assert info["email_verified"] is True
    assert "name" not in info

    Account.objects.filter(pk=student.pk).update(email_verified_at=None)
    info = userinfo(tokens(client, rp, "openid email")["access_token"])
    assert info["email_verified"] is False


def test_ent_releases_establishment_profiles_and_classes(
    client: Client, rp: RegisteredClient, student: Account, establishment: Establishment
) -> None:
    client.force_login(student)
    token = tokens(client, rp, "openid ent")
    info = userinfo(token["access_token"])
    assert info == {
        "sub": info["sub"],
        "ent_uai": "0750654D",
        "ent_establishment": "Lycée Louis-le-Grand",
        "ent_profiles": ["eleve"],
        "ent_classes": ["3A"],
        "ent_uais": ["0750654D"],
    }
    assert id_token_claims(token["id_token"])["ent_classes"] == ["3A"]


def test_ent_describes_the_establishment_chosen_when_the_person_authorized(
    client: Client, rp: RegisteredClient, student: Account, establishment: Establishment
) -> None:
    """A teacher in two schools, and parent in one of them, who switched to the second."""
    from tests.oidc.conftest import active_account

    teacher = active_account("anne.martin")
    college = Establishment.objects.create(uai="0750680G", name="Collège Montaigne")
    for school, profile in ((establishment, "enseignant"), (college, "enseignant")):
        Membership.objects.create(
            account=teacher, establishment=school, profile=profile, school_year=2026
        )
    guardian = Membership.objects.create(
        account=teacher, establishment=college, profile="responsable", school_year=2026
    )
    taught = Membership.objects.get(account=teacher, establishment=college, profile="enseignant")
    taught.classes.add(
        SchoolClass.objects.create(establishment=college, school_year=2026, code="4B"),
        SchoolClass.objects.create(establishment=college, school_year=2026, code="3C"),
    )
    assert guardian.classes.count() == 0
    # A parent there: a confirmed child (a guardian's school counts only with one).
    child = active_account("theo.martin")
    Membership.objects.create(
        account=child, establishment=college, profile="eleve", school_year=2026
    )
    Guardianship.objects.create(guardian=teacher, student=child, establishment=college)
    client.force_login(teacher)

    first = userinfo(tokens(client, rp, "openid ent")["access_token"])
    assert first["ent_uai"] == "0750680G"  # Collège Montaigne comes first by name
    assert first["ent_uais"] == ["0750680G", "0750654D"]

    session = client.session
    session[ESTABLISHMENT_SESSION_KEY] = "0750654D"
    session.save()
    switched = userinfo(tokens(client, rp, "openid ent")["access_token"])
    assert switched["ent_uai"] == "0750654D"
    assert switched["ent_profiles"] == ["enseignant"]
    assert switched["ent_classes"] == []

    session[ESTABLISHMENT_SESSION_KEY] = "0750680G"
    session.save()
    back = userinfo(tokens(client, rp, "openid ent")["access_token"])
    assert back["ent_profiles"] == ["enseignant", "responsable"]
    assert back["ent_classes"] == ["3C", "4B"]


def test_userinfo_costs_a_bounded_number_of_queries(
    client: Client,
    rp: RegisteredClient,
    student: Account,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(student)
    access_token = tokens(client, rp, "openid profile email ent")["access_token"]
    with django_assert_max_num_queries(6):
        userinfo(access_token)
