""" "Mes enfants" in "Mon compte": the guardian's current children with their establishment
and class, and the state of each link (confirmed, to confirm, frozen while the school checks);
a child waiting for confirmation has its birth-date form and "je ne suis pas responsable
légal de cet élève" (the same answers as the ``CONFIRM_CHILDREN`` required action, through
:mod:`preau.activation.children`). Refused children are not listed; a pending child is shown
by its first name and establishment only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from preau.activation.children import Done, children_answer, children_done_message
from preau.activation.middleware import required_actions_forget
from preau.directory.models import Account, Guardianship
from preau.directory.selectors import children_of


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def children_view(request: HttpRequest) -> HttpResponse:
    account = request.user
    if not isinstance(account, Account):
        raise PermissionDenied
    children = children_of(account)
    pending = [
        child.guardianship
        for child in children
        if child.confirmation == Guardianship.Confirmation.PENDING
        and child.student.birth_date is not None
    ]
    page = children_answer(request, account, pending)
    if page.done is not None:
        level = messages.SUCCESS if page.done is Done.CONFIRMED else messages.INFO
        messages.add_message(request, level, children_done_message(page))
        required_actions_forget(request.session)  # the required action may be over
        return redirect("account:children")
    context = {
        "section": "children",
        "has_children": True,
        "children": [(child, page.forms.get(child.guardianship.pk)) for child in children],
        "refusing": page.refusing,
    }
    response = render(request, "account/children.html", context, status=page.status)
    if page.wait:
        response["Retry-After"] = str(page.wait)
    return response
