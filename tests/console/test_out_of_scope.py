"""Every console action of one school's administrator, tried on every kind of account outside
their reach (issue 11): another school's pupil, someone whose membership has ended, the
operator, a superuser, another school's administrator (each with a membership here, as an
import could once graft), and people shared with another school for the acts on the whole
account. Nothing may change: state, password, code, deadline, demands, audit, mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.recovery.models import PasswordChangeDemand
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Act:
    name: str
    method: str
    data: dict[str, str]
    account_wide: bool = True


ACTS = [
    Act("account_reissue", "get", {}),
    Act("account_reissue", "post", {"delivery": "letter"}),
    Act("account_reissue", "post", {"delivery": "email", "email": "pirate@example.org"}),
    Act("account_password_demand", "post", {}),
    Act("account_deactivate", "get", {}),
    Act("account_deactivate", "post", {}),
    Act("account_reactivate", "post", {}),
    Act("account_throttles_lift", "post", {}, account_wide=False),
]
WRITES = (
    "activation_code.issue",
    "account.code_reissue",
    "account.password_change_demand",
    "account.deactivate",
    "account.reactivate",
    "account.throttles_lift",
)


def _snapshot(account: Account) -> tuple[Any, ...]:
    account.refresh_from_db()
    return (
        account.state,
        account.password,
        account.activation_code_digest,
        account.activation_expires_at,
        account.deactivated_at,
        PasswordChangeDemand.objects.filter(account=account).exists(),
        AuditEvent.objects.filter(target=account, action__in=WRITES).count(),
    )


def _url(act: Act, school: Establishment, account: Account) -> str:
    return reverse(f"console:{act.name}", kwargs={"uai": school.uai, "login": account.login})


def _try(client: Any, act: Act, school: Establishment, account: Account) -> Any:
    return getattr(client, act.method)(_url(act, school, account), act.data)


def _refused_everything(
    client: Any, school: Establishment, account: Account, *, acts: list[Act], visible: bool
) -> None:
    before = _snapshot(account)
    detail = reverse("console:account_detail", kwargs={"uai": school.uai, "login": account.login})
    for act in acts:
        response = _try(client, act, school, account)
        if visible:
            # A member of the school out of reach: back to their page, which says why.
            assert response.status_code == 302, (act, response.status_code)
            assert response["Location"] == detail
        else:
            assert response.status_code == 404, (act, response.status_code)
        assert _snapshot(account) == before, act
    assert mail.outbox == []


@pytest.fixture
def grafted(school: Establishment, other_school: Establishment) -> dict[str, Account]:
    """People who are out of the administrator's reach although they hold a membership of
    the school (a teacher's, as an import could graft before issue 11)."""
    operator = make_person(
        other_school, "olivier.operateur", profile="personnel", state=Account.State.ACTIVE
    )
    Account.objects.filter(pk=operator.pk).update(is_staff=True)
    superuser = make_person(
        other_school, "sonia.super", profile="personnel", state=Account.State.ACTIVE
    )
    Account.objects.filter(pk=superuser.pk).update(is_superuser=True)
    other_admin = make_person(
        other_school,
        "paul.direction",
        profile="personnel",
        state=Account.State.ACTIVE,
        is_local_admin=True,
    )
    people = {"operator": operator, "superuser": superuser, "other_admin": other_admin}
    for account in people.values():
        make_person(school, account.login, profile=Membership.Profile.TEACHER)
        account.refresh_from_db()
    return people


def test_another_schools_pupil_is_404_for_every_action(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    pupil = make_person(other_school, "hugo.bernard", classes=["2nde1"])
    _refused_everything(admin_client, school, pupil, acts=ACTS, visible=False)


def test_someone_whose_membership_has_ended_is_404_for_every_action(
    admin_client: Any, school: Establishment
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    gone = make_person(school, "ines.partie", classes=["3A"], end_date=yesterday)
    _refused_everything(admin_client, school, gone, acts=ACTS, visible=False)
    active_gone = make_person(
        school, "marc.parti", classes=["3A"], end_date=yesterday, state=Account.State.ACTIVE
    )
    _refused_everything(admin_client, school, active_gone, acts=ACTS, visible=False)


@pytest.mark.parametrize("kind", ["operator", "superuser", "other_admin"])
def test_operators_superusers_and_other_schools_admins_are_out_of_reach(
    admin_client: Any, school: Establishment, grafted: dict[str, Account], kind: str
) -> None:
    account = grafted[kind]
    _refused_everything(admin_client, school, account, acts=ACTS, visible=True)
    page = admin_client.get(
        reverse("console:account_detail", kwargs={"uai": school.uai, "login": account.login})
    ).content.decode()
    # The page shows no button that would be refused, and says whom to ask.
    assert "Émettre un nouveau code" not in page
    assert "Désactiver le compte" not in page
    assert "administrateur ENT" in page


def test_an_active_account_shared_with_another_school_needs_the_operator(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    parent = make_person(
        school, "nathalie.moreau", profile="responsable", state=Account.State.ACTIVE
    )
    make_person(other_school, parent.login, profile="responsable")
    parent.set_password("Ancien+Secret42")
    parent.save()
    _refused_everything(
        admin_client, school, parent, acts=[a for a in ACTS if a.account_wide], visible=True
    )
    page = admin_client.get(
        reverse("console:account_detail", kwargs={"uai": school.uai, "login": parent.login})
    ).content.decode()
    assert "Lycée du Parc" in page and "administrateur ENT" in page
    # Lifting throttles stays within reach: it takes nothing from anyone.
    lift = Act("account_throttles_lift", "post", {}, account_wide=False)
    assert _try(admin_client, lift, school, parent).status_code == 302
    assert AuditEvent.objects.filter(target=parent, action="account.throttles_lift").exists()


def test_a_pending_account_another_school_registered_first_keeps_its_letter(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    parent = make_person(other_school, "julie.durand", profile="responsable")
    Membership.objects.filter(account=parent).update(
        start_date=timezone.localdate() - timedelta(days=30)
    )
    make_person(school, parent.login, profile="responsable")  # added later, here
    _refused_everything(
        admin_client, school, parent, acts=[a for a in ACTS if a.account_wide], visible=True
    )


def test_the_first_school_of_a_shared_pending_account_still_gives_its_letter(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    parent = make_person(school, "julie.durand", profile="responsable")
    Membership.objects.filter(account=parent).update(
        start_date=timezone.localdate() - timedelta(days=30)
    )
    make_person(other_school, parent.login, profile="responsable")
    response = admin_client.post(
        reverse("console:account_reissue", kwargs={"uai": school.uai, "login": parent.login}),
        {"delivery": "letter"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_letters_leave_out_pending_people_another_school_registered_first(
    admin_client: Any, school: Establishment, other_school: Establishment
) -> None:
    theirs = make_person(other_school, "julie.durand", profile="responsable")
    Membership.objects.filter(account=theirs).update(
        start_date=timezone.localdate() - timedelta(days=30)
    )
    make_person(school, theirs.login, profile="responsable")
    ours = make_person(school, "paul.martin", profile="responsable")
    before = _snapshot(theirs)
    response = admin_client.post(
        reverse("console:letters", kwargs={"uai": school.uai}),
        {"profile": "guardian", "school_class": ""},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _snapshot(theirs) == before
    ours.refresh_from_db()
    assert ours.activation_code_digest
    page = admin_client.get(reverse("console:letters", kwargs={"uai": school.uai}))
    text = page.content.decode().replace("&#x27;", "'")
    assert "1 personne en attente d'activation est aussi rattachée" in text


def test_the_operator_does_through_the_console_what_a_school_may_not(
    client: Any, school: Establishment, other_school: Establishment
) -> None:
    operator = Account.objects.create_user(
        "olivier.operateur",
        first_name="Olivier",
        last_name="Opérateur",
        is_staff=True,
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    parent = make_person(
        school, "nathalie.moreau", profile="responsable", state=Account.State.ACTIVE
    )
    make_person(other_school, parent.login, profile="responsable")
    client.force_login(operator)
    home = client.get(reverse("console:home")).content.decode()
    assert school.name in home and other_school.name in home
    url = reverse("console:account_reissue", kwargs={"uai": school.uai, "login": parent.login})
    response = client.post(url, {"delivery": "letter"})
    assert response["Content-Type"] == "application/pdf"
    parent.refresh_from_db()
    assert parent.state == Account.State.PROVISIONED
    event = AuditEvent.objects.get(target=parent, action="account.code_reissue")
    assert event.actor == operator
