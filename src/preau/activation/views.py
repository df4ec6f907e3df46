"""The first connection's pages (thin: parse, call a selector or a service, render).

``activation:continue`` is the entry point: it sends the person to their first pending step,
activates the account when none is left, and ends on the closing page or where they were going
(``?next=``, kept in the session). The CAS and OIDC code sends browsers there too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from preau.activation import services
from preau.activation.email_proof import LinkStatus, email_verification_check
from preau.activation.forms import BirthDateForm, CharterForm, EmailAddressForm
from preau.activation.journey import (
    DONE_KEY,
    FIRST_KEY,
    PLAN_KEY,
    journey_next_pop,
    journey_next_set,
    journey_plan,
    journey_progress,
)
from preau.activation.middleware import (
    required_actions_exempt,
    required_actions_forget,
    required_actions_note,
)
from preau.activation.models import CharterVersion, EmailVerification
from preau.activation.selectors import (
    Action,
    account_profiles,
    action_group,
    birth_date_blocked,
    charter_accepted_before,
    charter_current,
    email_proof_required,
    email_verification_latest,
    journey_of,
    required_actions_configured,
    required_actions_pending,
    required_actions_planned,
    required_actions_steps,
)
from preau.activation.steps import GROUP_TITLE, STEP_TITLES
from preau.activation.submission import FIELD as SUBMISSION_FIELD
from preau.activation.submission import Submission, submission_token
from preau.directory.models import Account, Membership
from preau.notify.preferences import notification_preferences_of
from preau.redirects import safe_next, url_is_local
from preau.signin.forms import ContactForm, SetPasswordForm
from preau.signin.throttle import wait_message

STEP_URLS = {
    Action.ACCEPT_CHARTER: "activation:charter",
    Action.UPDATE_PASSWORD: "activation:password",
    Action.CONFIRM_BIRTH_DATE: "activation:birth_date",
    Action.UPDATE_CONTACT: "activation:contact",
    Action.VERIFY_EMAIL: "activation:email",
    Action.CONFIRM_CHILDREN: "activation:children",
}
View = Callable[..., HttpResponse]


def _account(request: HttpRequest) -> Account:
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def journey_page(view: View) -> View:
    """Signed in, reachable while actions are pending, never cached."""

    @login_required
    @required_actions_exempt
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    return required_actions_exempt(wrapper)


def _step_title(steps: list[tuple[str, ...]], action: str, pending: list[str]) -> Any:
    active = [a for a in action_group(steps, action) if a in pending]
    return GROUP_TITLE if len(active) > 1 else STEP_TITLES[Action(action)]


def _step_context(request: HttpRequest, action: Action, pending: list[str]) -> dict[str, Any]:
    account = _account(request)
    required_actions_note(request, pending)  # for the header: no way out of the journey
    planned = required_actions_planned(account, pending)
    steps = required_actions_steps(account)
    progress = journey_progress(request.session, pending, action, planned, steps)
    first = bool(request.session.get(FIRST_KEY))
    return {
        "step_title": STEP_TITLES[action],
        "progress": progress,
        "next_title": _step_title(steps, progress.next_action, pending)
        if progress.next_action
        else None,
        "first_connection": first,
        "submission_field": SUBMISSION_FIELD,
        "submission": submission_token(),
    }


def _grouped_pending(account: Account, pending: list[str]) -> list[str]:
    """The pending actions sharing a page with the first pending one (several: a grouped page)."""
    if not pending:
        return []
    group = action_group(required_actions_steps(account), pending[0])
    return [a for a in group if a in pending]


def _continue() -> HttpResponse:
    return redirect("activation:continue")


@journey_page
@require_http_methods(["GET"])
def continue_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    target = safe_next(request)
    if target:
        journey_next_set(request.session, target)
    pending = required_actions_pending(account, request.session)
    if pending:
        if PLAN_KEY not in request.session:
            request.session[FIRST_KEY] = account.state == Account.State.PROVISIONED
        journey_plan(request.session, pending, required_actions_planned(account, pending))
        if len(_grouped_pending(account, pending)) > 1:
            return redirect("activation:group")
        return redirect(STEP_URLS[Action(pending[0])])
    if account.state == Account.State.PROVISIONED:
        services.account_activate(actor=account, account=account, request=request)
        request.session[DONE_KEY] = True
    elif request.session.get(FIRST_KEY) and account.state == Account.State.ACTIVE:
        request.session[DONE_KEY] = True  # activated by the e-mail link meanwhile
    for key in (PLAN_KEY, FIRST_KEY):
        request.session.pop(key, None)
    required_actions_forget(request.session)
    if request.session.get(DONE_KEY):
        return redirect("activation:done")
    return redirect(journey_next_pop(request.session))


def _pending_or_continue(request: HttpRequest, action: Action) -> list[str] | None:
    """Pending actions when ``action`` is due on its own page (None: go to ``continue``, which
    also serves the grouped page when the action shares one)."""
    account = _account(request)
    pending = required_actions_pending(account, request.session)
    if action not in pending or len(_grouped_pending(account, pending)) > 1:
        return None
    return pending


@journey_page
@require_http_methods(["GET", "POST"])
def charter_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = _pending_or_continue(request, Action.ACCEPT_CHARTER)
    version = charter_current()
    if pending is None or version is None:
        return _continue()
    form = CharterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.charter_accept(actor=account, account=account, version=version, request=request)
        return _continue()
    renewed = charter_accepted_before(account, version)
    context = {
        **_step_context(request, Action.ACCEPT_CHARTER, pending),
        "form": form,
        "version": version,
        "renewed": renewed,
    }
    return render(request, "activation/charter.html", context, status=400 if form.errors else 200)


@journey_page
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = _pending_or_continue(request, Action.UPDATE_PASSWORD)
    if pending is None:
        return _continue()
    form = SetPasswordForm(request.POST if request.method == "POST" else None, account=account)
    if request.method == "POST":
        submission = Submission(request)
        if submission.is_repeat():
            return submission.repeat_response(reverse("activation:continue"))
        if form.is_valid():
            services.activation_password_set(
                actor=account,
                account=account,
                password=form.cleaned_data["password"],
                request=request,
            )
            return submission.succeeded(reverse("activation:continue"))
    context = {**_step_context(request, Action.UPDATE_PASSWORD, pending), "form": form}
    return render(request, "activation/password.html", context, status=400 if form.errors else 200)


@journey_page
@require_http_methods(["GET", "POST"])
def birth_date_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = _pending_or_continue(request, Action.CONFIRM_BIRTH_DATE)
    if pending is None:
        return _continue()
    subject = services.birth_date_subject_choose(account=account)
    if subject is None:
        return _continue()
    own = subject.pk == account.pk
    if birth_date_blocked(journey_of(account)):
        return _birth_date_blocked_page(request, pending, own, subject)
    form = BirthDateForm(request.POST if request.method == "POST" else None, own=own)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        result = services.birth_date_confirm(
            actor=account, account=account, answer=form.cleaned_data["birth_date"], request=request
        )
        if result.outcome in (
            services.BirthDateOutcome.CONFIRMED,
            services.BirthDateOutcome.NOTHING_TO_CONFIRM,
        ):
            return _continue()
        if result.outcome is services.BirthDateOutcome.BLOCKED:
            return _birth_date_blocked_page(request, pending, own, subject)
        if result.outcome is services.BirthDateOutcome.THROTTLED:
            error = wait_message(result.wait)
            status = 429
        else:
            error = _birth_date_wrong(own, subject, result.tries_left)
            status = 400
        form.add_error("birth_date", error)
    elif form.errors:
        status = 400
    context = {
        **_step_context(request, Action.CONFIRM_BIRTH_DATE, pending),
        "form": form,
        "own": own,
        "subject": subject,
    }
    response = render(request, "activation/birth_date.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(result.wait)
    return response


def _birth_date_wrong(own: bool, subject: Account, tries_left: int) -> str:
    if own:
        wrong = _(
            "Cette date ne correspond pas à celle que votre établissement connaît. "
            "Vérifiez-la ; si elle est juste, contactez votre établissement."
        )
    else:
        wrong = _(
            "Cette date ne correspond pas à celle que l'établissement connaît pour "
            "%(name)s. Vérifiez-la ; si elle est juste, contactez l'établissement."
        ) % {"name": subject.get_full_name()}
    left = ngettext(
        "Il vous reste %(count)d essai\u00a0: ensuite, cette étape sera bloquée.",
        "Il vous reste %(count)d essais\u00a0: ensuite, cette étape sera bloquée.",
        tries_left,
    ) % {"count": tries_left}
    return f"{wrong} {left}"


def _birth_date_blocked_page(
    request: HttpRequest, pending: list[str], own: bool, subject: Account
) -> HttpResponse:
    """The step refused too many times: what happened and what to do (no form any more)."""
    context = {
        **_step_context(request, Action.CONFIRM_BIRTH_DATE, pending),
        "own": own,
        "subject": subject,
    }
    return render(request, "activation/birth_date_blocked.html", context, status=403)


def _email_required(account: Account) -> bool:
    return email_proof_required() and Action.VERIFY_EMAIL in required_actions_configured(account)


def _contact_form(request: HttpRequest, account: Account, is_student: bool) -> ContactForm:
    preferences = notification_preferences_of(account)
    return ContactForm(
        request.POST if request.method == "POST" else None,
        email_required=_email_required(account),
        email_help=_(
            "Si vous n'avez pas d'adresse électronique, vous pouvez indiquer celle de l'un de "
            "vos parents."
        )
        if is_student
        else _("Elle servira à vous envoyer les informations et à retrouver votre compte."),
        stored_mobile=account.mobile,
        initial={
            "email": account.email,
            "from_establishment": preferences.from_establishment,
            "from_partners": preferences.from_partners,
            "sms": preferences.sms,
        },
    )


@journey_page
@require_http_methods(["GET", "POST"])
def contact_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = required_actions_pending(account, request.session)
    # Reachable again from the e-mail step (to correct the address) until activation.
    if Action.UPDATE_CONTACT not in pending and not (
        account.state == Account.State.PROVISIONED
        and Action.UPDATE_CONTACT in required_actions_configured(account)
        and Action.VERIFY_EMAIL in pending
    ):
        return _continue()
    is_student = Membership.Profile.STUDENT in account_profiles(account)
    form = _contact_form(request, account, is_student)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.activation_contact_save(
            actor=account,
            account=account,
            email=data.get("email") or "",
            mobile=data["mobile"],
            from_establishment=data["from_establishment"],
            from_partners=data["from_partners"],
            sms=data["sms"],
            request=request,
        )
        return _continue()
    step = Action.UPDATE_CONTACT if Action.UPDATE_CONTACT in pending else Action.VERIFY_EMAIL
    context = {
        **_step_context(request, step, pending),
        "step_title": STEP_TITLES[Action.UPDATE_CONTACT],
        "form": form,
        "is_student": is_student,
    }
    return render(request, "activation/contact.html", context, status=400 if form.errors else 200)


def _group_forms(
    request: HttpRequest, account: Account, active: list[str], *, own: bool, is_student: bool
) -> dict[str, Any]:
    """The forms of the group's steps, by their name in the template; bound on a POST."""
    data = request.POST if request.method == "POST" else None
    forms: dict[str, Any] = {}
    if Action.ACCEPT_CHARTER in active:
        forms["charter_form"] = CharterForm(data)
    if Action.UPDATE_PASSWORD in active:
        forms["password_form"] = SetPasswordForm(data, account=account)
    if Action.CONFIRM_BIRTH_DATE in active:
        forms["birth_date_form"] = BirthDateForm(data, own=own)
    if Action.UPDATE_CONTACT in active:
        forms["contact_form"] = _contact_form(request, account, is_student)
    return forms


