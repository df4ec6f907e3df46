"""``{% load french %}``: the rules of :mod:`preau.french` as template filters.

``{{ child.first_name|de }}`` gives « d’Arthur » or « de Zoé »; ``{{ charter.body|paragraphs }}``
gives the text's paragraphs as ``<p>`` elements (split at blank lines only), escaped."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from preau import french

register = template.Library()


@register.filter
def de(name: object) -> str:
    return french.de(str(name or ""))


@register.filter(is_safe=True)
def paragraphs(text: object) -> SafeString:
    parts = (
        "<p>" + "<br>".join(escape(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in french.paragraphs(str(text or ""))
    )
    # Every piece of the text was escaped above.
    return mark_safe("\n".join(parts))  # noqa: S308
