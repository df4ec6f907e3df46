"""``{% table %}``: the console's DSFR tables, caption and column headings written once."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError


def test_a_table_has_its_caption_headings_and_body() -> None:
    html = Template(
        '{% load console_tags %}{% table _("Comptes") heading _("État") %}'
        "<tbody><tr><td>{{ name }}</td><td>actif</td></tr></tbody>{% endtable %}"
    ).render(Context({"heading": "Nom <b>", "name": "Léa & Marc"}))
    assert '<div class="fr-table fr-table--no-caption">' in html
    assert "<caption>Comptes</caption>" in html
    assert '<th scope="col">Nom &lt;b&gt;</th>' in html  # escaped like any variable
    assert '<th scope="col">État</th>' in html
    assert "<tbody><tr><td>Léa &amp; Marc</td><td>actif</td></tr></tbody>" in html
    assert html.index("</thead>") < html.index("<tbody>") < html.index("</table>")


def test_the_modifier_and_a_missing_heading() -> None:
    html = Template(
        '{% load console_tags %}{% table _("C") _("A") modifier=no-caption-top %}{% endtable %}'
    ).render(Context())
    assert "fr-table--no-caption-top" in html
    with pytest.raises(TemplateSyntaxError):
        Template('{% load console_tags %}{% table _("C") %}{% endtable %}')
