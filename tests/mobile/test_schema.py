"""schemathesis against the published schema: a few generated requests per operation, with a
live bearer token, find no server error, no status and no body outside the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.mobile.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_schema_is_published(api: Api, db: Any) -> None:
    answer = requests.get(api.url("/openapi.json"), timeout=10)
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        f"/api/mobile/v1{p}"
        for p in (
            "/activation",
            "/pairing",
            "/token",
            "/me",
            "/services",
            "/web-link",
            "/preferences",
            "/logout",
        )
    }


def test_generated_requests_find_no_server_error(
    api: Api,
    live_server: Any,
    settings: Any,
    cas_service: Any,
    paired: Callable[[], dict[str, Any]],
) -> None:
    token = paired()["access_token"]
    # Generated wrong codes, and the device's many requests, would soon be slowed down (429,
    # tested elsewhere): not here.
    throttles = {"mobile.failure.address": {"limit": 10_000, "window": 60, "max_delay": 1}}
    budget = {"DEVICE_REQUESTS": 10_000}
    settings.PREAU = {**settings.PREAU, "THROTTLES": throttles, "MOBILE": budget}
    schema = schemathesis.openapi.from_url(api.url("/openapi.json"))
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/logout"):
            continue  # it would end the device of the other operations (tested on its own)

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            # The generated requests carry the live token (schemathesis would make one up).
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call(base_url=live_server.url)
            calls.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001 - collected, reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 7 * 5, calls  # a few requests for each operation
    assert 200 in calls
