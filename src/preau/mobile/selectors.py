"""Reads of the mobile app: a device from its bearer token, a person's devices, where a web
link leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership, current_q
from preau.directory.selectors import memberships_seen
from preau.mobile import tokens
from preau.mobile.compiled import TEXT_MARKER, Compiled
from preau.mobile.models import Device, DeviceToken, WebLink
from preau.portal.models import Service
from preau.portal.registry import registry_match
from preau.portal.selectors import Tile, TileGroup, services_allowed_ids, services_launchable

# The token's row, its device and account, by the token's digest (unique): one compiled query.
_TOKEN_BY_DIGEST = Compiled(
    lambda digest: DeviceToken.objects.select_related("device__account").filter(digest=digest),
    marker=TEXT_MARKER,
)


def device_by_access_token(token: str) -> Device | None:
    """The live device of a live access token (one query), else ``None``."""
    found: DeviceToken | None = _TOKEN_BY_DIGEST.first(tokens.digest(token))
    if (
        found is None
        or found.kind != DeviceToken.Kind.ACCESS
        or found.expires_at <= timezone.now()
        or found.device.revoked_at is not None
    ):
        return None
    return found.device


def devices_of(account: Any) -> QuerySet[Device]:
    """The account's paired devices still in use, the latest paired first."""
    return Device.objects.filter(account=account, revoked_at__isnull=True).order_by(
        "-paired_at", "-pk"
    )


@dataclass(frozen=True)
class WebLinkTarget:
    service: str  # the CAS service's address
    service_name: str  # its name in the registry, shown on the page


