"""Forgotten identifiers and passwords, help requests to the school, password changes it asks for.

Secrets are never stored: a reset link's token, an SMS code and the grant that follows a right
code are kept as keyed SHA-256 digests (see :mod:`preau.recovery.secrets`). Each reset also keeps
a keyed fingerprint of the account's password and contact as they were when it was sent: any
password change (or a change of the address or number it went to) kills it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RecoveryRequest(models.Model):
    """What someone typed on a "forgotten" page, waiting for the task that acts on it.

    The page only stores this row and answers; looking the account up and sending the message
    happen in a task. The page's answer, its database work and so its response time are
    therefore the same whether an account matches or not. What was typed is cleared as soon as
    the task has run.
    """

    class Kind(models.TextChoices):
        PASSWORD = "password", _("mot de passe oublié")
        IDENTIFIER = "identifier", _("identifiant oublié")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    query = models.CharField(_("saisie"), max_length=254, blank=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    # Keyed digest of the random handle kept in the asker's session: SMS codes sent for this
    # request are checked against it (a code typed in another browser is not accepted).
    handle_digest = models.CharField(max_length=64, blank=True, editable=False)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("reçue le"), db_index=True)
    processed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    # For the operator: "sent", "none" (nothing matched or nothing verified), "throttled"…
    outcome = models.CharField(_("résultat"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("demande de récupération")
        verbose_name_plural = _("demandes de récupération")
        indexes: ClassVar = [
            models.Index(
                fields=["created_at"],
                name="recovery_request_pending_idx",
                condition=Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class PasswordReset(models.Model):
    """A single-use permission to choose a new password, sent by e-mail (a link) or by SMS (a
    6-digit code, then, once typed right, a grant kept in the session)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("courriel")
        SMS = "sms", _("SMS")

    class EndReason(models.TextChoices):
        USED = "used", _("utilisé")
        SUPERSEDED = "superseded", _("remplacé par une demande plus récente")
        TOO_MANY_ATTEMPTS = "attempts", _("trop d'essais")
        REVOKED = "revoked", _("révoqué (nouveau mot de passe, nouveau code ou désactivation)")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_resets"
    )
    recovery_request = models.ForeignKey(
        RecoveryRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices)
    # The address or E.164 number it went to.
    destination = models.CharField(_("destinataire"), max_length=254)
    # E-mail: the link token's digest. SMS: the request handle's digest, then the grant's once
    # the code is right.
    lookup_digest = models.CharField(max_length=64, db_index=True, editable=False)
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("envoyé le"))
    expires_at = models.DateTimeField(_("expire le"))
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    code_verified_at = models.DateTimeField(_("code vérifié le"), null=True, blank=True)
    ended_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("réinitialisation de mot de passe")
        verbose_name_plural = _("réinitialisations de mot de passe")
        indexes: ClassVar = [
            models.Index(fields=["account", "created_at"], name="password_reset_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.channel} {self.created_at:%Y-%m-%d %H:%M}"


class HelpRequest(models.Model):
    """Someone who proved an account (identifier + birth date) but has no verified e-mail or
    mobile asks their school for new codes; or Préau tells the school that a first connection
    is blocked (the birth date was refused too many times), or that a guardian's link to one
    of its pupils was frozen (wrong birth dates) or refused by the guardian (``guardianship``,
    the link: the school checks its files)."""

    class Reason(models.TextChoices):
        NEW_CODES = "new_codes", _("Nouveaux codes demandés")
        BIRTH_DATE_REFUSED = "birth_date", _("Date de naissance refusée")
        # A guardian's pending link to a child (preau.directory.guardianships): three wrong
        # birth dates froze it, or the guardian said the child is not theirs.
        LINK_FROZEN = "link_frozen", _("Rattachement d’un enfant bloqué")
        LINK_REFUSED = "link_refused", _("Enfant refusé par un responsable")

    class Status(models.TextChoices):
        NEW = "new", _("Nouvelle")
        IN_PROGRESS = "in_progress", _("En cours")
        DONE = "done", _("Traitée")

    class Delivery(models.TextChoices):
        EMAIL = "email", _("Par courriel")
        PAPER = "paper", _("Sur papier")

    establishment = models.ForeignKey(
        "directory.Establishment", on_delete=models.CASCADE, related_name="help_requests"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="help_requests",
    )
    reason = models.CharField(
        _("motif"), max_length=12, choices=Reason.choices, default=Reason.NEW_CODES
    )
    guardianship = models.ForeignKey(
        "directory.Guardianship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lien avec l’enfant"),
    )
    # Kept as typed, and the identifier too: the request outlives a deleted account.
    login = models.CharField(_("identifiant"), max_length=64)
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150)
    school_class = models.CharField(_("classe"), max_length=50, blank=True)
    children = models.TextField(_("enfants (nom, prénom, classe)"), blank=True)
    delivery = models.CharField(
        _("réception des nouveaux codes"), max_length=8, choices=Delivery.choices
    )
    email = models.EmailField(_("adresse électronique indiquée"), blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("reçue le"))
    updated_at = models.DateTimeField(_("modifiée le"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("traitée par"),
    )
    handled_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    # What the school did: "letter", "email", "sms"… (see recovery.services).
    resolution = models.CharField(_("suite donnée"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("demande d'aide")
        verbose_name_plural = _("demandes d'aide")
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["establishment", "status", "created_at"], name="help_request_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.login} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE

    @property
    def about_child(self) -> bool:
        """A guardian's link to a child reported by Préau: no code to hand over."""
        return self.reason in (self.Reason.LINK_FROZEN, self.Reason.LINK_REFUSED)


class PasswordChangeDemand(models.Model):
    """The school asks this person to choose a new password at their next sign-in.

    The demand holds until a password is chosen after ``demanded_at`` (a row of the account's
    password history newer than it: see ``recovery.selectors.password_change_demanded``), so a
    hash upgraded at sign-in does not count as a change.
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="password_change_demand",
    )
    demanded_at = models.DateTimeField(_("demandé le"))
    demanded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("demandé par"),
    )

    class Meta:
        verbose_name = _("changement de mot de passe demandé")
        verbose_name_plural = _("changements de mot de passe demandés")

    def __str__(self) -> str:
        return str(self.account_id)
