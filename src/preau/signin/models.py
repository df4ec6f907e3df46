"""What the sign-in keeps beside the directory's Account: the record of each signed-in
session and the account's past passwords.

A session itself lives in Django's session store (:mod:`preau.signin.session_store`); its
record says whose it is, from where, since when and how it ended, for the list in "Mon compte"
and for ending it from elsewhere. Both models were born in the account app and keep its tables.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionRecord(models.Model):
    """One signed-in session (a Django session key), for the list in "Mon compte" and for
    signing out everywhere else. The session itself lives in Django's session store."""

    class EndReason(models.TextChoices):
        SIGNOUT = "signout", _("déconnexion")
        ELSEWHERE = "elsewhere", _("déconnexion à distance")
        PASSWORD = "password", _("changement de mot de passe")
        TIMEOUT = "timeout", _("expiration")
        REISSUE = "reissue", _("nouveau code d'activation")
        DEACTIVATED = "deactivated", _("compte désactivé")
        MERGED = "merged", _("compte fusionné dans un autre")

    # Indexed with ended_at (session_record_open_idx); the key by a plain unique constraint
    # (unique=True would add a second, pattern-matching index on PostgreSQL). A sign-in
    # writes one record: each index is one more write.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="session_records",
        db_index=False,
    )
    session_key = models.CharField(max_length=40)
    created_at = models.DateTimeField(_("ouverte le"))
    last_seen_at = models.DateTimeField(_("dernière activité"))
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=255, blank=True)
    ended_at = models.DateTimeField(_("fermée le"), null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        db_table = "account_sessionrecord"  # born in the account app (moved in state only)
        verbose_name = _("session")
        indexes: ClassVar = [
            models.Index(fields=["account", "ended_at"], name="session_record_open_idx")
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session_key"], name="session_record_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.created_at:%Y-%m-%d %H:%M}"


class PasswordHistory(models.Model):
    """The hash of a password this account had (the current one included), newest last.

    A new password is compared with the last ``PREAU["PASSWORD_HISTORY"]`` of them.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=255)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "account_passwordhistory"  # born in the account app (moved in state only)
        verbose_name = _("ancien mot de passe")
        indexes: ClassVar = [
            models.Index(fields=["account", "-created_at"], name="password_history_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.created_at:%Y-%m-%d}"
