"""Each device's request budget: past ``DEVICE_REQUESTS`` bearer requests in a window, the
device is answered 429 in the documented shape with Retry-After until the next window; the
other devices, behind the same address, are not slowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests.mobile.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_budget(settings: Any) -> None:
    # A deployment may set only some keys of MOBILE: the others keep their defaults.
    settings.PREAU = {**settings.PREAU, "MOBILE": {"DEVICE_REQUESTS": 3}}


@pytest.mark.usefixtures("small_budget")
def test_a_device_past_its_budget_waits_for_the_next_window(
    api: Api, paired: Callable[[], dict[str, Any]]
) -> None:
    start = timezone.now().replace(second=5, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        tokens = paired()
        access, other = tokens["access_token"], paired()["access_token"]
        assert tokens["expires_in"] == 600  # the other lifetimes keep their defaults
        assert [api.get("/me", access).status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get("/preferences", access)
        assert refused.status_code == 429
        body = refused.json()
        assert body == {
            "error": "too_many_requests",
            "message": "Trop de requêtes depuis cet appareil\u00a0: réessayez dans 55 secondes.",
        }
        assert refused.headers["Retry-After"] == "55"
        # Every endpoint with a token counts, and the refusal is not a way round it.
        assert api.post("/logout", access).status_code == 429
        # Another device of the same person, from the same address, is not slowed.
        assert api.get("/me", other).status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=55), tick=False):
        assert api.get("/me", access).status_code == 200


@pytest.mark.usefixtures("small_budget")
def test_pairing_and_wrong_tokens_do_not_spend_a_devices_budget(
    api: Api, paired: Callable[[], dict[str, Any]]
) -> None:
    access = paired()["access_token"]
    for _ in range(5):
        assert api.get("/me", "pma_not-a-token").status_code == 401
        paired()
    assert [api.get("/me", access).status_code for _ in range(4)] == [200, 200, 200, 429]
