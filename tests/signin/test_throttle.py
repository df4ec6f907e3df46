"""Growing delays per identifier and per address, with time travel instead of sleeping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.signin import throttle
from preau.signin.throttle import (
    throttle_check,
    throttle_check_many,
    throttle_delay,
    throttle_fail,
    throttle_reset,
    throttle_scope,
    wait_message,
)
from tests.signin.conftest import LOGIN_URL, PASSWORD, Argon2Spy, parse_form, parse_page

START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def traveller() -> Any:
    with time_machine.travel(START, tick=False) as machine:
        yield machine


def _post(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


# --- the module -----------------------------------------------------------------------------


def test_delays_start_at_the_limit_double_and_stop_at_the_cap() -> None:
    scope = throttle_scope("signin.account")
    assert (scope.limit, scope.window, scope.max_delay) == (5, 900, 300)
    delays = [throttle_delay(scope, n) for n in range(1, 15)]
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert throttle_delay(scope, 10_000) == 300


def test_a_scope_can_be_added_in_settings(settings: Any, traveller: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "THROTTLES": {"activation.birth_date": {"limit": 3, "window": 60, "max_delay": 10}},
    }
    for _ in range(2):
        assert throttle_fail("activation.birth_date", "42") == 0
    assert throttle_fail("activation.birth_date", "42") == 2
    assert throttle_check("activation.birth_date", "42") == 2
    # The defaults of the other scopes stay available.
    assert throttle_scope("signin.account").limit == 5
    with pytest.raises(KeyError, match="unknown throttle scope"):
        throttle_check("nope", "x") or throttle_fail("nope", "x")


def test_fail_check_and_reset_on_one_key(traveller: Any) -> None:
    for _ in range(4):
        assert throttle_fail("signin.account", "jean.dupont") == 0
        assert throttle_check("signin.account", "jean.dupont") == 0
    assert throttle_fail("signin.account", "jean.dupont") == 2
    assert throttle_check("signin.account", "jean.dupont") == 2
    assert throttle_check("signin.account", "jean.dupond") == 0, "other keys are untouched"
    assert throttle_check("signin.address", "jean.dupont") == 0, "other scopes too"
    traveller.shift(1)
    assert throttle_check("signin.account", "jean.dupont") == 1
    traveller.shift(1)
    assert throttle_check("signin.account", "jean.dupont") == 0
    assert throttle_fail("signin.account", "jean.dupont") == 4
    throttle_reset("signin.account", "jean.dupont")
    assert throttle_check("signin.account", "jean.dupont") == 0
    assert throttle_fail("signin.account", "jean.dupont") == 0


def test_several_keys_are_checked_in_one_call(traveller: Any) -> None:
    for _ in range(5):
        throttle_fail("signin.account", "jean.dupont")
    pairs = [("signin.account", "jean.dupont"), ("signin.address", "10.0.0.1")]
    assert throttle_check_many(pairs) == [2, 0]
    traveller.shift(1)
    assert throttle_check_many(pairs) == [1, 0]
    assert throttle_check_many([]) == []


def test_the_count_is_forgotten_a_window_after_the_last_failure(traveller: Any) -> None:
    for _ in range(4):
        throttle_fail("signin.account", "jean.dupont")
    traveller.shift(14 * 60)
    assert throttle_fail("signin.account", "jean.dupont") == 2, "still within the window"
    traveller.shift(15 * 60 + 1)
    assert throttle_check("signin.account", "jean.dupont") == 0
    assert throttle_fail("signin.account", "jean.dupont") == 0, "a quiet window started afresh"


def test_the_cache_never_holds_the_raw_key(traveller: Any) -> None:
    throttle_fail("signin.account", "jean.dupont")
    throttle_fail("signin.address", "203.0.113.9")
    keys = [str(k) for k in _cache_keys_in_backend()]
    assert keys, "the backend's keys are visible to this test"
    assert not any("jean.dupont" in k or "203.0.113.9" in k for k in keys)
    assert "jean.dupont" not in str(throttle._cache_keys("signin.account", "jean.dupont"))


def _cache_keys_in_backend() -> list[Any]:
    backend = cache._cache  # type: ignore[attr-defined]
    if isinstance(backend, dict):  # LocMemCache
        return list(backend)
    return list(backend.get_client().keys("*throttle*"))  # RedisCache


def test_the_message_says_when_to_try_again_in_french() -> None:
    assert wait_message(30) == "Trop de tentatives\u00a0: réessayez dans 30 secondes."
    assert wait_message(1) == "Trop de tentatives\u00a0: réessayez dans 1 seconde."
    assert wait_message(119) == "Trop de tentatives\u00a0: réessayez dans 119 secondes."
    assert wait_message(256) == "Trop de tentatives\u00a0: réessayez dans 5 minutes."


# --- per identifier, through the page -------------------------------------------------------


@pytest.mark.django_db
def test_five_failures_on_an_identifier_make_the_next_attempt_wait(
    client: Client, active_account: Account, traveller: Any, argon2_spy: Argon2Spy
) -> None:
    for _ in range(5):
        assert _post(client, "claire.martin", "wrong").status_code == 401
    before = argon2_spy.total
    response = _post(client, "claire.martin", PASSWORD)  # right, but too soon
    assert argon2_spy.total == before, "while throttled the password is not even checked"
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    page = parse_page(response.content.decode())
    assert page.ids["signin-error"] == "Trop de tentatives\u00a0: réessayez dans 2 secondes."
    assert parse_form(response.content.decode()).input("username")["value"] == "claire.martin"
    assert SESSION_KEY not in client.session

    traveller.shift(2)
    assert _post(client, "claire.martin", PASSWORD).status_code == 302, "the delay expires"


@pytest.mark.django_db
def test_delays_grow_with_each_failure_up_to_the_cap(
    client: Client, active_account: Account, traveller: Any
) -> None:
    seen = []
    for _ in range(14):
        while (wait := throttle_check("signin.account", "claire.martin")) > 0:
            traveller.shift(wait)
        _post(client, "claire.martin", "wrong")
        seen.append(throttle_check("signin.account", "claire.martin"))
    assert seen == [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    response = _post(client, "claire.martin", PASSWORD)
    assert response.status_code == 429
    assert "réessayez dans 5 minutes" in response.content.decode()
    traveller.shift(300)
    assert _post(client, "claire.martin", PASSWORD).status_code == 302, "never locked for good"


@pytest.mark.django_db
def test_attempts_refused_by_the_throttle_do_not_lengthen_it(
    client: Client, active_account: Account, traveller: Any
) -> None:
    for _ in range(5):
        _post(client, "claire.martin", "wrong")
    for _ in range(20):  # a classmate hammering the form
        assert _post(client, "claire.martin", "wrong").status_code == 429
    assert throttle_check("signin.account", "claire.martin") == 2


@pytest.mark.django_db
def test_a_success_resets_the_identifier_counter(
    client: Client, active_account: Account, traveller: Any
) -> None:
    for _ in range(4):
        _post(client, "claire.martin", "wrong")
    assert _post(client, "claire.martin", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _post(client, "claire.martin", "wrong").status_code == 401
    assert throttle_check("signin.account", "claire.martin") == 0


@pytest.mark.django_db
def test_an_unknown_identifier_is_throttled_like_a_known_one(
    client: Client, traveller: Any
) -> None:
    for _ in range(5):
        _post(client, "ghost.user", "wrong")
    assert _post(client, "ghost.user", "wrong").status_code == 429
    assert _post(client, "GHOST.user ", "wrong").status_code == 429, "the same identifier"


@pytest.mark.django_db
def test_throttled_attempts_are_audited_once_per_delay(
    client: Client, active_account: Account, traveller: Any
) -> None:
    for _ in range(5):
        _post(client, "claire.martin", "wrong", address="198.51.100.4")
    for _ in range(3):
        _post(client, "claire.martin", PASSWORD, address="198.51.100.4")
    events = AuditEvent.objects.filter(action="signin.throttled")
    assert events.count() == 1
    event = events.get()
    assert event.target == active_account
    assert event.ip == "198.51.100.4"
    assert event.data == {"scope": "signin.account", "wait": 2}
    failure = AuditEvent.objects.filter(action="signin.failure").first()
    assert failure is not None
    assert failure.data["throttled_for"] == 2
    traveller.shift(2)
    for _ in range(5):
        _post(client, "claire.martin", "wrong", address="198.51.100.4")
    assert events.count() == 2, "a new delay, a new row"


# --- per address ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_many_identifiers_from_one_address_get_throttled_and_others_do_not(
    client: Client, active_account: Account, traveller: Any
) -> None:
    limit = throttle_scope("signin.address").limit
    for n in range(limit):
        assert _post(client, f"user{n}", "wrong", address="203.0.113.9").status_code == 401
    response = _post(client, "claire.martin", PASSWORD, address="203.0.113.9")
    assert response.status_code == 429
    assert "réessayez dans 2 secondes" in response.content.decode()
    event = AuditEvent.objects.get(action="signin.throttled")
    assert event.data["scope"] == "signin.address"
    assert event.ip == "203.0.113.9"

    # Another address is not concerned, and the identifier itself is not throttled.
    assert _post(Client(), "claire.martin", PASSWORD, address="203.0.113.10").status_code == 302
    traveller.shift(2)
    assert _post(Client(), "claire.martin", PASSWORD, address="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_the_address_budget_is_larger_and_its_cap_shorter(traveller: Any) -> None:
    account, address = throttle_scope("signin.account"), throttle_scope("signin.address")
    assert address.limit > account.limit
    assert address.max_delay <= account.max_delay
    for _ in range(200):
        while (wait := throttle_check("signin.address", "203.0.113.9")) > 0:
            traveller.shift(wait)
        throttle_fail("signin.address", "203.0.113.9")
    assert throttle_check("signin.address", "203.0.113.9") == address.max_delay


@pytest.mark.django_db
def test_delays_are_read_from_stored_times_not_from_cache_expiry(
    active_account: Account,
) -> None:
    """With Redis, time-machine does not move the server's clock: stored times must decide."""
    now = timezone.now()
    with time_machine.travel(now, tick=False) as machine:
        for _ in range(5):
            throttle_fail("signin.account", "claire.martin")
        assert throttle_check("signin.account", "claire.martin") == 2
        machine.shift(dt.timedelta(hours=1))
        assert throttle_check("signin.account", "claire.martin") == 0
