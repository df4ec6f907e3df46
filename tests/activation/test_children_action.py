"""CONFIRM_CHILDREN is derived for everyone, never configured (issue 14, part 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from preau.activation.selectors import required_actions_steps_config


def test_confirm_children_cannot_be_configured(settings: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "REQUIRED_ACTIONS": {"responsable": ["ACCEPT_CHARTER", "CONFIRM_CHILDREN"]},
    }
    with pytest.raises(ImproperlyConfigured, match="CONFIRM_CHILDREN"):
        required_actions_steps_config()
