"""``{% demo_mode as on %}``: whether this is the demo (its banner, in base.html)."""

from django import template

from preau.conf import preau_setting

register = template.Library()


@register.simple_tag
def demo_mode() -> bool:
    return bool(preau_setting("DEMO"))
