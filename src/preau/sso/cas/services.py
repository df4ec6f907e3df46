"""The CAS server's writes: SSO sessions, ticket issuance and validation, proxying, logout.

Every function here is the one place its rule is kept:

- a service ticket is issued only to a signed-in person whose required actions are done
  (the login view checks first and sends them through the journey; this module refuses anyway)
  and whom the service's profiles and establishments allow;
- a ticket is consumed by one conditional UPDATE, whatever the outcome of its validation (§3.1.1),
  so two nodes racing on the same ticket cannot both succeed;
- single logout reads the services that validated a ticket in the SSO session and sends them
  the LogoutRequest in the background (preau.sso.cas.slo).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from preau.audit.services import audit_record
from preau.conf import preau_setting
from preau.directory.models import Account, Membership
from preau.directory.selectors import ESTABLISHMENT_SESSION_KEY
from preau.portal.registry import RegisteredService, registry_get, registry_match
from preau.sso.cas import tickets
from preau.sso.cas.attributes import MembershipRow, attributes_release, membership_rows
from preau.sso.cas.errors import CasError, Code
from preau.sso.cas.models import ProxyGrantingTicket, ServiceTicket, SsoSession
from preau.sso.cas.proxy import callback_deliver
from preau.sso.cas.responses import Success
from preau.sso.cas.slo import LogoutTarget, logout_dispatch

logger = logging.getLogger(__name__)

# In the Django session: the SSO session's row id, its owner and its TGT.
SSO_SESSION_KEY = "preau_cas_sso"
# When the person last presented primary credentials (for renew=true, see the login view).
PRIMARY_AUTH_KEY = "preau_cas_primary_at"
# The person's memberships (with classes) for access checks and attributes, refreshed often.
MEMBERSHIPS_KEY = "preau_cas_memberships"
# The logins the person's establishments' services know them by, when not theirs (a merge).
SERVICE_LOGINS_KEY = "preau_cas_service_logins"


class NotAllowed(Exception):  # noqa: N818 - a refusal, not a crash
    """The service is not open to this person (profile or establishment)."""


def _ticket_lifetime() -> timedelta:
    return timedelta(seconds=int(preau_setting("CAS_TICKET_SECONDS")))


def normalize_service_url(url: str) -> str:
    """Scheme and host in lower case: ``HTTPS://Pronote.fr/x`` and ``https://pronote.fr/x`` are
    the same service address; the rest is compared as written."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


# --- SSO session (TGT) ------------------------------------------------------------------------


def sso_session_for(*, request: HttpRequest, now: datetime) -> tuple[int, datetime | None]:
    """The SSO session of this signed-in browser (its id and when the person signed in),
    created at its first ticket."""
    session = request.session
    account = request.user
    if not isinstance(account, Account):
        raise NotAllowed("not signed in")
    held = session.get(SSO_SESSION_KEY)
    if isinstance(held, dict) and held.get("account") == account.pk and held.get("id"):
        at = held.get("authenticated_at")
        return int(held["id"]), datetime.fromisoformat(at) if at else None
    tgt = tickets.ticket_new(tickets.GRANTING)
    from preau.signin.timeouts import SIGNED_IN_AT

    signed_in = session.get(SIGNED_IN_AT)
    authenticated_at = datetime.fromtimestamp(float(signed_in), tz=now.tzinfo) if signed_in else now
    row = SsoSession.objects.create(
        digest=tickets.ticket_digest(tgt),
        account=account,
        authenticated_at=authenticated_at,
        created_at=now,
        expires_at=now + timedelta(seconds=int(preau_setting("CAS_SSO_SESSION_SECONDS"))),
    )
    session[SSO_SESSION_KEY] = {
        "id": row.pk,
        "account": account.pk,
        "tgt": tgt,
        "authenticated_at": authenticated_at.isoformat(),
    }
    return int(row.pk), authenticated_at


def _establishment_for(
    service: RegisteredService, rows: list[MembershipRow], chosen_uai: Any
) -> int | None:
    """The establishment the ticket speaks of: the current one ("Mes portails") when the
    service is open to the person there, else the first where it is."""
    allowed = [(pk, uai) for pk, profile, uai, _code in rows if service.allows([(pk, profile)])]
    chosen = next((pk for pk, uai in allowed if uai == chosen_uai), None)
    if chosen is not None:
        return chosen
    return allowed[0][0] if allowed else None


