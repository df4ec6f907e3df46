"""Forms of the sign-up by SMS (:mod:`preau.activation.signup`): parse and validate only."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from preau.activation.forms import parse_birth_date
from preau.activation.signup import StepOutcome, signup_code_verify
from preau.codes import CODE_DIGITS, code_normalize
from preau.directory.models import Guardianship
from preau.names import names_key
from preau.signin.forms import MobileField
from preau.signin.throttle import wait_message

_NAME_MAX = 150


class SignUpForm(forms.Form):
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=_NAME_MAX,
        help_text=_("Tel que l'établissement le connaît, par exemple Dupont."),
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={
            "required": _("Saisissez votre nom de famille."),
            "max_length": _("Ce nom est trop long (150 caractères au plus)."),
        },
    )
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=_NAME_MAX,
        help_text=_("Votre prénom usuel, par exemple Marie."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={
            "required": _("Saisissez votre prénom."),
            "max_length": _("Ce prénom est trop long (150 caractères au plus)."),
        },
    )
    mobile = MobileField(
        label=_("Téléphone mobile"),
        help_text=_("Le numéro que vous avez donné à l'établissement, par exemple 06 12 34 56 78."),
        error_messages={"required": _("Saisissez votre numéro de téléphone mobile.")},
    )

    def _name(self, field: str, message: Any) -> str:
        value = " ".join(str(self.cleaned_data[field]).split())
        if not names_key(value, "").strip("|"):
            raise ValidationError(message, code="letters")
        return value

    def clean_last_name(self) -> str:
        return self._name(
            "last_name", _("Saisissez votre nom avec des lettres, par exemple Dupont.")
        )

    def clean_first_name(self) -> str:
        return self._name(
            "first_name", _("Saisissez votre prénom avec des lettres, par exemple Marie.")
        )


class SmsCodeForm(forms.Form):
    """The six digits of a code sent by SMS, as people type them: the sign-up's code here,
    the forgotten password's and the mobile proof's in recovery."""

    code = forms.CharField(
        label=_("Code reçu par SMS"),
        max_length=20,
        help_text=_("Les 6 chiffres du SMS, par exemple 123456."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
        error_messages={
            "required": _("Saisissez le code à 6 chiffres reçu par SMS."),
            "max_length": _(
                "Le code comporte 6 chiffres : saisissez-le tel qu'il figure dans le SMS."
            ),
        },
    )

    def clean_code(self) -> str:
        raw = unicodedata.normalize("NFKC", str(self.cleaned_data["code"])).strip()
        code = code_normalize(raw)
        if len(code) != CODE_DIGITS or any(ch not in "0123456789 -." for ch in raw):
            raise ValidationError(
                _("Le code comporte 6 chiffres : saisissez-le tel qu'il figure dans le SMS."),
                code="format",
            )
        return code


class ChildrenForm(forms.Form):
    """One birth date per child (``child_<guardianship id>``), labelled with the child's first
    name and establishment."""

    def __init__(self, *args: Any, children: list[Guardianship], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.children = children
        for guardianship in children:
            self.fields[f"child_{guardianship.pk}"] = forms.CharField(
                label=_("Date de naissance de %(first_name)s (%(establishment)s)")
                % {
                    "first_name": guardianship.student.first_name,
                    "establishment": guardianship.establishment.name,
                },
                max_length=20,
                help_text=_("Au format JJ/MM/AAAA, par exemple 14/07/2011."),
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                error_messages={
                    "required": _("Saisissez cette date de naissance, au format JJ/MM/AAAA."),
                    "max_length": _(
                        "Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."
                    ),
                },
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in list(self.fields):
            if name in cleaned:
                try:
                    cleaned[name] = parse_birth_date(str(cleaned[name]))
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def answers(self) -> dict[int, date]:
        """Guardianship id → the date typed (after ``is_valid()``)."""
        return {g.pk: self.cleaned_data[f"child_{g.pk}"] for g in self.children}


@dataclass
class CodeStep:
    """The code page's form after :func:`code_step`: show it again with ``status``, ``wait``
    and ``error``, unless ``outcome`` says where to go (OK, or a problem to show)."""

    form: SmsCodeForm
    status: int = 200
    wait: int = 0
    error: str = ""
    outcome: StepOutcome | None = None


def code_step(request: HttpRequest, handle: str) -> CodeStep:
    """The code page's form, checked on POST against this browser's sign-up (the sign-up's
    page and the proof before a federated link share it)."""
    form = SmsCodeForm(request.POST if request.method == "POST" else None)
    step = CodeStep(form)
    if request.method != "POST":
        return step
    step.status = 400
    if not form.is_valid():
        return step
    result = signup_code_verify(handle=handle, code=form.cleaned_data["code"], request=request)
    if result.outcome is StepOutcome.THROTTLED:
        step.status, step.wait, step.error = 429, result.wait, wait_message(result.wait)
    elif result.outcome is StepOutcome.WRONG:
        step.error = code_wrong_message(result.tries_left)
    else:
        step.outcome = result.outcome
    return step


def code_wrong_message(tries_left: int) -> str:
    """What a wrong SMS code says (the sign-up's and the proof before a link)."""
    return ngettext(
        "Ce code n'est pas le bon. Vérifiez le SMS reçu : il vous reste %(count)d essai.",
        "Ce code n'est pas le bon. Vérifiez le SMS reçu : il vous reste %(count)d essais.",
        tries_left,
    ) % {"count": tries_left}


def birth_dates_wrong_message(tries_left: int) -> str:
    """What a page of wrong birth dates says (which one is wrong is not said)."""
    return ngettext(
        "Au moins une de ces dates ne correspond pas à ce que l'établissement a "
        "enregistré. Vérifiez-les : il vous reste %(count)d essai.",
        "Au moins une de ces dates ne correspond pas à ce que l'établissement a "
        "enregistré. Vérifiez-les : il vous reste %(count)d essais.",
        tries_left,
    ) % {"count": tries_left}
