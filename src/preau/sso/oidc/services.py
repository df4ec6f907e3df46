"""Writes of the OpenID Connect provider (django-oauth-toolkit writes its own codes and tokens).

Each function runs in one transaction and writes its audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken
from oauth2_provider.settings import oauth2_settings

from preau.audit.services import audit_event_build, audit_record, audit_record_many
from preau.directory.models import Account, Establishment
from preau.sso.oidc.models import CodeSignIn, RedeemedCode, Subject


def _new_sub() -> str:
    # 128 random bits, URL-safe: opaque to the client (see Subject).
    return secrets.token_urlsafe(16)


def subject_ensure(*, account: Account, application: Any) -> Subject:
    """The person's ``sub`` for this client, drawn the first time (no audit event of its own:
    it is drawn when a code is issued, which :func:`authorization_record` records)."""
    existing = Subject.objects.filter(account=account, application=application).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Subject.objects.create(account=account, application=application, sub=_new_sub())
    except IntegrityError:
        # Two first sign-ins at once: the other one drew it.
        return Subject.objects.get(account=account, application=application)


def authorization_record(
    *,
    actor: Account,
    application: Any,
    scopes: list[str],
    establishment: Establishment | None,
    request: HttpRequest,
    consent: str,
) -> Subject:
    """A code is being issued to ``application`` for ``actor``: remember the establishment the
    ``ent`` claims will describe, and record the event. ``consent`` says how the person agreed
    ("skipped" for a first-party service, "given" on the consent page, "remembered")."""
    with transaction.atomic():
        subject = subject_ensure(account=actor, application=application)
        subject.establishment = establishment
        subject.authorized_at = timezone.now()
        subject.save(update_fields=["establishment", "authorized_at"])
        audit_record(
            action="oidc.authorize",
            actor=actor,
            target=actor,
            establishment=establishment,
            request=request,
            data={
                "client_id": application.client_id,
                "client": application.name,
                "scopes": sorted(scopes),
                "consent": consent,
            },
        )
    return subject


def authorization_deny_record(*, actor: Account, application: Any, request: HttpRequest) -> None:
    """The person refused to share their data with ``application`` on the consent page."""
    audit_record(
        action="oidc.deny",
        actor=actor,
        target=actor,
        request=request,
        data={"client_id": application.client_id, "client": application.name},
    )


def code_digest(code: str) -> str:
    return salted_hmac("preau.sso.oidc.code", code, algorithm="sha256").hexdigest()


def token_checksum(token: str) -> str:
    """How django-oauth-toolkit finds a token by its value (an unkeyed SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _redeemed_lifetime() -> dt.timedelta:
    return dt.timedelta(
        seconds=int(oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        + int(oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS or 0)
    )


def code_sign_in_record(*, code: str, application: Any, signed_in_at: dt.datetime | None) -> None:
    """The code just issued to ``application`` was approved in a session opened at
    ``signed_in_at`` (see :class:`~preau.sso.oidc.models.CodeSignIn`). Nothing is kept when
    the session does not say (a session opened before Préau recorded it)."""
    if signed_in_at is None:
        return
    grant = Grant.objects.filter(code=code, application=application).only("pk").first()
    if grant is not None:
        CodeSignIn.objects.create(grant=grant, signed_in_at=signed_in_at)


def code_redeemed_record(
    *,
    code: str,
    application: Any,
    account: Any,
    access_token: str,
    refresh_token: str,
    signed_in_at: dt.datetime | None = None,
) -> None:
    """Remember that ``code`` was exchanged, and for which tokens, while they may live (no
    audit event: the authorization was recorded when the code was issued), with the sign-in
    the code carried. Rows past their time are deleted on the way."""
    now = timezone.now()
    family = None
    if refresh_token:
        family = (
            RefreshToken.objects.filter(token_checksum=token_checksum(refresh_token))
            .values_list("token_family", flat=True)
            .first()
        )
    with transaction.atomic():
        RedeemedCode.objects.filter(expires_at__lt=now).delete()
        RedeemedCode.objects.create(
            code_digest=code_digest(code),
            application=application,
            account=account if getattr(account, "pk", None) else None,
            token_family=family,
            access_token_checksum=token_checksum(access_token) if access_token else "",
            signed_in_at=signed_in_at,
            expires_at=now + _redeemed_lifetime(),
        )


def refresh_signed_in_at(*, token_family: Any) -> dt.datetime | None:
    """When the person signed in to approve the code that started this refresh-token family
    (the ``auth_time`` of the ID token a refresh gives); None when unknown. The family lives
    on with each refresh, so its record does too: a replay of the code still revokes it."""
    if token_family is None:
        return None
    redeemed = RedeemedCode.objects.filter(token_family=token_family).first()
    if redeemed is None:
        return None
    redeemed.expires_at = timezone.now() + _redeemed_lifetime()
    redeemed.save(update_fields=["expires_at"])
    return redeemed.signed_in_at


def code_replay_revoke(*, code: str, application: Any) -> bool:
    """``code`` was presented again: revoke every token its first exchange gave (the refresh
    family and its access tokens) and record the event. False when the code was never
    exchanged (garbage or an expired code: nothing to revoke)."""
    redeemed = (
        RedeemedCode.objects.filter(code_digest=code_digest(code), application=application)
        .select_related("account")
        .first()
    )
    if redeemed is None:
        return False
    with transaction.atomic():
        if redeemed.token_family is not None:
            RefreshToken.revoke_family(redeemed.token_family)
        if redeemed.access_token_checksum:
            AccessToken.objects.filter(token_checksum=redeemed.access_token_checksum).delete()
        audit_record(
            action="oidc.code_replayed",
            actor=None,
            target=redeemed.account,
            data={"client_id": application.client_id, "client": application.name},
        )
    return True


@dataclass(frozen=True)
class TokensRevoked:
    """What :func:`tokens_revoke` took away: how many accounts had live tokens, and the
    access and refresh tokens revoked."""

    accounts: int = 0
    access_tokens: int = 0
    refresh_tokens: int = 0


def _per_account(queryset: Any) -> dict[int, int]:
    rows = queryset.order_by().values("user_id").annotate(n=Count("pk")).values_list("user_id", "n")
    return {int(user_id): int(n) for user_id, n in rows}


def tokens_revoke(*, account_ids: Iterable[int], reason: str) -> TokensRevoked:
    """Revoke every OpenID Connect credential of the accounts: access tokens and ID tokens
    (deleted, which is django-oauth-toolkit's own revocation of them), refresh tokens (marked
    revoked, so that the token endpoint refuses them and a replay is recognised as reuse) and
    codes not exchanged yet (deleted). One audit event per account that had live tokens.

    A constant number of queries whatever the number of accounts: a reprint of letters
    reissues thousands of accounts at once, most of which never signed in to a service.
    Call it inside the transaction of the act that replaces the accounts' secrets."""
    ids = sorted({int(pk) for pk in account_ids})
    if not ids:
        return TokensRevoked()
    with transaction.atomic():
        access = _per_account(AccessToken.objects.filter(user_id__in=ids))
        live = RefreshToken.objects.filter(user_id__in=ids, revoked__isnull=True)
        refresh = _per_account(live)
        if refresh:
            now = timezone.now()
            try:
                # ``updated`` is ``auto_now``, which a queryset update does not set. Refresh
                # tokens first, then access tokens: the order of django-oauth-toolkit's own
                # revocation, so that a concurrent refresh cannot deadlock against this one.
                with transaction.atomic():
                    live.update(revoked=now, updated=now)
            except IntegrityError:
                # Two live refresh tokens with one checksum cannot share a ``revoked`` time
                # (uniqueness is (token_checksum, revoked)): django-oauth-toolkit's own
                # fallback, one timestamp per row (see RefreshToken.revoke_family).
                for token in live:
                    token.revoke()
        if access:
            # ``RefreshToken.access_token`` is SET_NULL: the pointers are cleared on the way.
            AccessToken.objects.filter(user_id__in=ids).delete()
        # ID tokens (their access tokens are deleted with them) and unexchanged codes.
        IDToken.objects.filter(user_id__in=ids).delete()
        Grant.objects.filter(user_id__in=ids).delete()
        affected = sorted(set(access) | set(refresh))
        if affected:
            accounts = Account.objects.filter(pk__in=affected).only("pk", "login").order_by("pk")
            audit_record_many(
                audit_event_build(
                    action="oidc.tokens_revoke",
                    actor=None,
                    target=account,
                    data={
                        "reason": str(reason),
                        "access_tokens": access.get(account.pk, 0),
                        "refresh_tokens": refresh.get(account.pk, 0),
                    },
                )
                for account in accounts
            )
    return TokensRevoked(
        accounts=len(affected),
        access_tokens=sum(access.values()),
        refresh_tokens=sum(refresh.values()),
    )
