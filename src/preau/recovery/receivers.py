"""A password change asked for by the school becomes a required action at sign-in.

Whatever opened the session (the sign-in page, CAS, a federation later: all go through
``django.contrib.auth``), a pending :class:`~preau.recovery.models.PasswordChangeDemand` marks the
session with the sign-in's ``PASSWORD_CHANGE_SESSION_KEY``: ``UPDATE_PASSWORD`` is then
pending before any page or service, and choosing the password clears the mark (and meets the
demand, see ``recovery.selectors.password_change_demanded``).

A first connection blocked on the birth date (the activation app's ``birth_date_blocked``
signal) becomes a help request in the school's queue: the activation app, lower in the layers,
knows nothing of help requests. So does a guardian's link to a child frozen after wrong birth
dates or refused by the guardian (the directory's ``guardianship_frozen`` and
``guardianship_refused``): a request for the child's establishment.

A new activation code handed over by the school (provisioning's ``activation_code_reissued``)
demands a new password of an account that had one, and closes the help request it answers.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from preau.activation.middleware import required_actions_forget
from preau.activation.signals import birth_date_blocked
from preau.directory.models import Account, Guardianship
from preau.directory.signals import access_revoked, guardianship_frozen, guardianship_refused
from preau.provisioning.signals import activation_code_reissued
from preau.recovery.helpdesk import (
    help_request_answered,
    help_request_birth_date_refused,
    help_request_guardianship,
    password_change_demand_set,
)
from preau.recovery.models import HelpRequest, PasswordReset
from preau.recovery.selectors import password_change_demanded
from preau.signin.passwords import PASSWORD_CHANGE_SESSION_KEY


@receiver(user_logged_in, dispatch_uid="preau.recovery.password_change_demand")
def _password_change_demand(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not isinstance(user, Account) or not hasattr(request, "session"):
        return
    if password_change_demanded(user):
        request.session[PASSWORD_CHANGE_SESSION_KEY] = True
        required_actions_forget(request.session)


@receiver(birth_date_blocked, dispatch_uid="preau.recovery.birth_date_blocked")
def _birth_date_blocked(
    sender: Any, account: Account, subject: Account, failures: int, request: Any, **kwargs: Any
) -> None:
    """A first connection blocked on the birth date reaches the school's help queue."""
    help_request_birth_date_refused(
        account=account, subject=subject, failures=failures, request=request
    )


@receiver(guardianship_frozen, dispatch_uid="preau.recovery.guardianship_frozen")
def _guardianship_frozen(
    sender: Any, guardianship: Guardianship, failures: int, request: Any, **kwargs: Any
) -> None:
    """A child's link frozen after wrong birth dates: the child's school checks its files."""
    help_request_guardianship(
        guardianship=guardianship,
        reason=HelpRequest.Reason.LINK_FROZEN,
        failures=failures,
        request=request,
    )


@receiver(guardianship_refused, dispatch_uid="preau.recovery.guardianship_refused")
def _guardianship_refused(
    sender: Any, guardianship: Guardianship, request: Any, **kwargs: Any
) -> None:
    """A guardian who says a child is not theirs: the child's school checks its files."""
    help_request_guardianship(
        guardianship=guardianship, reason=HelpRequest.Reason.LINK_REFUSED, request=request
    )


@receiver(access_revoked, dispatch_uid="preau.recovery.resets_end")
def _access_revoked(sender: Any, account_ids: list[int], **kwargs: Any) -> None:
    """A live reset link or SMS code is one more way in: it dies with the secrets it would
    have replaced."""
    PasswordReset.objects.filter(account_id__in=account_ids, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=PasswordReset.EndReason.REVOKED
    )


@receiver(activation_code_reissued, dispatch_uid="preau.recovery.code_reissued")
def _code_reissued(
    sender: Any,
    *,
    actor: Account,
    account: Account,
    establishment: Any,
    was_active: bool,
    delivery: str,
    help_request_id: int | None,
    request: Any,
    **kwargs: Any,
) -> None:
    if was_active:
        password_change_demand_set(account=account, actor=actor)
    if help_request_id is not None:
        help_request_answered(
            actor=actor,
            establishment=establishment,
            help_request_id=help_request_id,
            delivery=delivery,
            request=request,
        )
