"""A merge of accounts (preau.directory.merges) takes B's FranceConnect identities to A, and the
operator's undo brings them back."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from preau.directory.merges import account_merge, account_merge_undo
from preau.directory.models import Account, Establishment, Membership
from preau.federation.models import FederatedIdentity
from tests.factories import PASSWORD, account_factory

pytestmark = pytest.mark.django_db


def test_identities_move_with_a_merge_and_back_with_its_undo(establishment: Establishment) -> None:
    other_school = Establishment.objects.create(uai="0690026D", name="Collège", kind="college")
    guardian = Membership.Profile.GUARDIAN
    a = account_factory(state=Account.State.ACTIVE, establishment=establishment, profile=guardian)
    b = account_factory(state=Account.State.ACTIVE, establishment=other_school, profile=guardian)
    identity = FederatedIdentity.objects.create(
        provider="franceconnect", subject="sub-b", account=b, linked_at=timezone.now()
    )
    record = account_merge(source=b, target=a, actor=a)
    identity.refresh_from_db()
    assert identity.account == a
    assert record.moved["federated_identities"] == [identity.pk]

    operator: Any = Account.objects.create_superuser("ope.rateur", PASSWORD)
    account_merge_undo(merge=record, actor=operator)
    identity.refresh_from_db()
    assert identity.account == b