def _snapshot(  # noqa: PLR0913 - the ticket's whole context
    account: Account,
    service: RegisteredService,
    establishment_id: int | None,
    rows: list[MembershipRow],
    authenticated_at: datetime | None,
    *,
    service_logins: dict[str, str] | None = None,
) -> dict[str, Any]:
    attributes = attributes_release(account, service.attribute_preset, establishment_id, rows)
    # The user the establishment's services know the person by (an account merged into this
    # one keeps its login there: see preau.directory.merges), else the login.
    user = (service_logins or {}).get(str(establishment_id)) or account.login
    if "uid" in attributes:
        attributes["uid"] = [user]
    return {
        "user": user,
        "attributes": attributes,
        "authenticated_at": authenticated_at.isoformat() if authenticated_at else None,
    }


def service_logins(account: Account) -> dict[str, str]:
    """``{establishment id: service login}`` of the account's memberships that carry one."""
    return {
        str(establishment_id): login
        for establishment_id, login in Membership.objects.filter(account=account)
        .exclude(service_login="")
        .values_list("establishment_id", "service_login")
    }


def _service_logins_cached(request: HttpRequest, account: Account) -> dict[str, str]:
    """:func:`service_logins`, kept in the session as the memberships are."""
    held = request.session.get(SERVICE_LOGINS_KEY)
    now = time.time()
    ttl = float(preau_setting("CAS_MEMBERSHIP_CACHE_SECONDS"))
    if (
        isinstance(held, dict)
        and held.get("account") == account.pk
        and 0 <= now - float(held.get("at") or 0) < ttl
    ):
        return dict(held.get("logins") or {})
    logins = service_logins(account)
    request.session[SERVICE_LOGINS_KEY] = {"account": account.pk, "at": now, "logins": logins}
    return logins


def _allowed(service: RegisteredService, rows: list[MembershipRow]) -> bool:
    return service.allows({(pk, profile) for pk, profile, _uai, _code in rows})


def _membership_rows_cached(request: HttpRequest, account: Account) -> list[MembershipRow]:
    """The person's memberships, kept in the session for ``CAS_MEMBERSHIP_CACHE_SECONDS``: a
    change (a new class, a membership ended) reaches tickets within that delay."""
    held = request.session.get(MEMBERSHIPS_KEY)
    now = time.time()
    ttl = float(preau_setting("CAS_MEMBERSHIP_CACHE_SECONDS"))
    if (
        isinstance(held, dict)
        and held.get("account") == account.pk
        and 0 <= now - float(held.get("at") or 0) < ttl
    ):
        return [tuple(row) for row in held.get("rows") or []]
    rows = membership_rows(account)
    request.session[MEMBERSHIPS_KEY] = {"account": account.pk, "at": now, "rows": rows}
    return rows


def service_ticket_issue(
    *,
    request: HttpRequest,
    service: RegisteredService,
    service_url: str,
    from_new_login: bool,
) -> str:
    """Issue an ``ST-`` for the signed-in person and ``service_url``. Raises
    :class:`NotAllowed` when the service is not open to them.

    What validation will answer (user, attributes) is computed here and stored with the
    ticket. The usual case is one INSERT: the memberships come from the session (refreshed
    every minute), and the audit event is written for the first ticket of each service in an
    SSO session (then with the SSO session itself when it starts); every ticket stays a row
    (account, service, time) until ``cas_tickets_purge``."""
    account = request.user
    if not isinstance(account, Account) or not account.is_active:
        raise NotAllowed("not signed in")
    rows = _membership_rows_cached(request, account)
    if not _allowed(service, rows):
        raise NotAllowed(service.slug)
    now = timezone.now()
    ticket = tickets.ticket_new(tickets.SERVICE)
    establishment_id = _establishment_for(
        service, rows, request.session.get(ESTABLISHMENT_SESSION_KEY)
    )
    held = request.session.get(SSO_SESSION_KEY)
    opened = list(held.get("services") or []) if isinstance(held, dict) else []
    first_here = service.id not in opened or held.get("account") != account.pk  # type: ignore[union-attr]
    with transaction.atomic() if first_here else contextlib.nullcontext():
        sso_id, authenticated_at = sso_session_for(request=request, now=now)
        ServiceTicket.objects.create(
            digest=tickets.ticket_digest(ticket),
            kind=ServiceTicket.Kind.SERVICE,
            account=account,
            sso_session_id=sso_id,
            service_id=service.id,
            service_url=service_url,
            establishment_id=establishment_id,
            from_new_login=from_new_login,
            snapshot=_snapshot(
                account,
                service,
                establishment_id,
                rows,
                authenticated_at,
                service_logins=_service_logins_cached(request, account),
            ),
            created_at=now,
            expires_at=now + _ticket_lifetime(),
        )
        if first_here:
            audit_record(
                action="cas.ticket.issue",
                actor=account,
                target=account,
                request=request,
                data={"service": service.slug, "renew": from_new_login},
            )
            request.session[SSO_SESSION_KEY] = {
                **request.session[SSO_SESSION_KEY],
                "services": [*request.session[SSO_SESSION_KEY].get("services", []), service.id],
            }
    return ticket


