"""The sign-in form, and the new password's form shared by the first connection, "Mon
compte" and recovery: parse and validate, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Account
from preau.signin.password_policy import Policy, password_policy
from preau.signin.passwords import password_errors


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


def password_widget(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(
        attrs={
            "autocomplete": autocomplete,
            "autocapitalize": "none",
            "autocorrect": "off",
            "spellcheck": "false",
        }
    )


# A passphrase can be long; megabytes cannot (Argon2 would hash them).
PASSWORD_MAX_CHARS = 1024


class SetPasswordForm(forms.Form):
    """New password and its confirmation, checked against the policy and the account."""

    password = forms.CharField(
        label=_("Nouveau mot de passe"),
        strip=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("new-password"),
        error_messages={
            "required": _("Saisissez votre nouveau mot de passe."),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )
    password_confirm = forms.CharField(
        label=_("Confirmation du nouveau mot de passe"),
        strip=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("new-password"),
        error_messages={
            "required": _("Saisissez une seconde fois votre nouveau mot de passe."),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.policy: Policy = password_policy()
        # Which checklist rules the last submission failed (codes), for the page.
        self.failed_rules: set[str] = set()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        confirm = cleaned.get("password_confirm")
        if password is None:
            return cleaned
        errors = password_errors(self.account, password)
        self.failed_rules = {str(e.code) for e in errors}
        if errors:
            self.add_error("password", errors)
        if confirm is not None and confirm != password:
            self.add_error(
                "password_confirm",
                ValidationError(
                    _(
                        "Les deux mots de passe saisis ne sont pas identiques : saisissez le "
                        "même mot de passe dans les deux champs."
                    ),
                    code="mismatch",
                ),
            )
        return cleaned
