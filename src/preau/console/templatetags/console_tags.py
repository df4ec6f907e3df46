"""Template filters and tags of the console."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from preau.audit.labels import AUDIT_ACTION_LABELS, audit_action_label, delivery_label
from preau.notify.phones import mobile_display
from preau.provisioning.imports import FIELD_LABELS
from preau.recovery.models import HelpRequest

register = template.Library()

# Labels of the audit events (one table for every action the code writes).
AUDIT_ACTIONS = AUDIT_ACTION_LABELS

# What a detail of an event says, for the keys worth showing to a school.
_PASSWORD_REASONS = {
    "activation": _("à la première connexion"),
    "recovery": _("après un mot de passe oublié"),
    "change": _("depuis Mon compte"),
}
_DEACTIVATION_REASONS = {
    "activation_deadline": _("date limite d’activation dépassée"),
    "never_activated": _("jamais activé"),
}


@register.filter
def audit_action(action: str) -> str:
    return audit_action_label(action)


@register.filter
def audit_detail(event: Any) -> str:
    """A short French detail of ``event`` (how a code was handed over, which fields an import
    changed…), or "" when there is nothing a school needs to read."""
    data = event.data if isinstance(getattr(event, "data", None), dict) else {}
    action = getattr(event, "action", "")
    parts: list[str] = []
    if action == "account.code_reissue" and data.get("delivery"):
        parts.append(delivery_label(str(data["delivery"])))
    elif action == "help_request.status":
        statuses = dict(HelpRequest.Status.choices)
        if data.get("to") in statuses:
            parts.append(str(statuses[data["to"]]))
        if data.get("resolution"):
            parts.append(delivery_label(str(data["resolution"])))
    elif action == "account.update" and data.get("fields"):
        parts.append(", ".join(str(FIELD_LABELS.get(f, f)) for f in data["fields"]))
    elif action == "account.password.set" and data.get("reason") in _PASSWORD_REASONS:
        parts.append(str(_PASSWORD_REASONS[data["reason"]]))
    elif action == "account.deactivate" and data.get("reason") in _DEACTIVATION_REASONS:
        parts.append(str(_DEACTIVATION_REASONS[data["reason"]]))
    return " ; ".join(parts)


@register.filter
def delivery(value: str) -> str:
    """How a new code was handed over (a help request's ``resolution``), in French."""
    return delivery_label(value)


@register.filter
def phone(e164: str) -> str:
    """A mobile number as people read it (``06 12 34 56 78``)."""
    return mobile_display(e164 or "")


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