# --- Validation -------------------------------------------------------------------------------


@dataclass
class Consumed:
    """A ticket row as the consuming UPDATE returned it."""

    id: int
    kind: str
    account_id: int
    sso_session_id: int | None
    service_id: int
    service_url: str
    establishment_id: int | None
    from_new_login: bool
    fresh: bool  # not expired when consumed
    proxies: list[str]
    snapshot: dict[str, Any]


@dataclass
class Validated:
    ticket: Consumed
    service: RegisteredService
    success: Success


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _consume(digest: str, ticket: str, now: datetime) -> Consumed | None:
    """Mark the ticket validated, in one statement that also returns it (§3.1.1: whatever
    the outcome). ``UPDATE … RETURNING`` works on PostgreSQL and SQLite ≥ 3.35; two nodes
    racing on one ticket cannot both get it. A deactivated account's tickets match nothing."""
    table = connection.ops.quote_name(ServiceTicket._meta.db_table)
    accounts = connection.ops.quote_name(Account._meta.db_table)
    moment = connection.ops.adapt_datetimefield_value(now)
    # Quoted table names from the models; every value is a parameter.
    sql = (
        f"UPDATE {table} SET validated_at = %s, logout_ticket = %s "  # noqa: S608
        "WHERE digest = %s AND validated_at IS NULL AND account_id IN "
        f"(SELECT id FROM {accounts} WHERE state <> %s) "
        "RETURNING id, kind, account_id, sso_session_id, service_id, service_url, "
        "establishment_id, from_new_login, expires_at > %s, proxies, snapshot"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, ticket, digest, Account.State.DEACTIVATED, moment])
        row = cursor.fetchone()
    if row is None:
        return None
    return Consumed(
        id=row[0],
        kind=row[1],
        account_id=row[2],
        sso_session_id=row[3],
        service_id=row[4],
        service_url=row[5],
        establishment_id=row[6],
        from_new_login=bool(row[7]),
        fresh=bool(row[8]),
        proxies=list(_json(row[9]) or []),
        snapshot=dict(_json(row[10]) or {}),
    )


def _unrecognized(ticket: str) -> CasError:
    return CasError(Code.INVALID_TICKET, f"Ticket {ticket[:80]} not recognized")


