import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from preau.demo.services import DEMO_PASSWORD, DEMO_UAI, demo_load
from preau.directory.models import Account, Membership

pytestmark = pytest.mark.django_db


def test_demo_school_is_loaded_through_the_importer_and_can_sign_in() -> None:
    credentials = demo_load()
    assert credentials.establishment.uai == DEMO_UAI
    students = Membership.objects.filter(establishment__uai=DEMO_UAI, profile="eleve").count()
    assert students >= 100
    assert all(report.written and not report.problems for report in credentials.reports)
    # The local administrator signs in with the printed password and reaches the console.
    client = Client()
    response = client.post(
        "/connexion",
        {"username": credentials.admin_login, "password": DEMO_PASSWORD, "next": "/console/"},
    )
    assert response.status_code == 302
    assert client.get("/console/", follow=True).status_code == 200
    # The printed activation codes work for a first connection.
    assert len(credentials.activation_codes) == 3
    for login, _who, code in credentials.activation_codes:
        assert authenticate(username=login, password=code) is not None
    assert Account.objects.get(login=credentials.operator_login).is_staff


def test_running_the_demo_again_changes_nobody() -> None:
    demo_load()
    admin_before = Account.objects.filter(is_staff=False, password__startswith="argon2").count()
    credentials = demo_load(students=0, guardians=0)
    for report in credentials.reports:
        assert (report.created, report.updated, report.ended) == (0, 0, 0)
    assert Account.objects.filter(password__startswith="argon2", is_staff=False).count() == (
        admin_before
    )


def test_demo_command_prints_where_to_sign_in(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "/connexion" in out
    assert "administrateur local" in out
    assert "code d'activation" in out


def test_the_demo_publishes_a_charter_once() -> None:
    from preau.activation.models import CharterVersion

    demo_load(students=0, guardians=0)
    demo_load(students=0, guardians=0)
    assert CharterVersion.objects.filter(published_at__isnull=False).count() == 1
