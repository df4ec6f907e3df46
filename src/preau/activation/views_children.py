"""The ``CONFIRM_CHILDREN`` required action: before any page or service, a guardian whose
account has children waiting for confirmation types each one's birth date, or says "je ne
suis pas responsable légal de cet élève". No "later": refusing is always possible. A pending
child is shown by its first name and establishment only (the school gave the link to this
guardian; nothing more until the date is right)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from preau.activation.children import Done, children_answer, children_done_message
from preau.activation.selectors import Action
from preau.activation.views import (
    _account,
    _continue,
    _pending_or_continue,
    _step_context,
    journey_page,
)
from preau.directory.selectors import children_to_confirm


@journey_page
@require_http_methods(["GET", "POST"])
def children_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = _pending_or_continue(request, Action.CONFIRM_CHILDREN)
    if pending is None:
        return _continue()
    links = children_to_confirm(account)
    page = children_answer(request, account, links)
    if page.done is not None:
        level = messages.SUCCESS if page.done is Done.CONFIRMED else messages.INFO
        messages.add_message(request, level, children_done_message(page))
        return redirect("activation:children")
    context = {
        **_step_context(request, Action.CONFIRM_CHILDREN, pending),
        "links": links,
        "refusing": page.refusing,
        "children_items": [(link, page.forms[link.pk]) for link in links],
    }
    response = render(request, "activation/children.html", context, status=page.status)
    if page.wait:
        response["Retry-After"] = str(page.wait)
    return response
