from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class PinForm(forms.Form):
    """The 4-digit PIN chosen on the page; it encrypts the QR's token and is never stored."""

    pin = forms.CharField(
        label=_("Choisissez un code PIN de 4 chiffres"),
        help_text=_("Vous le taperez dans l’application après avoir flashé le QR code."),
        min_length=4,
        max_length=4,
        validators=[
            RegexValidator(r"^[0-9]{4}$", _("Le code PIN doit comporter exactement 4 chiffres."))
        ],
        error_messages={
            "required": _("Choisissez un code PIN de 4 chiffres."),
            "min_length": _("Le code PIN doit comporter exactement 4 chiffres."),
            "max_length": _("Le code PIN doit comporter exactement 4 chiffres."),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}
        ),
    )