def _group_apply(
    request: HttpRequest,
    account: Account,
    forms: dict[str, Any],
    version: CharterVersion | None,
) -> services.BirthDateResult:
    """The valid forms of the group, applied in one transaction by the service."""
    password = forms.get("password_form")
    birth_date = forms.get("birth_date_form")
    contact = forms.get("contact_form")
    return services.activation_steps_apply(
        actor=account,
        account=account,
        charter=version,
        password=password.cleaned_data["password"] if password is not None else None,
        birth_date=birth_date.cleaned_data["birth_date"] if birth_date is not None else None,
        contact=services.ContactInput(
            email=contact.cleaned_data.get("email") or "",
            mobile=contact.cleaned_data["mobile"],
            from_establishment=contact.cleaned_data["from_establishment"],
            from_partners=contact.cleaned_data["from_partners"],
            sms=contact.cleaned_data["sms"],
        )
        if contact is not None
        else None,
        request=request,
    )


@journey_page
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def group_view(request: HttpRequest) -> HttpResponse:
    """Several steps on one page (a list in ``PREAU["REQUIRED_ACTIONS"]``): their fields
    together, validated together, applied in one transaction; one step of the progress."""
    account = _account(request)
    pending = required_actions_pending(account, request.session)
    active = _grouped_pending(account, pending)
    version = charter_current() if Action.ACCEPT_CHARTER in active else None
    subject = (
        services.birth_date_subject_choose(account=account)
        if Action.CONFIRM_BIRTH_DATE in active
        else None
    )
    if Action.ACCEPT_CHARTER in active and version is None:
        active.remove(Action.ACCEPT_CHARTER)
    if Action.CONFIRM_BIRTH_DATE in active and subject is None:
        active.remove(Action.CONFIRM_BIRTH_DATE)
    if len(active) < 2:
        return _continue()
    own = subject is not None and subject.pk == account.pk
    if subject is not None and birth_date_blocked(journey_of(account)):
        return _birth_date_blocked_page(request, pending, own, subject)
    is_student = Membership.Profile.STUDENT in account_profiles(account)
    forms = _group_forms(request, account, active, own=own, is_student=is_student)
    status = 200
    wait = 0
    if request.method == "POST":
        submission = Submission(request)
        if submission.is_repeat():
            return submission.repeat_response(reverse("activation:continue"))
        valid = all([form.is_valid() for form in forms.values()])  # every form's errors
        if valid:
            result = _group_apply(request, account, forms, version)
            if result.outcome is services.BirthDateOutcome.THROTTLED:
                forms["birth_date_form"].add_error("birth_date", wait_message(result.wait))
                status, wait = 429, result.wait
            elif result.outcome is services.BirthDateOutcome.BLOCKED:
                assert subject is not None  # noqa: S101 - a blocked answer had a subject
                return _birth_date_blocked_page(request, pending, own, subject)
            elif result.outcome is services.BirthDateOutcome.WRONG:
                assert subject is not None  # noqa: S101 - a WRONG answer had a subject
                forms["birth_date_form"].add_error(
                    "birth_date", _birth_date_wrong(own, subject, result.tries_left)
                )
                status = 400
            else:
                return submission.succeeded(reverse("activation:continue"))
        else:
            status = 400
    context = {
        **_step_context(request, Action(active[0]), pending),
        "step_title": GROUP_TITLE,
        **forms,
        "version": version,
        "own": own,
        "subject": subject,
        "is_student": is_student,
        "has_errors": status != 200,
    }
    response = render(request, "activation/group.html", context, status=status)
    if wait:
        response["Retry-After"] = str(wait)
    return response


