""" "Mes services": tiles by category for the person's profile in the current establishment,
and "Mes portails" for people who belong to several."""

from __future__ import annotations

import pytest
from django.test import Client

from preau.directory.models import Establishment, Guardianship, Membership
from preau.portal.models import Category
from tests.sso.conftest import make_person, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(establishment: Establishment) -> None:
    register(
        "PRONOTE",
        ("prefix", "https://0750654d.index-education.net/pronote/"),
        launch_url="https://{uai}.index-education.net/pronote/",
        preset="pronote",
    )
    messagerie = register(
        "Messagerie", ("prefix", "https://mail.test/"), launch_url="https://mail.test/"
    )
    messagerie.category, _ = Category.objects.get_or_create(
        name="Communication", defaults={"order": 20}
    )
    messagerie.save()
    register(
        "Cahier de textes (enseignants)",
        ("prefix", "https://cahier.test/"),
        slug="cahier",
        launch_url="https://cahier.test/",
        allowed_profiles=["enseignant"],
    )
    other = Establishment.objects.create(uai="0690001B", name="Collège Ailleurs")
    elsewhere = register(
        "Ressources d'ailleurs",
        ("prefix", "https://ailleurs.test/"),
        slug="ailleurs",
        launch_url="https://ailleurs.test/",
    )
    elsewhere.establishments.add(other)
    register("Sans adresse", ("prefix", "https://cas-only.test/"), slug="sans-adresse")


def test_a_student_sees_the_tiles_open_to_students_grouped_by_category(
    client: Client, establishment: Establishment, catalogue: None
) -> None:
    student = make_person("emma.petit", establishment)
    client.force_login(student)
    response = client.get("/")
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [(g.category, [t.name for t in g.tiles]) for g in groups] == [
        ("Scolarité", ["PRONOTE"]),
        ("Communication", ["Messagerie"]),
    ]
    html = response.content.decode()
    assert 'href="https://0750654d.index-education.net/pronote/"' in html
    assert "Mes portails" not in html  # one establishment: nothing to switch


def test_a_teacher_also_sees_the_teachers_service(
    client: Client, establishment: Establishment, catalogue: None
) -> None:
    teacher = make_person("paul.martin", establishment, Membership.Profile.TEACHER, class_code=None)
    client.force_login(teacher)
    names = [t.name for g in client.get("/").context["groups"] for t in g.tiles]
    assert "Cahier de textes (enseignants)" in names


def test_mes_portails_switches_the_establishment(
    client: Client, establishment: Establishment, catalogue: None
) -> None:
    parent = make_person("luc.petit", establishment, Membership.Profile.GUARDIAN, class_code=None)
    other = Establishment.objects.get(uai="0690001B")
    Membership.objects.create(
        account=parent, establishment=other, profile="responsable", school_year=2026
    )
    for number, school in enumerate((establishment, other)):
        child = make_person(f"enfant{number}.petit", school)
        Guardianship.objects.create(guardian=parent, student=child, establishment=school)
    client.force_login(parent)
    home = client.get("/")
    html = home.content.decode()
    assert "Mes portails" in html
    assert home.context["current"] == other  # by name: "Collège Ailleurs" first
    names = [t.name for g in home.context["groups"] for t in g.tiles]
    assert "Ressources d'ailleurs" in names
    response = client.post("/portails", {"establishment": establishment.pk})
    assert response.status_code == 302
    after = client.get("/")
    assert after.context["current"] == establishment
    names = [t.name for g in after.context["groups"] for t in g.tiles]
    assert "Ressources d'ailleurs" not in names
    assert "PRONOTE" in names
    assert "Vous êtes sur le portail de Lycée Louis-le-Grand." in after.content.decode()


def test_a_guardians_school_is_in_mes_portails_once_a_child_there_is_confirmed(
    client: Client, establishment: Establishment, catalogue: None
) -> None:
    """An import gave this parent a child in a second school: until the parent confirms the
    child's birth date (or if they refuse it), that school is not theirs for the portal."""
    parent = make_person("luc.petit", establishment, Membership.Profile.GUARDIAN, class_code=None)
    Guardianship.objects.create(
        guardian=parent,
        student=make_person("emma.petit", establishment),
        establishment=establishment,
    )
    other = Establishment.objects.get(uai="0690001B")
    Membership.objects.create(
        account=parent, establishment=other, profile="responsable", school_year=2026
    )
    link = Guardianship.objects.create(
        guardian=parent,
        student=make_person("hugo.petit", other),
        establishment=other,
        confirmation=Guardianship.Confirmation.FROZEN,
    )
    client.force_login(parent)
    home = client.get("/")
    assert home.context["current"] == establishment
    assert "Mes portails" not in home.content.decode()
    Guardianship.objects.filter(pk=link.pk).update(confirmation="confirmed")
    assert "Mes portails" in client.get("/").content.decode()


def test_mes_portails_refuses_an_establishment_that_is_not_ones_own(
    client: Client, establishment: Establishment, catalogue: None
) -> None:
    student = make_person("emma.petit", establishment)
    other = Establishment.objects.get(uai="0690001B")
    client.force_login(student)
    client.post("/portails", {"establishment": other.pk})
    assert client.get("/").context["current"] == establishment
    assert client.post("/portails", {"establishment": "x"}).status_code == 302


def test_the_home_page_asks_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_preau_demo_registers_the_example_service_once(client: Client) -> None:
    from preau.demo.services import demo_load
    from preau.portal.models import Service, ServicePattern
    from preau.portal.registry import registry_match

    credentials = demo_load(students=1, guardians=0)
    demo_load(students=0, guardians=0)
    service = Service.objects.get(slug="vie-scolaire-demo")
    assert ServicePattern.objects.filter(service=service).count() == 1
    assert registry_match("http://127.0.0.1:8001/login") is not None
    membership = Membership.objects.filter(
        establishment=credentials.establishment, profile="eleve"
    ).first()
    assert membership is not None
    student = membership.account
    student.state = student.State.ACTIVE  # first connection done
    student.save(update_fields=["state"])
    from preau.activation.selectors import charter_current
    from preau.activation.services import charter_accept

    charter = charter_current()
    if charter is not None:  # the demo may publish a charter to accept first
        charter_accept(actor=student, account=student, version=charter)
    client.force_login(student)
    names = [t.name for g in client.get("/").context["groups"] for t in g.tiles]
    assert names == ["Vie scolaire (démonstration)"]
