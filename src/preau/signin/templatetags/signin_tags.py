"""``{% signin_choices as wayf %}``: the sign-in choices for the page being drawn (see
:mod:`preau.signin.wayf`). Used by the sign-in template, which the CAS login page extends."""

from __future__ import annotations

from typing import Any

from django import template

from preau.signin.wayf import Wayf, wayf_for_template

register = template.Library()


@register.simple_tag(takes_context=True)
def signin_choices(context: Any) -> Wayf | None:
    return wayf_for_template(context.get("request"))
