"""The lifecycle rule of merges (issue 14, part 3): a merged login stops signing in at the
end of the school year after the merge; a merged account is never deleted by a rule."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from preau.directory.merges import account_merge
from preau.directory.models import Account, AccountMerge, Establishment, Membership
from preau.signin.backends import Verdict, credentials_verify
from tests.factories import PASSWORD, account_factory

pytestmark = pytest.mark.django_db


def test_the_alias_is_retired_by_the_lifecycle_and_the_merged_account_kept(
    establishment: Establishment,
) -> None:
    a = account_factory(state=Account.State.ACTIVE, establishment=establishment)
    b = account_factory(establishment=establishment, profile=Membership.Profile.GUARDIAN)
    record = account_merge(source=b, target=a, actor=a)
    out = io.StringIO()
    call_command("lifecycle", stdout=out)
    assert "Identifiants de comptes fusionnés retirés (fin de l'année scolaire) : 0" in (
        out.getvalue()
    )
    assert credentials_verify(b.login, PASSWORD).account == a
    with time_machine.travel(record.alias_until + timedelta(days=400), tick=False):
        dry = io.StringIO()
        call_command("lifecycle", "--dry-run", stdout=dry)
        assert "Identifiants de comptes fusionnés qui seraient retirés : 1" in dry.getvalue()
        call_command("lifecycle", stdout=io.StringIO())
        assert credentials_verify(b.login, PASSWORD).verdict == Verdict.MERGED
        # Never activated, long past a year: still there, its login reserved.
        assert Account.objects.filter(pk=b.pk, state=Account.State.MERGED).exists()
    assert AccountMerge.objects.get().alias_retired_at is not None