def web_link_target(token: str) -> WebLinkTarget | None:
    """Where a one-time web link leads, without spending it (its page's GET), or ``None`` when
    it is unknown, used, expired, or its device or account no longer usable."""
    link = (
        WebLink.objects.select_related("device__account")
        .filter(
            digest=tokens.digest(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            device__revoked_at__isnull=True,
            device__account__state=Account.State.ACTIVE,
        )
        .first()
    )
    if link is None or not link.device.account.is_active:
        return None
    service = registry_match(link.service, protocols=("cas",))
    if service is None:  # the service left the registry since the link was made
        return None
    return WebLinkTarget(service=link.service, service_name=service.name)


# --- What /me and /services show of a person ----------------------------------------------------


@dataclass(frozen=True)
class EstablishmentSeen:
    id: int
    uai: str
    name: str


@dataclass(frozen=True)
class MembershipSeen:
    establishment: EstablishmentSeen
    profile: str
    classes: tuple[str, ...]


@dataclass(frozen=True)
class ChildSeen:
    first_name: str
    last_name: str
    establishment: EstablishmentSeen
    classes: tuple[str, ...]


# The rows of memberships_current (the directory's rule, memberships_seen) in its order, one
# per (membership, class): the memberships, their establishments and classes in one query.
_MEMBERSHIPS = Compiled(
    lambda account_id: (
        memberships_seen(account_id)
        .order_by(
            "establishment__name", "establishment__uai", "profile", "classes__code", "classes"
        )
        .values_list(
            "pk",
            "profile",
            "establishment_id",
            "establishment__uai",
            "establishment__name",
            "classes__code",
        )
    )
)


def memberships_seen_of(account: Account) -> list[MembershipSeen]:
    """What :func:`~preau.directory.selectors.memberships_current` gives, in its order, with
    the classes' codes (one query)."""
    found: dict[int, tuple[EstablishmentSeen, str, list[str]]] = {}
    places: dict[int, EstablishmentSeen] = {}
    for pk, profile, place_id, uai, name, code in _MEMBERSHIPS.rows(account.pk):
        if pk not in found:
            place = places.setdefault(place_id, EstablishmentSeen(place_id, uai, name))
            found[pk] = (place, profile, [])
        if code is not None:
            found[pk][2].append(code)
    return [
        MembershipSeen(place, profile, tuple(codes)) for place, profile, codes in found.values()
    ]


def establishments_in(memberships: list[MembershipSeen]) -> list[EstablishmentSeen]:
    """The establishments of ``memberships`` (of :func:`memberships_seen_of`), by name then
    UAI as :func:`~preau.directory.selectors.establishments_of` gives them."""
    return list({m.establishment.id: m.establishment for m in memberships}.values())


def profiles_in(memberships: list[MembershipSeen]) -> list[tuple[int, str]]:
    """(establishment id, profile) of ``memberships``, as
    :func:`~preau.directory.selectors.membership_profiles_current` gives them."""
    return sorted((m.establishment.id, m.profile) for m in memberships)


def _children(guardian_id: int) -> QuerySet[Guardianship]:
    """The guardian's confirmed children, each joined to its current pupil's membership in the
    link's establishment and that membership's classes (a row per class)."""
    membership = "student__memberships__"
    return (
        Guardianship.objects.confirmed()
        .filter(guardian=guardian_id)
        .annotate(
            pupil=FilteredRelation(
                "student__memberships",
                condition=Q(
                    **{
                        f"{membership}profile": Membership.Profile.STUDENT,
                        f"{membership}establishment": F("establishment"),
                    }
                )
                & current_q(membership),
            )
        )
        .order_by(
            "establishment__name",
            "student__first_name",
            "student",
            "pupil__classes__code",
            "pupil__classes",
        )
    )


# The plugin of django-stubs does not see the FilteredRelation ``pupil``.
_CHILDREN = Compiled(
    lambda guardian_id: _children(guardian_id).values_list(  # type: ignore[misc]
        "pk",
        "student__first_name",
        "student__last_name",
        "establishment_id",
        "establishment__uai",
        "establishment__name",
        "pupil__classes__code",
    )
)


def children_seen_of(guardian: Account) -> list[ChildSeen]:
    """The confirmed ones of :func:`~preau.directory.selectors.children_of`, in its order, with
    the same classes (one query)."""
    found: dict[int, tuple[str, str, EstablishmentSeen, list[str]]] = {}
    for pk, first, last, place_id, uai, name, code in _CHILDREN.rows(guardian.pk):
        if pk not in found:
            found[pk] = (first, last, EstablishmentSeen(place_id, uai, name), [])
        if code is not None and code not in found[pk][3]:
            found[pk][3].append(code)
    return [
        ChildSeen(first, last, place, tuple(codes)) for first, last, place, codes in found.values()
    ]


# The tiles' services, all of them (a few dozen): filtered by the registry's rule in Python.
_LAUNCHABLE = Compiled(
    lambda _: services_launchable().values_list(
        "pk",
        "category_id",
        "category__name",
        "name",
        "description",
        "icon",
        "launch_url",
        "slug",
    ),
    marker=None,
)


def tiles_of(
    establishment: EstablishmentSeen | None, memberships: list[MembershipSeen]
) -> list[TileGroup]:
    """What :func:`~preau.portal.selectors.tiles_for` gives for the person of ``memberships``
    (of :func:`memberships_seen_of`) in ``establishment`` (one query)."""
    place = (
        Establishment(pk=establishment.id, uai=establishment.uai, name=establishment.name)
        if establishment is not None
        else None
    )
    allowed = set(services_allowed_ids(place, profiles_in(memberships)))
    groups: dict[int, TileGroup] = {}
    for pk, category, category_name, name, description, icon, launch, slug in _LAUNCHABLE.rows():
        if pk in allowed:
            group = groups.setdefault(category, TileGroup(category=category_name))
            # The launch address's rule is the model's (the UAI in PRONOTE's addresses).
            url = Service(launch_url=launch).launch_url_for(place)
            group.tiles.append(
                Tile(name=name, description=description, icon=icon, url=url, slug=slug)
            )
    return list(groups.values())
