"""What a failed sign-in says, on /connexion and on /cas/login alike.

Every failure reads "incorrect", except for whoever typed the account's right secret: only they
can learn that the account is deactivated, or that it was not activated before its deadline
(nobody else learns that the account exists, or its state).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from preau.signin.services import SigninResult


@dataclass(frozen=True)
class FailureMessage:
    text: str
    # A page where the person can ask their school for help ('' when none is offered).
    help_url: str = ""


def signin_failure_message(result: SigninResult) -> FailureMessage:
    """The message of a FAILURE outcome (throttling has its own: ``wait_message``)."""
    if result.activation_expired_at is not None:
        since = date_format(timezone.localtime(result.activation_expired_at), "d/m/Y")
        return FailureMessage(
            _(
                "Votre compte n'a pas été activé à temps\u00a0: le code d'activation de votre "
                "courrier n'est plus valable depuis le %(date)s. Pour recevoir un nouveau code, "
                "adressez-vous au secrétariat de votre établissement, ou faites-lui une demande "
                "en ligne."
            )
            % {"date": since},
            help_url=reverse("recovery:proof"),
        )
    if result.deactivated:
        return FailureMessage(
            _("Votre compte est désactivé\u00a0: contactez votre établissement."),
            help_url=reverse("recovery:proof"),
        )
    return FailureMessage(
        _(
            "Identifiant ou mot de passe incorrect. Vérifiez votre identifiant et votre mot "
            "de passe (ou le code d’activation de votre courrier), puis réessayez."
        )
    )
