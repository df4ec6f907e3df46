"""Forms of the first connection: parse and validate, nothing more."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.signin.forms import EmailField

_DATE_DMY = re.compile(r"^\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})\s*$")
_DATE_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DATE_COMPACT = re.compile(r"^\s*(\d{2})(\d{2})(\d{4})\s*$")
_OLDEST_YEAR = 1900


def parse_birth_date(raw: str) -> date:
    """A date as people type it: ``14/07/2011``, ``14-7-2011``, ``14.07.2011``, ``14072011``
    or ``2011-07-14``. Raises ``ValidationError`` with a French message saying what to fix."""
    text = raw.strip()
    match = _DATE_DMY.match(text) or _DATE_COMPACT.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif iso := _DATE_ISO.match(text):
        year, month, day = (int(g) for g in iso.groups())
    else:
        raise ValidationError(
            _("Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."), code="format"
        )
    if not 1 <= month <= 12:
        raise ValidationError(
            _("Le mois doit être compris entre 01 et 12 : vérifiez la date (JJ/MM/AAAA)."),
            code="month",
        )
    try:
        parsed = date(year, month, day)
    except ValueError as exc:
        raise ValidationError(
            _("Cette date n'existe pas (il n'y a pas de %(date)s) : vérifiez le jour et le mois.")
            % {"date": f"{day:02d}/{month:02d}/{year}"},
            code="impossible",
        ) from exc
    if parsed > timezone.localdate():
        raise ValidationError(_("Cette date est dans le futur : vérifiez l'année."), code="future")
    if year < _OLDEST_YEAR:
        raise ValidationError(
            _("Vérifiez l'année : elle doit comporter quatre chiffres, par exemple 2011."),
            code="year",
        )
    return parsed


class CharterForm(forms.Form):
    accept = forms.BooleanField(
        label=_("J'ai lu et j'accepte les conditions ci-dessus"),
        error_messages={
            "required": _(
                "Cochez la case « J'ai lu et j'accepte les conditions ci-dessus » pour "
                "continuer : l'ENT ne peut être utilisé qu'après avoir accepté la charte."
            )
        },
    )


class BirthDateForm(forms.Form):
    birth_date = forms.CharField(
        label=_("Date de naissance"),
        max_length=20,
        help_text=_("Au format JJ/MM/AAAA, par exemple 14/07/2011."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": _("Saisissez la date de naissance, au format JJ/MM/AAAA."),
            "max_length": _("Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."),
        },
    )

    def __init__(self, *args: Any, own: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["birth_date"]
        if own:
            field.label = _("Votre date de naissance")
            field.widget.attrs["autocomplete"] = "bday"
        else:
            field.label = _("Date de naissance de votre enfant")

    def clean_birth_date(self) -> date:
        return parse_birth_date(str(self.cleaned_data["birth_date"]))


class EmailAddressForm(forms.Form):
    """The address the proof link goes to (at the VERIFY_EMAIL step)."""

    email = EmailField(label=_("Adresse électronique"))


class ChildBirthDateForm(BirthDateForm):
    """The birth date of one child waiting for confirmation ("Mes enfants" and the required
    action): one form per child, told apart by its prefix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, own=False, **kwargs)
