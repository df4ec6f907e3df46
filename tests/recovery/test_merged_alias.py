"""A merged login in "mot de passe oublié" (issue 14, part 3): while its alias lives it
recovers the account it went into; retired, it recovers nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from preau.directory.merges import account_merge, merge_aliases_retire
from preau.directory.models import Account, Establishment, Membership
from preau.recovery import services, tokens
from preau.recovery.models import PasswordReset
from tests.factories import account_factory

pytestmark = pytest.mark.django_db


def _ask(login: str) -> str:
    result = services.recovery_request_submit(
        kind="password", query=services.query_parse(login), handle=tokens.token_new()
    )
    assert result.request_id is not None
    return services.recovery_request_process(request_id=result.request_id)


def test_a_merged_login_recovers_the_kept_account(
    pupil: Account, establishment: Establishment, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    other = account_factory(establishment=establishment, profile=Membership.Profile.GUARDIAN)
    record = account_merge(source=other, target=pupil, actor=pupil)
    assert _ask(other.login) == "sent"
    reset = PasswordReset.objects.get()
    assert reset.account_id == pupil.pk
    with time_machine.travel(record.alias_until + timedelta(days=1), tick=False):
        merge_aliases_retire()
        _ask(other.login)
    assert PasswordReset.objects.count() == 1
