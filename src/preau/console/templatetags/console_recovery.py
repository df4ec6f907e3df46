"""``{% account_actions account establishment %}``: the actions block of an account's page
(new code, password change, deactivation or reactivation, throttles), with what holds now."""

from __future__ import annotations

from typing import Any

from django import template

from preau.directory import transitions
from preau.directory.scope import ConsoleAction, scope_refusal
from preau.recovery import helpdesk, selectors

register = template.Library()


@register.inclusion_tag("console/_account_actions.html", takes_context=True)
def account_actions(context: Any, account: Any, establishment: Any) -> dict[str, Any]:
    from preau.console.views_actions import THROTTLE_LABELS

    request = context["request"]
    throttles = [
        (THROTTLE_LABELS.get(scope, scope), wait)
        for scope, wait in helpdesk.account_throttles_active(account)
    ]
    return {
        "account": account,
        "establishment": establishment,
        "csrf_token": context.get("csrf_token"),
        "throttles": throttles,
        "password_demanded": selectors.password_change_demanded(account),
        "can_reactivate": transitions.account_can_reactivate(account),
        "help_requests": selectors.help_requests_open_for(
            actor=request.user, establishment=establishment, account=account
        ),
        "is_self": getattr(request.user, "pk", None) == account.pk,
        # Why the acts on the whole account are out of this administrator's reach, if they are
        # (the same rule refuses them when posted).
        "refusal": scope_refusal(
            actor=request.user,
            account=account,
            establishment=establishment,
            action=ConsoleAction.REISSUE,
        ),
        "lift_refusal": scope_refusal(
            actor=request.user,
            account=account,
            establishment=establishment,
            action=ConsoleAction.THROTTLES_LIFT,
        ),
    }
