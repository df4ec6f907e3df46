"""``{% load signup_tags %}``: whether a sign-in choice offers the sign-up by SMS."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from preau.conf import preau_setting
from preau.directory.models import Membership

register = template.Library()


@register.filter
def signup_offered(profiles: Iterable[str] | None) -> bool:
    """True for the parents' choice (its profiles include ``responsable``) when the deployment
    offers the sign-up (``PREAU["SIGNUP_ENABLED"]``): "Je n'ai pas de compte"."""
    return bool(preau_setting("SIGNUP_ENABLED")) and Membership.Profile.GUARDIAN in (profiles or ())
