"""Template filters and tags of the console."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Audit actions as an administrateur local reads them; an unknown one is shown as it is.
AUDIT_ACTIONS = {
    "account.activate": _("Compte activé"),
    "account.create": _("Compte créé"),
    "account.deactivate": _("Compte désactivé"),
    "account.delete": _("Compte supprimé"),
    "account.update": _("Compte modifié"),
    "activation_code.issue": _("Code d’activation émis"),
    "charter.accept": _("Charte acceptée"),
    "email_verification.confirm": _("Adresse électronique vérifiée"),
    "email_verification.send": _("Lien de vérification envoyé"),
    "import.run": _("Import"),
    "letters.print": _("Courrier imprimé"),
    "local_admin.grant": _("Nommé administrateur local"),
    "local_admin.revoke": _("N’est plus administrateur local"),
    "membership.end": _("Départ de l’établissement"),
    "session.expire": _("Session expirée"),
    "signin.failure": _("Échec de connexion"),
    "signin.success": _("Connexion"),
    "signin.throttled": _("Connexion ralentie après des échecs"),
}


@register.filter
def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


class _TableNode(template.Node):
    def __init__(
        self,
        caption: FilterExpression,
        columns: list[FilterExpression],
        modifier: str,
        body: NodeList,
    ) -> None:
        self.caption, self.columns, self.modifier, self.body = caption, columns, modifier, body

    def render(self, context: template.Context) -> str:
        return get_template("console/_table.html").render(
            {
                "caption": self.caption.resolve(context),
                "columns": [column.resolve(context) for column in self.columns],
                "modifier": self.modifier,
                # The body is this template's own output, escaped as it was rendered.
                "body": mark_safe(self.body.render(context)),  # noqa: S308
            }
        )


@register.tag("table")
def table(parser: Parser, token: Token) -> Any:
    """A DSFR table with its caption (read by screen readers, hidden on screen) and column
    headings; the body (``<tbody>``, a ``<tfoot>``) is written between the tags::

        {% table _("Derniers événements") _("Date") _("Action") %}
          <tbody>…</tbody>
        {% endtable %}

    ``modifier=no-caption-top`` as the last argument changes the DSFR modifier (default
    ``no-caption``)."""
    bits = token.split_contents()[1:]
    modifier = "no-caption"
    if bits and bits[-1].startswith("modifier="):
        modifier = bits.pop().removeprefix("modifier=")
    if len(bits) < 2:  # noqa: PLR2004 - a caption and at least one column
        raise template.TemplateSyntaxError("{% table %} needs a caption and column headings")
    body = parser.parse(("endtable",))
    parser.delete_first_token()
    caption, *columns = (parser.compile_filter(bit) for bit in bits)
    return _TableNode(caption, columns, modifier, body)
