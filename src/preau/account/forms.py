"""Forms of "Mon compte", also used by the first connection: parse and validate, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Account
from preau.notify.phones import mobile_display, mobile_e164, mobile_is_valid
from preau.signin.forms import PASSWORD_MAX_CHARS, SetPasswordForm, password_widget

# preau.recovery.views imports wait_message from here until it takes it from signin (issue 13).
from preau.signin.throttle import wait_message  # noqa: F401


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

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        kwargs["with_email"] = False
        kwargs["stored_mobile"] = account.mobile
        super().__init__(*args, **kwargs)
        self.account = account

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
        if "mobile" in cleaned and self.password_needed and not cleaned.get("current_password"):
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

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

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
