"""``manage.py check`` refuses a REQUIRED_ACTIONS or PASSWORD_POLICY that cannot work."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def check_first_connection_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from preau.activation.selectors import required_actions_config
    from preau.signin.password_policy import password_policy

    errors: list[Any] = []
    for label, load in (
        ("preau.E401", required_actions_config),
        ("preau.E402", password_policy),
    ):
        try:
            load()
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id=label))
    return errors
