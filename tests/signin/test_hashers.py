"""Passwords are Argon2id with the benchmarked parameters; older hashes are upgraded."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    get_hasher,
    identify_hasher,
    make_password,
)
from django.test import Client

from preau.conf import DEFAULTS
from preau.directory.models import Account
from preau.signin.hashers import PreauArgon2PasswordHasher
from tests.signin.conftest import PASSWORD, sign_in


def _params(encoded: str) -> str:
    # argon2$argon2id$v=19$m=19456,t=3,p=1$salt$hash
    return encoded.split("$")[3]


@pytest.fixture
def real_cost(settings: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        **{k: DEFAULTS[k] for k in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")},
    }


def test_new_passwords_are_argon2id_with_the_chosen_defaults(real_cost: None) -> None:
    encoded = make_password(PASSWORD)
    assert isinstance(get_hasher("default"), PreauArgon2PasswordHasher)
    assert identify_hasher(encoded).algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$v=19$")
    m, t, p = (DEFAULTS[k] for k in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"))
    assert _params(encoded) == f"m={m},t={t},p={p}"
    assert m >= 19 * 1024 and m * t >= 19 * 1024 * 2, "at least OWASP's minimum"


def test_settings_and_conf_agree_on_the_argon2_defaults() -> None:
    import preau.settings  # the module itself: tests.settings makes the cost cheap

    for key in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"):
        if f"PREAU_{key}" not in os.environ:
            assert preau.settings.PREAU[key] == DEFAULTS[key], key


def test_the_cost_follows_settings(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ARGON2_MEMORY_KIB": 2048, "ARGON2_TIME_COST": 3}
    assert _params(make_password(PASSWORD)) == "m=2048,t=3,p=1"


@pytest.mark.django_db
def test_a_hash_with_older_parameters_is_upgraded_at_sign_in(client: Client, settings: Any) -> None:
    old = Argon2PasswordHasher()
    old.memory_cost, old.time_cost, old.parallelism = 512, 1, 1
    account = Account.objects.create_user(
        "marc.petit", last_name="Petit", first_name="Marc", state=Account.State.ACTIVE
    )
    account.password = old.encode(PASSWORD, old.salt())
    account.save(update_fields=["password"])
    assert sign_in(client, "marc.petit", PASSWORD).status_code == 302
    account.refresh_from_db()
    assert _params(account.password) == "m=1024,t=1,p=1"  # the tests' cheap cost
    client.logout()
    assert sign_in(client, "marc.petit", PASSWORD).status_code == 302
