"""Authentication of local accounts: password, or activation code before the first connection."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils import timezone

from preau.directory.activation_codes import activation_code_matches
from preau.directory.models import Account


class AccountBackend(ModelBackend):
    """``login`` + password for an active account; ``login`` + activation code for a pending one.

    Both paths cost one Argon2 computation, whether or not the login exists, so response times
    do not reveal which identifiers exist.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Account | None:
        if not username or not password:
            return None
        try:
            account = Account.objects.get(login=username.strip().lower())
        except Account.DoesNotExist:
            make_password(password)  # same cost as a real check
            return None
        if account.state == Account.State.PROVISIONED:
            make_password(password)
            expires = account.activation_expires_at
            if (
                expires is not None
                and expires > timezone.now()
                and activation_code_matches(password, account.activation_code_digest)
            ):
                return account
            return None
        if account.check_password(password) and self.user_can_authenticate(account):
            return account
        return None