def ticket_validate(
    *,
    ticket: str,
    service_url: str,
    renew: bool = False,
    pgt_url: str = "",
    allow_proxy_tickets: bool = False,
    with_attributes: bool = True,
) -> Validated:
    """Validate ``ticket`` for ``service_url`` (§2.4–2.9). Raises :class:`CasError`.

    One query: the consuming UPDATE (plus, for a proxy callback, the PGT's)."""
    if not ticket or not service_url:
        raise CasError(Code.INVALID_REQUEST, "'ticket' and 'service' parameters are both required")
    prefix = tickets.ticket_prefix(ticket)
    if prefix not in (tickets.SERVICE, tickets.PROXY):
        if prefix:
            raise CasError(Code.INVALID_TICKET_SPEC, f"A {prefix} ticket cannot be validated here")
        raise _unrecognized(ticket)
    if not tickets.ticket_well_formed(ticket, prefix):
        raise _unrecognized(ticket)
    now = timezone.now()
    row = _consume(tickets.ticket_digest(ticket), ticket, now)
    if row is None:
        raise _unrecognized(ticket)
    service = registry_get(row.service_id)
    failure: CasError | None = None
    if row.kind == ServiceTicket.Kind.PROXY and not allow_proxy_tickets:
        failure = CasError(
            Code.INVALID_TICKET_SPEC,
            "A proxy ticket was given to serviceValidate: use proxyValidate",
        )
    elif not row.fresh:
        # Expired, or its SSO session ended (sso_session_end expires outstanding tickets).
        failure = CasError(Code.INVALID_TICKET, f"Ticket {ticket} expired")
    elif service is None:
        failure = CasError(Code.INVALID_TICKET, f"Ticket {ticket}: the service is disabled")
    elif normalize_service_url(row.service_url) != normalize_service_url(service_url):
        failure = CasError(
            Code.INVALID_SERVICE,
            f"Ticket {ticket} does not match the supplied service; it is now invalid",
        )
    elif renew and not row.from_new_login:
        failure = CasError(
            Code.INVALID_TICKET,
            f"Ticket {ticket} was not issued from primary credentials and renew was asked",
        )
    if failure is not None or service is None:
        # Consumed all the same; only a success keeps the ticket for single logout.
        ServiceTicket.objects.filter(pk=row.id).update(logout_ticket="")
        raise failure or _unrecognized(ticket)
    authenticated_at = row.snapshot.get("authenticated_at")
    success = Success(
        user=str(row.snapshot.get("user") or ""),
        authentication_date=datetime.fromisoformat(authenticated_at) if authenticated_at else None,
        from_new_login=row.from_new_login,
        proxies=row.proxies,
        with_attributes=with_attributes,
        attributes=dict(row.snapshot.get("attributes") or {}) if with_attributes else {},
    )
    if pgt_url:
        try:
            success.pgt_iou = _proxy_granting_ticket_issue(
                row=row, service=service, pgt_url=pgt_url, now=now
            )
        except CasError:
            ServiceTicket.objects.filter(pk=row.id).update(logout_ticket="")
            raise
    return Validated(ticket=row, service=service, success=success)


def _proxy_granting_ticket_issue(
    *, row: Consumed, service: RegisteredService, pgt_url: str, now: datetime
) -> str:
    """§2.5.4: a PGT for the service, delivered to its callback; returns the IOU."""
    if not service.proxy_allowed:
        raise CasError(
            Code.UNAUTHORIZED_SERVICE_PROXY, f"The service {service.slug} may not act as a proxy"
        )
    if not pgt_url.lower().startswith("https://"):
        raise CasError(Code.INVALID_PROXY_CALLBACK, "The proxy callback must use HTTPS")
    if not service.matches(pgt_url):
        raise CasError(
            Code.INVALID_PROXY_CALLBACK,
            "The proxy callback is not an address registered for this service",
        )
    pgt = tickets.ticket_new(tickets.PROXY_GRANTING)
    iou = tickets.ticket_new(tickets.PROXY_GRANTING_IOU)
    expires = now + timedelta(seconds=int(preau_setting("CAS_SSO_SESSION_SECONDS")))
    sso_session = (
        SsoSession.objects.filter(pk=row.sso_session_id).first() if row.sso_session_id else None
    )
    if sso_session is not None:
        expires = min(expires, sso_session.expires_at)
    granting = ProxyGrantingTicket.objects.create(
        digest=tickets.ticket_digest(pgt),
        account_id=row.account_id,
        sso_session=sso_session,
        service_id=service.id,
        establishment_id=row.establishment_id,
        proxies=[pgt_url, *(row.proxies or [])],
        created_at=now,
        expires_at=expires,
    )
    if not callback_deliver(pgt_url, pgt, iou):
        granting.delete()
        raise CasError(
            Code.INVALID_PROXY_CALLBACK,
            "The proxy callback could not be reached over verified HTTPS or did not answer 200",
        )
    return iou


# --- Proxy tickets (/proxy) -------------------------------------------------------------------


