"""A new activation code starts the first connection again: whatever was done with the old
one (an unfinished journey's steps, e-mail links sent to an address typed then) dies with it,
so that someone who signed in with a stolen letter cannot finish the journey after the school
reissued it.

And every sign-in derives the required actions again: the journey's plan kept in the session
is forgotten (whatever signed the person in: all go through ``django.contrib.auth``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from preau.activation.journey import journey_forget
from preau.activation.models import ActivationJourney, CharterAcceptance, EmailVerification
from preau.directory.models import Account
from preau.directory.services import RevokeReason
from preau.directory.signals import access_revoked


@receiver(user_logged_in, dispatch_uid="preau.activation.journey_forget")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not isinstance(user, Account) or not hasattr(request, "session"):
        return
    journey_forget(request.session)


@receiver(access_revoked, dispatch_uid="preau.activation.journey_end")
def _access_revoked(sender: Any, account_ids: list[int], reason: str, **kwargs: Any) -> None:
    if reason != RevokeReason.REISSUE:
        return
    # A journey its owner completed once (an active account given a new code) stays: its steps
    # were done by the owner. Only the password must be chosen again (the school's demand).
    ActivationJourney.objects.filter(account_id__in=account_ids, completed_at__isnull=True).delete()
    # The charter binds the person who accepted it: whoever held the old letter is not them.
    CharterAcceptance.objects.filter(
        account_id__in=account_ids, account__activated_at__isnull=True
    ).delete()
    EmailVerification.objects.filter(account_id__in=account_ids, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=EmailVerification.EndReason.SUPERSEDED
    )
