"""Template filters for messages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_fr(value: timedelta | int | None) -> str:
    """A validity as people say it: ``timedelta(hours=24)`` → "24 heures", 7 days → "7 jours".

    An int is taken as seconds. The largest unit that divides the duration exactly is used, so
    "90 minutes" stays "90 minutes" rather than becoming an imprecise "1 heure".
    """
    if value is None:
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    day, hour, minute = 86400, 3600, 60
    if seconds >= 2 * day and seconds % day == 0:
        n = seconds // day
        return ngettext("%(n)d jour", "%(n)d jours", n) % {"n": n}
    if seconds >= hour and seconds % hour == 0:
        n = seconds // hour
        return ngettext("%(n)d heure", "%(n)d heures", n) % {"n": n}
    n = max(1, round(seconds / minute))
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
