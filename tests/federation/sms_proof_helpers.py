"""A parent's proof by SMS before a federated link, driven with Django's test client: a family
the school imported (a guardian with a mobile, two children with birth dates in two
establishments), the proof's pages and what "nothing happened" means."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from preau.activation.models import SignUp
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import Move, accounts_transition
from preau.federation.models import FederatedIdentity
from tests.factories import account_factory
from tests.notify.sms_gateway import SmsGateway

MOBILE = "+33612345678"
TYPED_MOBILE = "06 12 34 56 78"
BIRTH_LEA = dt.date(2011, 7, 14)
BIRTH_TOM = dt.date(2014, 2, 3)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

Run = Callable[..., Any]


def family(
    *,
    first: str,
    last: str,
    state: str = Account.State.ACTIVE,
    mobile: str = MOBILE,
    mobile_verified: bool | None = None,
) -> Account:
    """A guardian of Léa (a collège) and Tom (a primary school), with this mobile; an ACTIVE
    one proved it (``mobile_verified``, by default), as the SMS proof then requires."""
    college, _ = Establishment.objects.get_or_create(
        uai="0750654D", defaults={"name": "Collège Victor-Hugo"}
    )
    school, _ = Establishment.objects.get_or_create(
        uai="0750001A", defaults={"name": "École Jules-Ferry", "kind": "ecole"}
    )
    guardian = account_factory(
        state=state,
        establishment=college,
        profile=Membership.Profile.GUARDIAN,
        first_name=first,
        last_name=last,
        mobile=mobile,
    )
    if state == Account.State.ACTIVE if mobile_verified is None else mobile_verified:
        guardian.mobile_verified_at = timezone.now()
        guardian.save(update_fields=["mobile_verified_at"])
    Membership.objects.create(
        account=guardian,
        establishment=school,
        profile=Membership.Profile.GUARDIAN,
        school_year=2024,
    )
    for establishment, child_first, birth in (
        (college, "Léa", BIRTH_LEA),
        (school, "Tom", BIRTH_TOM),
    ):
        child = account_factory(
            establishment=establishment, first_name=child_first, last_name=last, birth_date=birth
        )
        # An import gives an active guardian's new links to confirm; a provisioned one's are.
        Guardianship.objects.create(
            guardian=guardian,
            student=child,
            establishment=establishment,
            confirmation=Guardianship.Confirmation.PENDING
            if state == Account.State.ACTIVE
            else Guardianship.Confirmation.CONFIRMED,
        )
    return guardian


def ask(
    run: Run, client: Client, provider: str, last: str, first: str, *, mobile: str = TYPED_MOBILE
) -> Any:
    """The proof's first form (its task and SMS run, as after a committed request)."""
    return run(
        client.post,
        f"/{provider}/lier/sms",
        {"last_name": last, "first_name": first, "mobile": mobile},
    )


def send_code(client: Client, provider: str, code: str) -> Any:
    return client.post(f"/{provider}/lier/sms/code", {"code": code})


def dates(client: Client, provider: str, guardian: Account, *answers: str) -> Any:
    rows = Guardianship.objects.filter(guardian=guardian).order_by(
        "student__first_name", "student_id"
    )
    return client.post(
        f"/{provider}/lier/sms/enfants",
        {f"child_{g.pk}": answer for g, answer in zip(rows, answers, strict=True)},
    )


def prove(
    run: Run,
    client: Client,
    gateway: SmsGateway,
    provider: str,
    guardian: Account,
    *,
    dates_typed: tuple[str, str] = ("14/07/2011", "03/02/2014"),
) -> Any:
    """The whole proof, right answers: the last page's response."""
    response = ask(run, client, provider, guardian.last_name, guardian.first_name)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == f"/{provider}/lier/sms/code"
    response = send_code(client, provider, gateway.code_sent_to(MOBILE))
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == f"/{provider}/lier/sms/enfants"
    return run(dates, client, provider, guardian, *dates_typed)


def nothing_linked(guardian: Account) -> None:
    """Nothing of the account changed and no identity is linked."""
    assert not FederatedIdentity.objects.filter(account=guardian).exists()
    before = guardian.mobile_verified_at
    guardian.refresh_from_db()
    assert guardian.mobile_verified_at == before
    assert not Guardianship.objects.filter(
        guardian=guardian, confirmation_changed_at__isnull=False
    ).exists()


def deactivate(account: Account) -> None:
    accounts_transition(
        move=Move.DEACTIVATE, accounts=[account], actor=None, action="account.deactivate"
    )


def the_proof() -> SignUp:
    return SignUp.objects.get(purpose=SignUp.Purpose.LINK)
