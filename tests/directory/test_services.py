import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.directory.services import establishment_create, local_admin_set

pytestmark = pytest.mark.django_db


def test_establishment_create_validates_the_uai_and_audits() -> None:
    establishment = establishment_create(actor=None, uai=" 0690026d ", name="Lycée du Parc")
    assert establishment.uai == "0690026D"
    event = AuditEvent.objects.get(action="establishment.create")
    assert event.establishment == establishment
    assert event.actor_label == "system"


def test_establishment_create_refuses_a_wrong_check_letter() -> None:
    with pytest.raises(ValidationError) as exc:
        establishment_create(actor=None, uai="0690026E", name="Lycée du Parc")
    assert "lettre de contrôle" in str(exc.value)
    assert not Establishment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_local_admin_needs_a_staff_membership(establishment: Establishment) -> None:
    account = Account.objects.create_user("claire.martin", last_name="Martin", first_name="Claire")
    with pytest.raises(ValidationError):
        local_admin_set(actor=None, account=account, establishment=establishment)
    Membership.objects.create(
        account=account, establishment=establishment, profile="personnel", school_year=2026
    )
    membership = local_admin_set(actor=None, account=account, establishment=establishment)
    assert membership.is_local_admin
    # Granting twice writes one event only.
    local_admin_set(actor=None, account=account, establishment=establishment)
    assert AuditEvent.objects.filter(action="local_admin.grant", target=account).count() == 1
    local_admin_set(actor=None, account=account, establishment=establishment, grant=False)
    membership.refresh_from_db()
    assert not membership.is_local_admin


def test_establishment_command_adds_and_reports_errors(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("establishment", "add", "--uai", "0750654D", "--name", "Louis-le-Grand")
    assert Establishment.objects.filter(uai="0750654D").exists()
    with pytest.raises(CommandError, match="lettre de contrôle"):
        call_command("establishment", "add", "--uai", "0750654E", "--name", "X")
    with pytest.raises(CommandError, match="UAI"):
        call_command("establishment", "add", "--uai", "0750654D", "--name", "Doublon")


def test_localadmin_command(establishment: Establishment) -> None:
    account = Account.objects.create_user("paul.durand", last_name="Durand", first_name="Paul")
    Membership.objects.create(
        account=account, establishment=establishment, profile="enseignant", school_year=2026
    )
    call_command("localadmin", "grant", "paul.durand", "--establishment", "0750654d")
    assert Membership.objects.get(account=account).is_local_admin
    with pytest.raises(CommandError, match="Aucun établissement"):
        call_command("localadmin", "grant", "paul.durand", "--establishment", "0690026D")
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("localadmin", "grant", "nobody", "--establishment", "0750654D")
