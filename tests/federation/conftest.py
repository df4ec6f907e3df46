"""FranceConnect fixtures: one test provider per module (Node's oidc-provider on loopback) whose
client accepts the Django test client's Préau (http://testserver), and the settings naming it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.federation.op import TestFranceConnect
from tests.federation.saml_idp import TestEduConnect


@pytest.fixture(scope="module")
def fc_provider() -> Iterator[TestFranceConnect]:
    provider = TestFranceConnect(["http://testserver"])
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def franceconnect(settings: Any, fc_provider: TestFranceConnect) -> TestFranceConnect:
    """FranceConnect configured in Préau (the settings), the provider running."""
    settings.PREAU = {**settings.PREAU, **fc_provider.settings()}
    return fc_provider


@pytest.fixture(scope="module")
def ec_provider() -> Iterator[TestEduConnect]:
    """The test EduConnect (SimpleSAMLphp) for Django's test client's Préau."""
    provider = TestEduConnect("http://testserver")
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def educonnect(settings: Any, ec_provider: TestEduConnect) -> TestEduConnect:
    """EduConnect configured in Préau (the settings), the IdP running."""
    settings.PREAU = {**settings.PREAU, **ec_provider.settings()}
    return ec_provider