@journey_page
@require_http_methods(["GET", "POST"])
def email_view(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    pending = _pending_or_continue(request, Action.VERIFY_EMAIL)
    if pending is None:
        return _continue()
    required = email_proof_required()
    error = ""
    status = 200
    form = EmailAddressForm(initial={"email": account.email})
    if request.method == "GET":
        services.activation_email_first_send(actor=account, account=account, request=request)
    elif request.POST.get("action") == "continue" and not required:
        services.activation_email_step_done(actor=account, account=account, request=request)
        return _continue()
    elif request.POST.get("action") == "send":
        form = EmailAddressForm(request.POST)
        if form.is_valid():
            result = services.activation_email_send(
                actor=account, account=account, email=form.cleaned_data["email"], request=request
            )
            if result.outcome is services.SendOutcome.SENT:
                return redirect(reverse("activation:email") + "?envoye=1")
            error = wait_message(result.wait)
            status = 429
        else:
            status = 400
    latest = email_verification_latest(account, EmailVerification.Purpose.ACTIVATION)
    context = {
        **_step_context(request, Action.VERIFY_EMAIL, pending),
        "form": form,
        "required": required,
        "error": error,
        "resent": request.GET.get("envoye") == "1",
        "sent_to": latest.email if latest is not None and latest.ended_at is None else "",
        "contact_editable": Action.UPDATE_CONTACT in required_actions_configured(account),
    }
    return render(request, "activation/email.html", context, status=status)


@journey_page
@require_http_methods(["GET"])
def done_view(request: HttpRequest) -> HttpResponse:
    """ "Votre compte est activé", shown once at the end of a first connection."""
    account = _account(request)
    if not request.session.pop(DONE_KEY, None) or account.state != Account.State.ACTIVE:
        return redirect(journey_next_pop(request.session))
    return render(
        request,
        "activation/done.html",
        {
            "account": account,
            "next": journey_next_pop(request.session),
            "without_password": not account.has_usable_password(),
        },
    )


_LINK_STATUS_CODES = {
    LinkStatus.UNKNOWN: 404,
    LinkStatus.EXPIRED: 410,
    LinkStatus.USED: 410,
    LinkStatus.SUPERSEDED: 410,
    LinkStatus.OBSOLETE: 410,
    LinkStatus.ACCOUNT_CLOSED: 403,
}


@required_actions_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def email_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the mail. GET asks to confirm (mail scanners open links by themselves; a
    button keeps them from using it); POST uses it."""
    signed_in_as = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        check, activated = services.email_link_follow(token=token, request=request)
    else:
        check, activated = email_verification_check(token), False
    verification = check.verification
    if check.status is not LinkStatus.VALID:
        context = {
            "status": check.status.value,
            "verification": verification,
            "signed_in": signed_in_as is not None,
        }
        return render(
            request,
            "activation/email_link_problem.html",
            context,
            status=_LINK_STATUS_CODES[check.status],
        )
    assert verification is not None  # noqa: S101 - VALID always carries its row
    account = verification.account
    same_person = signed_in_as is not None and signed_in_as.pk == account.pk
    if request.method == "POST" and same_person:
        required_actions_forget(request.session)
        if activated:
            request.session[DONE_KEY] = True
    context = {
        "token": token,
        "verification": verification,
        "account": account,
        "confirmed": request.method == "POST",
        "activated": activated,
        "same_person": same_person,
        "change": verification.purpose == EmailVerification.Purpose.CHANGE,
    }
    return render(request, "activation/email_link.html", context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a page that says what happened and what to do, in French."""
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if url_is_local(request, referer) else ""
    return render(request, "activation/csrf_failure.html", {"back": back}, status=403)
