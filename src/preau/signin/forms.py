from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SigninForm(forms.Form):
    """The sign-in form's fields; the HTML is written by hand for the CAS login form contract."""

    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        strip=True,
        error_messages={"required": _("Saisissez votre identifiant.")},
    )
    # Long enough for any passphrase, short enough that nobody makes us hash megabytes.
    password = forms.CharField(
        label=_("Mot de passe ou code d’activation"),
        max_length=1024,
        strip=False,
        error_messages={
            "required": _("Saisissez votre mot de passe ou votre code d’activation."),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )
