"""First connection: the charter and its versions, acceptances, the journey, e-mail and mobile
proofs."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CharterVersion(models.Model):
    """One version of the charter (conditions d'utilisation). Published versions are frozen:
    the text someone accepted is the text kept. The current version is the latest published."""

    number = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    title = models.CharField(_("titre"), max_length=200, default=_("Charte d'utilisation"))
    body = models.TextField(
        _("texte"),
        help_text=_("Texte brut : une ligne vide sépare deux paragraphes."),
    )
    created_at = models.DateTimeField(_("créée le"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("version de la charte")
        verbose_name_plural = _("versions de la charte")
        ordering = ["-number"]
        indexes: ClassVar = [models.Index(fields=["published_at"], name="charter_published_idx")]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class CharterAcceptance(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="charter_acceptances"
    )
    version = models.ForeignKey(
        CharterVersion, on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_at = models.DateTimeField(_("acceptée le"))
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptation de la charte")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "version"], name="charter_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} v{self.version_id}"


class ActivationJourney(models.Model):
    """Where one person stands in the first connection (kept across sessions and devices)."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="activation_journey",
    )
    started_at = models.DateTimeField()
    password_updated_at = models.DateTimeField(null=True, blank=True)
    birth_date_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The child a guardian is asked about: chosen once, so that reloading the page does not
    # let a guesser pick another child.
    birth_date_subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Wrong birth dates typed in this journey (a new activation code starts a new journey):
    # at PREAU["BIRTH_DATE_MAX_FAILURES"] the step is blocked for good.
    birth_date_failures = models.PositiveSmallIntegerField(default=0)
    birth_date_blocked_at = models.DateTimeField(null=True, blank=True)
    contact_updated_at = models.DateTimeField(null=True, blank=True)
    email_step_seen_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("première connexion")
        verbose_name_plural = _("premières connexions")

    def __str__(self) -> str:
        return str(self.account_id)


class EmailVerification(models.Model):
    """A single-use link proving an e-mail address. Only the token's keyed digest is stored."""

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", _("première connexion")
        CHANGE = "change", _("changement d'adresse")

    class EndReason(models.TextChoices):
        USED = "used", _("utilisé")
        SUPERSEDED = "superseded", _("remplacé par un lien plus récent")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_verifications"
    )
    email = models.EmailField(_("adresse"))
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("preuve d'adresse électronique")
        indexes: ClassVar = [
            models.Index(fields=["account", "created_at"], name="email_verification_acct_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.email}"


class MobileProof(models.Model):
    """A 6-digit code sent by SMS to prove a mobile number (single use, short-lived)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_proofs"
    )
    mobile = models.CharField(_("numéro"), max_length=20)
    code_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recovery_mobileproof"  # born in the recovery app (moved in state only)
        verbose_name = _("preuve de numéro de mobile")
        indexes: ClassVar = [
            models.Index(fields=["account", "created_at"], name="mobile_proof_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.mobile}"


class SignUp(models.Model):
    """A parent's sign-up by SMS (``preau.activation.signup``): what was typed, what the task
    found, and each step done, bound to one browser by a random handle (its digest here).

    The account itself is changed only at the last step; until then everything lives on this
    row. The typed names are cleared once the task has processed the request; the number stays
    (a code is only good for the number it went to).

    The same journey, up to the children's birth dates, is a parent's proof of the account
    before a federated identity is linked to it (``purpose`` LINK, ``preau.federation``): the
    code then goes to an ACTIVE guardian too, and the end links instead of activating.
    """

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("création du compte")
        LINK = "link", _("preuve du compte avant de lier une identité FranceConnect ou EduConnect")

    class Outcome(models.TextChoices):
        CODE = "code", _("code envoyé")
        IDENTIFIER = "identifier", _("identifiant rappelé")
        NONE = "none", _("aucun responsable")
        AMBIGUOUS = "ambiguous", _("plusieurs responsables")
        DEACTIVATED = "deactivated", _("compte désactivé")
        # A LINK proof for an ACTIVE account whose owner never proved this mobile: the school's
        # number alone does not open an active account to another way in (the password does).
        UNVERIFIED = "unverified", _("mobile non confirmé par le titulaire")
        THROTTLED = "throttled", _("envoi ralenti")
        EXPIRED = "expired", _("traitée trop tard")
        ERROR = "error", _("erreur")

    class EndReason(models.TextChoices):
        DONE = "done", _("terminée")
        CODE_EXHAUSTED = "code", _("trop de codes erronés")
        BIRTH_DATES = "birth_dates", _("trop de dates erronées")
        NO_BIRTH_DATE = "no_birth_date", _("date de naissance inconnue")
        REFUSED = "refused", _("compte changé entre-temps")
        LINK_EXPIRED = "link_expired", _("identité à lier expirée")
        LINK_TAKEN = "link_taken", _("identité déjà liée à un autre compte")

    handle_digest = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.SIGNUP)
    # A LINK proof's federation, as its SMS names it ("FranceConnect").
    link_provider = models.CharField(max_length=32, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    mobile = models.CharField(max_length=20)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signups",
    )
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    code_verified_at = models.DateTimeField(null=True, blank=True)
    birth_date_failures = models.PositiveSmallIntegerField(default=0)
    birth_dates_confirmed_at = models.DateTimeField(null=True, blank=True)
    charter_version = models.ForeignKey(
        CharterVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    charter_accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=14, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("inscription par SMS")
        verbose_name_plural = _("inscriptions par SMS")
        indexes: ClassVar = [
            models.Index(fields=["processed_at", "created_at"], name="signup_unprocessed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.created_at:%Y-%m-%d %H:%M}"
