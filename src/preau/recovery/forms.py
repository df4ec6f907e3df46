"""Forms of recovery: parse and validate what people type, nothing more."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.activation.forms import parse_birth_date
from preau.directory.models import Establishment
from preau.recovery.models import HelpRequest
from preau.recovery.requests import Query, query_parse
from preau.signin.forms import EmailField

_TEXT = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}


class PasswordRequestForm(forms.Form):
    query = forms.CharField(
        label=_("Identifiant, adresse électronique ou numéro de mobile"),
        max_length=254,
        help_text=_(
            "Par exemple jean.dupont, jean.dupont@exemple.fr ou 06 12 34 56 78 : une adresse "
            "ou un numéro vérifiés lors de votre première connexion."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", **_TEXT}),
        error_messages={
            "required": _(
                "Saisissez votre identifiant, votre adresse électronique ou votre numéro de mobile."
            ),
            "max_length": _("Ce que vous avez saisi est trop long (254 caractères au plus)."),
        },
    )

    def clean_query(self) -> Query:
        return query_parse(str(self.cleaned_data["query"]))


class IdentifierRequestForm(forms.Form):
    contact = forms.CharField(
        label=_("Adresse électronique ou numéro de mobile"),
        max_length=254,
        help_text=_(
            "Celle ou celui que vous avez confirmé lors de votre première connexion, par exemple "
            "jean.dupont@exemple.fr ou 06 12 34 56 78."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "email", **_TEXT}),
        error_messages={
            "required": _("Saisissez votre adresse électronique ou votre numéro de mobile."),
            "max_length": _("Ce que vous avez saisi est trop long (254 caractères au plus)."),
        },
    )
    first_name = forms.CharField(
        label=_("Prénom (facultatif)"),
        max_length=150,
        required=False,
        help_text=_(
            "Si plusieurs comptes utilisent la même adresse ou le même numéro (les enfants et "
            "leurs parents, par exemple), seul l'identifiant de ce prénom vous sera envoyé. "
            "Sinon, vous les recevrez tous."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"max_length": _("Ce prénom est trop long (150 caractères au plus).")},
    )

    def clean_contact(self) -> Query:
        return query_parse(str(self.cleaned_data["contact"]), identifiers=False)


class ProofForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        help_text=_(
            "Il figure sur le courrier remis par votre établissement, par exemple jean.dupont."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", **_TEXT}),
        error_messages={"required": _("Saisissez votre identifiant.")},
    )
    birth_date = forms.CharField(
        label=_("Date de naissance"),
        max_length=20,
        help_text=_(
            "La vôtre ; pour un parent, celle de l'un de vos enfants. Au format JJ/MM/AAAA, "
            "par exemple 14/07/2011."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": _("Saisissez la date de naissance, au format JJ/MM/AAAA."),
            "max_length": _("Saisissez la date au format JJ/MM/AAAA, par exemple 14/07/2011."),
        },
    )

    def clean_birth_date(self) -> date:
        return parse_birth_date(str(self.cleaned_data["birth_date"]))


class HelpRequestForm(forms.Form):
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": _("Saisissez votre nom.")},
    )
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Saisissez votre prénom.")},
    )
    school_class = forms.CharField(
        label=_("Classe"),
        max_length=50,
        required=False,
        help_text=_("Pour un élève, par exemple 4B."),
    )
    children = forms.CharField(
        label=_("Vos enfants"),
        max_length=2000,
        required=False,
        help_text=_(
            "Pour un parent : le nom, le prénom et la classe de chaque enfant, un par ligne."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    establishment = forms.ModelChoiceField(
        label=_("Établissement"),
        queryset=Establishment.objects.none(),
        empty_label=None,
        error_messages={"required": _("Choisissez l'établissement qui traitera votre demande.")},
    )
    delivery = forms.ChoiceField(
        label=_("Comment souhaitez-vous recevoir vos nouveaux codes ?"),
        choices=HelpRequest.Delivery.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez comment recevoir vos nouveaux codes.")},
    )
    email = EmailField(
        label=_("Adresse électronique"),
        required=False,
        help_text=_("Si vous choisissez de recevoir vos codes par courriel."),
    )

    def __init__(
        self,
        *args: Any,
        establishments: list[Establishment],
        guardian: bool,
        student: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["establishment"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = Establishment.objects.filter(pk__in=[e.pk for e in establishments])
        if len(establishments) == 1:
            field.initial = establishments[0].pk
            field.widget = forms.HiddenInput()
        self.guardian = guardian
        if not guardian:
            del self.fields["children"]
        else:
            self.fields["children"].required = True
            self.fields["children"].error_messages["required"] = _(
                "Indiquez le nom, le prénom et la classe de vos enfants : l'établissement "
                "s'en sert pour vérifier votre demande."
            )
        if not student:
            del self.fields["school_class"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("delivery") == HelpRequest.Delivery.EMAIL and not cleaned.get("email"):
            if "email" not in self.errors:
                self.add_error(
                    "email",
                    ValidationError(
                        _(
                            "Indiquez l'adresse électronique où recevoir vos codes, ou choisissez "
                            "de les recevoir sur papier."
                        ),
                        code="email_required",
                    ),
                )
        return cleaned
