"""Forms of "Mon compte": parse and validate, nothing more. What the first connection shares
with them (a new password, the contacts) is in :mod:`preau.signin.forms`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Account
from preau.signin.forms import (
    PASSWORD_MAX_CHARS,
    ContactForm,
    EmailField,
    SetPasswordForm,
    password_widget,
)


class PasswordChangeForm(SetPasswordForm):
    """ "Mon compte": the current password first (checked by the view's service, throttled)."""

    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("current-password"),
        error_messages={
            "required": _("Saisissez votre mot de passe actuel."),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )

    field_order = ("current_password", "password", "password_confirm")

    def __init__(self, *args: Any, with_current: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_current:  # no password yet: a recent federated sign-in confirms it
            del self.fields["current_password"]


class AccountContactForm(ContactForm):
    """ "Mon compte": the mobile and the preferences. The mobile is a recovery channel, so
    changing, adding or removing it asks for the current password (checked by the view's
    service, throttled); the preferences alone do not."""

    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        required=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("current-password"),
        help_text=_(
            "Seulement pour changer ou retirer le numéro : pour vérifier que c'est bien vous."
        ),
        error_messages={"max_length": _("Ce mot de passe est trop long.")},
    )

    field_order = ("mobile", "current_password")

    stored_mobile_dropped = _(
        "Le numéro enregistré sur votre compte, %(number)s, n'est celui d'aucun téléphone "
        "mobile : il sera retiré quand vous enregistrerez cette page. Si vous le souhaitez, "
        "indiquez votre numéro de mobile (facultatif)."
    )

    def __init__(
        self, *args: Any, account: Account, with_current: bool = True, **kwargs: Any
    ) -> None:
        kwargs["with_email"] = False
        kwargs["stored_mobile"] = account.mobile
        super().__init__(*args, **kwargs)
        self.account = account
        if not with_current:  # no password: a recent federated sign-in confirms the change
            del self.fields["current_password"]

    @property
    def mobile_changes(self) -> bool:
        """Whether the valid submission changes the mobile (adds, replaces or removes it)."""
        return self.cleaned_data.get("mobile", self.account.mobile) != self.account.mobile

    @property
    def password_needed(self) -> bool:
        """Whether the valid submission needs the current password: a change of the mobile,
        except the removal of a stored number that no SMS can reach and nobody proved (the
        page did not pre-fill it: asking a password to save the preferences would block)."""
        if not self.mobile_changes:
            return False
        dropped = (
            not self.cleaned_data.get("mobile")
            and not self.stored_mobile_usable
            and self.account.mobile_verified_at is None
        )
        return not dropped

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            "mobile" in cleaned
            and "current_password" in self.fields
            and self.password_needed
            and not cleaned.get("current_password")
        ):
            self.add_error(
                "current_password",
                ValidationError(
                    _(
                        "Pour changer ou retirer votre numéro de mobile, saisissez votre mot "
                        "de passe actuel."
                    ),
                    code="required",
                ),
            )
        return cleaned


class EmailChangeForm(forms.Form):
    email = EmailField(label=_("Nouvelle adresse électronique"))
    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("current-password"),
        help_text=_("Pour vérifier que c'est bien vous."),
        error_messages={
            "required": _("Saisissez votre mot de passe actuel."),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )

    def __init__(
        self, *args: Any, account: Account, with_current: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        if not with_current:  # no password: a recent federated sign-in confirms the change
            del self.fields["current_password"]

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        if (
            self.account.email
            and email.lower() == self.account.email.lower()
            and self.account.email_verified_at is not None
        ):
            raise ValidationError(
                _("C'est déjà l'adresse de votre compte : saisissez la nouvelle adresse."),
                code="same",
            )
        return email


class MergeProofForm(forms.Form):
    """ "Fusion de comptes": the other account's identifier and password (or its letter's
    activation code, while it is valid), checked by the sign-in's own rule."""

    identifier = forms.CharField(
        label=_("Identifiant de l'autre compte"),
        max_length=150,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Saisissez l'identifiant de votre autre compte.")},
    )
    password = forms.CharField(
        label=_("Mot de passe ou code d'activation de l'autre compte"),
        strip=False,
        max_length=PASSWORD_MAX_CHARS,
        widget=password_widget("off"),
        error_messages={
            "required": _(
                "Saisissez le mot de passe (ou le code d'activation) de cet autre compte."
            ),
            "max_length": _("Ce mot de passe est trop long."),
        },
    )
