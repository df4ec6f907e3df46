"""Forms of the console: they parse and validate input, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.console.models import PendingImport
from preau.console.services import import_max_bytes, megabytes
from preau.directory.models import Account, Membership
from preau.signin.forms import EmailField


def _class_choices(classes: list[str], empty_label: str) -> list[tuple[str, str]]:
    return [("", empty_label), *[(code, code) for code in classes]]


class AccountSearchForm(forms.Form):
    q = forms.CharField(label=_("Nom, prénom ou identifiant"), required=False, max_length=100)
    classe = forms.ChoiceField(label=_("Classe"), required=False)
    profil = forms.ChoiceField(
        label=_("Profil"),
        required=False,
        choices=[("", _("Tous les profils")), *Membership.Profile.choices],
    )
    etat = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[("", _("Tous les états")), *Account.State.choices],
    )

    def __init__(self, *args: Any, classes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classe"].choices = _class_choices(classes, str(_("Toutes les classes")))  # type: ignore[attr-defined]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type de fichier"),
        choices=PendingImport.Kind.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("Export CSV de votre logiciel de scolarité, séparé par « ; » ou « , »."),
    )
    full = forms.BooleanField(
        label=_("Import complet"),
        required=False,
        help_text=_(
            "Le fichier contient toutes les personnes de ce type : celles qui n'y figurent "
            "plus quittent l'établissement (leur compte n'est pas supprimé)."
        ),
    )
    skip_invalid = forms.BooleanField(
        label=_("Ignorer les lignes invalides"),
        required=False,
        help_text=_(
            "Importer les lignes correctes et lister les autres. Sans cette option, une seule "
            "ligne invalide empêche tout l'import."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = import_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "Le fichier pèse %(size)s Mo ; la taille maximale est de %(max)s Mo. "
                    "Découpez-le ou exportez seulement les classes utiles."
                ),
                code="too_large",
                params={"size": megabytes(upload.size), "max": megabytes(limit)},
            )
        return upload


class LettersForm(forms.Form):
    PROFILES = (
        ("student", _("Élèves")),
        ("guardian", _("Responsables légaux")),
        ("staff", _("Personnels")),
    )

    school_class = forms.ChoiceField(label=_("Classe"), required=False)
    profile = forms.ChoiceField(
        label=_("Profil"), choices=PROFILES, widget=forms.RadioSelect, initial="student"
    )
    pending_only = forms.BooleanField(
        label=_("Seulement les comptes non activés"), required=False, initial=True
    )

    def __init__(self, *args: Any, classes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = _class_choices(  # type: ignore[attr-defined]
            classes, str(_("Toutes les classes"))
        )


REISSUE_DELIVERIES = [
    ("letter", _("Sur un courrier à imprimer (PDF)")),
    ("email", _("Par courriel")),
    ("sms", _("Par SMS")),
]


class ReissueForm(forms.Form):
    """The console's choice of how a new activation code reaches its owner."""

    delivery = forms.ChoiceField(
        label=_("Remettre le nouveau code"),
        choices=REISSUE_DELIVERIES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez comment remettre le nouveau code.")},
    )
    email = EmailField(label=_("Adresse électronique"), required=False)
    help_request = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, email_choices: bool, sms: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["delivery"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        allowed = {"letter"} | ({"email"} if email_choices else set()) | ({"sms"} if sms else set())
        field.choices = [c for c in REISSUE_DELIVERIES if c[0] in allowed]
        field.initial = "letter"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        wants_email = cleaned.get("delivery") == "email"
        if wants_email and not cleaned.get("email") and "email" not in self.errors:
            self.add_error(
                "email",
                ValidationError(
                    _("Indiquez l'adresse électronique où envoyer le code."), code="email_required"
                ),
            )
        return cleaned
