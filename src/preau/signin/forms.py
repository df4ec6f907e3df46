"""The sign-in form, and the forms the first connection, "Mon compte" and recovery share: a new
password, the contacts (an e-mail address, a mobile, the notification preferences). Parse and
validate, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Account
from preau.notify.phones import mobile_display, mobile_e164, mobile_is_valid
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


def mobile_normalize(raw: str) -> str:
    """A mobile number as typed, in E.164, by the one rule (``preau.notify.phones``).

    Raises ``ValidationError`` with a French message saying what to type instead.
    """
    return mobile_e164(raw)


class EmailField(forms.EmailField):
    default_error_messages = {  # noqa: RUF012 - Django's convention
        "invalid": _(
            "Cette adresse électronique n'est pas valide : vérifiez-la, elle doit ressembler à "
            "prenom.nom@exemple.fr."
        ),
        "required": _("Saisissez votre adresse électronique."),
        "max_length": _("Cette adresse électronique est trop longue (254 caractères au plus)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "widget",
            forms.EmailInput(
                attrs={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        address = str(super().clean(value) or "").strip()
        local, _sep, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}" if local else address


class MobileField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        )
        super().__init__(**kwargs)
        self.error_messages["max_length"] = _("Ce numéro de téléphone est trop long.")

    def clean(self, value: Any) -> str:
        return mobile_normalize(str(super().clean(value) or ""))


class ContactForm(forms.Form):
    """Mobile and notification preferences (and the address at the first connection)."""

    email = EmailField(label=_("Adresse électronique"), required=False)
    mobile = MobileField(
        label=_("Téléphone mobile"),
        required=False,
        help_text=_("Facultatif. Par exemple 06 12 34 56 78."),
    )
    from_establishment = forms.BooleanField(
        label=_("Recevoir les informations de mon établissement"), required=False
    )
    from_partners = forms.BooleanField(
        label=_("Recevoir les informations des partenaires (la région, l'académie)"),
        required=False,
    )
    sms = forms.BooleanField(label=_("Recevoir aussi ces informations par SMS"), required=False)

    # Said under the field when the stored number is not pre-filled (see __init__).
    stored_mobile_dropped = _(
        "Le numéro transmis par votre établissement, %(number)s, n'est celui d'aucun "
        "téléphone mobile : il n'a pas été repris. Si vous le souhaitez, indiquez votre "
        "numéro de mobile (facultatif)."
    )

    def __init__(
        self,
        *args: Any,
        with_email: bool = True,
        email_required: bool = False,
        email_help: str = "",
        stored_mobile: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_email:
            del self.fields["email"]
        else:
            self.fields["email"].required = email_required
            self.fields["email"].help_text = email_help
        self.stored_mobile = stored_mobile
        # A pre-filled value never blocks the page: a stored number that the field would refuse
        # (imported before the rule of preau.notify.phones, or from a block since withdrawn) is
        # not pre-filled, and the field says why, so that saving the page needs no correction.
        self.stored_mobile_usable = not stored_mobile or mobile_is_valid(stored_mobile)
        if stored_mobile:
            self.initial["mobile"] = (
                mobile_display(stored_mobile) if self.stored_mobile_usable else ""
            )
        if not self.stored_mobile_usable:
            self.fields["mobile"].help_text = self.stored_mobile_dropped % {
                "number": mobile_display(stored_mobile)
            }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("sms") and not cleaned.get("mobile") and "mobile" not in self.errors:
            self.add_error(
                "mobile",
                ValidationError(
                    _("Pour recevoir des SMS, indiquez votre numéro de téléphone mobile."),
                    code="sms_without_mobile",
                ),
            )
        return cleaned
