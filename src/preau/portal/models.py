"""The service registry: what the ENT opens for each person, and how (CAS, OIDC or a link).

A :class:`Service` belongs to a :class:`Category` (the tile groups of "Mes services"), says who
may open it (profiles and establishments; empty means everyone), where it starts (its launch
address, with ``{uai}`` for services that have one instance per establishment, as PRONOTE
does) and, for CAS, which addresses may receive tickets (:class:`ServicePattern`) and which
attributes are released. OIDC clients (preau.sso.oidc) point at a Service of protocol OIDC.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Establishment, Membership
from preau.portal import patterns


class Category(models.Model):
    name = models.CharField(_("nom"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=100)

    class Meta:
        verbose_name = _("catégorie")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


# DSFR icons offered for tiles (class names of the DSFR's icon utility).
ICONS = [
    ("fr-icon-calendar-line", _("Agenda, emploi du temps")),
    ("fr-icon-book-2-line", _("Cahier, cours")),
    ("fr-icon-survey-line", _("Notes, évaluations")),
    ("fr-icon-mail-line", _("Messagerie")),
    ("fr-icon-chat-3-line", _("Discussion")),
    ("fr-icon-newspaper-line", _("Actualités")),
    ("fr-icon-article-line", _("Documents")),
    ("fr-icon-folder-2-line", _("Dossiers")),
    ("fr-icon-team-line", _("Vie scolaire")),
    ("fr-icon-school-line", _("Établissement")),
    ("fr-icon-briefcase-line", _("Orientation, stages")),
    ("fr-icon-road-map-line", _("Ressources")),
    ("fr-icon-global-line", _("Site web")),
    ("fr-icon-links-line", _("Lien")),
]


class Service(models.Model):
    class Protocol(models.TextChoices):
        CAS = "cas", _("CAS")
        OIDC = "oidc", _("OpenID Connect")
        LINK = "link", _("Lien simple")

    class AttributePreset(models.TextChoices):
        PRONOTE = "pronote", _("PRONOTE (nom, prenom, dateNaissance, codePostal, categories)")
        GENERIC = (
            "generic",
            _("Générique (identifiant, noms, profil, UAI, classes, enfants, courriel)"),
        )

    name = models.CharField(_("nom"), max_length=100)
    slug = models.SlugField(_("identifiant court"), max_length=60, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="services", verbose_name=_("catégorie")
    )
    icon = models.CharField(_("icône"), max_length=60, choices=ICONS, default="fr-icon-links-line")
    description = models.CharField(_("description"), max_length=300, blank=True)
    protocol = models.CharField(
        _("protocole"), max_length=10, choices=Protocol.choices, default=Protocol.CAS
    )
    launch_url = models.CharField(
        _("adresse d'accès"),
        max_length=1000,
        blank=True,
        help_text=_(
            "L'adresse ouverte par la tuile. {uai} y est remplacé par l'UAI de l'établissement "
            "courant (PRONOTE : https://{uai}.index-education.net/pronote/)."
        ),
    )
    allowed_profiles = models.JSONField(
        _("profils autorisés"),
        default=list,
        blank=True,
        help_text=_("Aucun profil coché : tous les profils."),
    )
    establishments = models.ManyToManyField(
        Establishment,
        blank=True,
        related_name="+",
        verbose_name=_("établissements autorisés"),
        help_text=_("Aucun établissement choisi : tous les établissements."),
    )
    attribute_preset = models.CharField(
        _("attributs transmis"),
        max_length=10,
        choices=AttributePreset.choices,
        default=AttributePreset.GENERIC,
    )
    single_logout = models.BooleanField(
        _("déconnexion unique"),
        default=True,
        help_text=_("Prévenir le service (LogoutRequest CAS) quand la personne se déconnecte."),
    )
    proxy_allowed = models.BooleanField(
        _("proxy CAS autorisé"),
        default=False,
        help_text=_("Le service peut obtenir des tickets pour d'autres services (pgtUrl)."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    order = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        ordering = ["category__order", "order", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [p for p in self.allowed_profiles or [] if p not in Membership.Profile.values]
        if unknown:
            raise ValidationError({"allowed_profiles": _("Profil inconnu.")})
        if self.launch_url:
            sample = self.launch_url.replace("{uai}", "0750654d")
            if "{" in sample or "}" in sample:
                raise ValidationError(
                    {"launch_url": _("Seul le paramètre {uai} est reconnu dans l'adresse.")}
                )
            if not patterns.is_absolute_http(sample):
                raise ValidationError(
                    {"launch_url": _("Saisissez une adresse complète commençant par https://.")}
                )
        elif self.protocol == self.Protocol.LINK:
            raise ValidationError({"launch_url": _("Un lien simple a besoin d'une adresse.")})

    def launch_url_for(self, establishment: Establishment | None) -> str:
        """The launch address for a person whose current establishment is ``establishment``.

        PRONOTE's addresses carry the UAI in lower case (``0750654d.index-education.net``).
        """
        uai = establishment.uai.lower() if establishment is not None else ""
        return self.launch_url.replace("{uai}", uai)


class ServicePattern(models.Model):
    """An address (or family of addresses) of a service: where tickets and redirections go."""

    class Kind(models.TextChoices):
        EXACT = patterns.EXACT, _("adresse exacte")
        PREFIX = patterns.PREFIX, _("préfixe")
        REGEX = patterns.REGEX, _("expression régulière")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="patterns")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PREFIX)
    value = models.CharField(_("adresse ou motif"), max_length=patterns.MAX_LENGTH)

    class Meta:
        verbose_name = _("adresse du service")
        verbose_name_plural = _("adresses du service")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["service", "kind", "value"], name="pattern_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    def clean(self) -> None:
        try:
            self.value = patterns.pattern_validate(self.kind, self.value)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from exc

    def matches(self, url: str) -> bool:
        return patterns.pattern_matches(self.kind, self.value, url)


class SitePage(models.Model):
    """A page of the footer written by the operator (admin at /operateur/): the legal notice,
    the accessibility statement, the personal data page and the help page. Until the operator
    writes one, :mod:`preau.portal.site_pages` shows a default text."""

    class Kind(models.TextChoices):
        LEGAL_NOTICE = "mentions-legales", _("Mentions légales")
        ACCESSIBILITY = "accessibilite", _("Accessibilité")
        PERSONAL_DATA = "donnees-personnelles", _("Données personnelles")
        HELP = "aide", _("Aide")

    class Conformity(models.TextChoices):
        # RGAA: the footer says "Accessibilité : totalement / partiellement / non conforme";
        # without an audit the service is "non conforme".
        FULL = "totalement", _("totalement conforme")
        PARTIAL = "partiellement", _("partiellement conforme")
        NONE = "non", _("non conforme")

    kind = models.CharField(_("page"), max_length=30, choices=Kind.choices, unique=True)
    title = models.CharField(
        _("titre"),
        max_length=200,
        blank=True,
        help_text=_("Vide : le titre habituel de la page (« Mentions légales »…)."),
    )
    body = models.TextField(
        _("texte"),
        help_text=_(
            "Texte simple : une ligne vide sépare deux paragraphes ; une ligne commençant par "
            "« ## » est un intertitre, par « - » un élément de liste ; les adresses https://… "
            "deviennent des liens."
        ),
    )
    conformity = models.CharField(
        _("état de conformité au RGAA"),
        max_length=15,
        choices=Conformity.choices,
        default=Conformity.NONE,
        help_text=_(
            "Page « Accessibilité » seulement : affiché dans le pied de page de chaque page. "
            "Sans audit, le service est « non conforme »."
        ),
    )
    updated_at = models.DateTimeField(_("mise à jour"), auto_now=True)

    class Meta:
        verbose_name = _("page du pied de page")
        verbose_name_plural = _("pages du pied de page")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.Kind(self.kind).label)