def proxy_ticket_issue(*, pgt: str, target_service: str) -> str:
    """A ``PT-`` for ``target_service`` from a proxy-granting ticket (§2.7)."""
    if not pgt or not target_service:
        raise CasError(
            Code.INVALID_REQUEST, "'pgt' and 'targetService' parameters are both required"
        )
    if not tickets.ticket_well_formed(pgt, tickets.PROXY_GRANTING):
        raise CasError(Code.INVALID_TICKET, f"PGT {pgt[:80]} not recognized")
    now = timezone.now()
    granting = (
        ProxyGrantingTicket.objects.select_related("account", "sso_session")
        .filter(digest=tickets.ticket_digest(pgt))
        .first()
    )
    if (
        granting is None
        or granting.expires_at <= now
        or (granting.sso_session is not None and granting.sso_session.ended_at is not None)
        or not granting.account.is_active
    ):
        raise CasError(Code.INVALID_TICKET, f"PGT {pgt[:80]} not recognized")
    target = registry_match(target_service, protocols=("cas",))
    if target is None:
        raise CasError(Code.UNAUTHORIZED_SERVICE, "The target service is not registered")
    rows = membership_rows(granting.account)
    if not _allowed(target, rows):
        raise CasError(Code.UNAUTHORIZED_SERVICE, "The target service is not open to this person")
    authenticated_at = granting.sso_session.authenticated_at if granting.sso_session else None
    ticket = tickets.ticket_new(tickets.PROXY)
    with transaction.atomic():
        ServiceTicket.objects.create(
            digest=tickets.ticket_digest(ticket),
            kind=ServiceTicket.Kind.PROXY,
            account=granting.account,
            sso_session=granting.sso_session,
            service_id=target.id,
            service_url=target_service,
            establishment_id=granting.establishment_id,
            proxies=list(granting.proxies),
            snapshot=_snapshot(
                granting.account,
                target,
                granting.establishment_id,
                rows,
                authenticated_at,
                service_logins=service_logins(granting.account),
            ),
            created_at=now,
            expires_at=now + _ticket_lifetime(),
        )
        audit_record(
            action="cas.proxy_ticket.issue",
            actor=granting.account,
            target=granting.account,
            data={"service": target.slug, "proxy": (granting.proxies or [""])[0][:200]},
        )
    return ticket


# --- Logout -----------------------------------------------------------------------------------


def sso_session_end(*, session: Any, account: Any = None) -> list[LogoutTarget]:
    """End the SSO session held by ``session`` (its PGTs die with it) and send single logout
    to every service that validated a ticket in it. Returns the targets sent to."""
    held = session.get(SSO_SESSION_KEY) if session is not None else None
    if not isinstance(held, dict) or not held.get("id"):
        return []
    sso_id = int(held["id"])
    session.pop(SSO_SESSION_KEY, None)
    now = timezone.now()
    ended = SsoSession.objects.filter(pk=sso_id, ended_at__isnull=True).update(ended_at=now)
    if not ended:
        return []
    # Tickets issued but not validated yet die with the session.
    ServiceTicket.objects.filter(
        sso_session_id=sso_id, validated_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    rows = (
        ServiceTicket.objects.filter(sso_session_id=sso_id)
        .exclude(logout_ticket="")
        .values_list("service_id", "service_url", "logout_ticket")
    )
    targets = []
    for service_id, service_url, logout_ticket in rows:
        service = registry_get(service_id)
        if service is not None and service.single_logout:
            targets.append(LogoutTarget(service_url=service_url, session_index=logout_ticket))
    if targets:
        transaction.on_commit(lambda: logout_dispatch(targets))
    if isinstance(account, Account):
        audit_record(
            action="cas.sso_session.end",
            actor=account,
            target=account,
            data={"services_notified": len(targets)},
        )
    return targets


def _cas_purgeable(now: datetime) -> tuple[QuerySet[Any], ...]:
    return (
        ServiceTicket.objects.filter(
            Q(expires_at__lte=now) & (Q(logout_ticket="") | Q(sso_session__isnull=True))
        ),
        ProxyGrantingTicket.objects.filter(expires_at__lte=now),
        SsoSession.objects.filter(Q(ended_at__isnull=False) | Q(expires_at__lte=now)),
    )


def cas_tickets_purgeable(*, now: datetime | None = None) -> int:
    """How many rows :func:`cas_tickets_purge` would delete now (for a dry run)."""
    return sum(query.count() for query in _cas_purgeable(now or timezone.now()))


def cas_tickets_purge(*, now: datetime | None = None) -> int:
    """Delete expired tickets and ended or expired SSO sessions (with their tickets).

    Run by the scheduled job (``preau lifecycle``); validated tickets of a live SSO session
    stay, for single logout."""
    return sum(query.delete()[0] for query in _cas_purgeable(now or timezone.now()))
