"""Read queries of the directory, scoped to the person who asks.

Every selector that serves a staff page takes the ``actor`` and only ever returns rows of the
establishments that actor administers, so a console page cannot show another school's pupil
because a view forgot a filter. Views turn an empty answer into a 404.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.directory.scope import is_operator

STATES = (Account.State.ACTIVE, Account.State.PROVISIONED, Account.State.DEACTIVATED)


# Where "Mes portails" (preau.portal) keeps the establishment a person with several has
# chosen: its UAI. The CAS tickets and the OIDC ``ent`` claims speak of that establishment.
ESTABLISHMENT_SESSION_KEY = "preau_establishment_uai"


def _fold(text: str) -> str:
    """Lower-case ASCII, accents removed: how identifiers (``prenom.nom``) are spelt."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def class_code_sort_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for class codes where "6B" < "6C" and "3A" < "10A", the same on every database."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", code)
        if part
    )


# --- A person's current memberships and establishment ------------------------------------------


def memberships_seen(account: Any) -> QuerySet[Membership]:
    """The account's current memberships that services and "Mes portails" see: a guardian's
    (``responsable``) only where they have at least one confirmed current child (a child the
    files gave them and they have not confirmed, or refused, shows nothing of its school)."""
    confirmed_child_here = (
        Guardianship.objects.confirmed()
        .filter(guardian=OuterRef("account_id"), establishment=OuterRef("establishment_id"))
        .values("pk")
    )
    return (
        Membership.objects.current()
        .filter(account=account)
        .filter(~Q(profile=Membership.Profile.GUARDIAN) | Exists(confirmed_child_here))
    )


def memberships_current(account: Any) -> list[Membership]:
    """The account's current memberships with their establishment and classes (two queries),
    in a stable order: by establishment name, then profile (those services see:
    :func:`memberships_seen`)."""
    if not isinstance(account, Account):
        return []
    return list(
        memberships_seen(account)
        .select_related("establishment")
        .prefetch_related(Prefetch("classes", queryset=SchoolClass.objects.order_by("code", "pk")))
        .order_by("establishment__name", "establishment__uai", "profile")
    )


def membership_profiles_current(account: Any) -> list[tuple[int, str]]:
    """(establishment id, profile) of the account's current memberships (one query): what a
    service's opening rules (``preau.portal.registry``) read."""
    if not isinstance(account, Account):
        return []
    return list(
        memberships_seen(account)
        .order_by("establishment_id", "profile")
        .values_list("establishment_id", "profile")
    )


def establishments_of(account: Any) -> list[Establishment]:
    """The establishments where the account holds a current membership that services see
    (:func:`memberships_seen`), by name (one query)."""
    if not isinstance(account, Account):
        return []
    return list(
        Establishment.objects.filter(
            pk__in=memberships_seen(account).values("establishment_id")
        ).order_by("name", "uai")
    )


# --- A guardian's children ------------------------------------------------------------------


@dataclass
class Child:
    """One current child of a guardian as "Mes enfants" shows it: ``classes`` are the
    child's current classes in the link's establishment."""

    guardianship: Guardianship
    classes: list[str]

    @property
    def student(self) -> Account:
        return self.guardianship.student

    @property
    def establishment(self) -> Establishment:
        return self.guardianship.establishment

    @property
    def confirmation(self) -> str:
        return self.guardianship.confirmation


def children_of(guardian: Any) -> list[Child]:
    """The guardian's current children, refused ones left out, with their establishment and
    classes (three queries), by establishment then first name."""
    if not isinstance(guardian, Account):
        return []
    links = list(
        Guardianship.objects.current()
        .filter(guardian=guardian)
        .exclude(confirmation=Guardianship.Confirmation.REFUSED)
        .select_related("student", "establishment")
        .prefetch_related(
            Prefetch(
                "student__memberships",
                queryset=Membership.objects.current()
                .filter(profile=Membership.Profile.STUDENT)
                .prefetch_related(
                    Prefetch("classes", queryset=SchoolClass.objects.order_by("code", "pk"))
                ),
                to_attr="student_memberships",
            )
        )
        .order_by("establishment__name", "student__first_name", "student_id")
    )
    children = []
    for link in links:
        classes = [
            school_class.code
            for membership in link.student.student_memberships
            if membership.establishment_id == link.establishment_id
            for school_class in membership.classes.all()
        ]
        children.append(Child(guardianship=link, classes=list(dict.fromkeys(classes))))
    return children


def children_exist(guardian: Any) -> bool:
    """Whether :func:`children_of` has anything (one query): "Mon compte" offers "Mes
    enfants"."""
    if not isinstance(guardian, Account):
        return False
    return (
        Guardianship.objects.current()
        .filter(guardian=guardian)
        .exclude(confirmation=Guardianship.Confirmation.REFUSED)
        .exists()
    )


def children_to_confirm(guardian: Any) -> list[Guardianship]:
    """The guardian's current links waiting for the child's birth date (``PENDING``, the
    school gave the date), with the child and the establishment, in the order of
    :func:`children_of`. Frozen links are not asked: the school checks them."""
    if not isinstance(guardian, Account):
        return []
    return list(
        Guardianship.objects.current()
        .filter(
            guardian=guardian,
            confirmation=Guardianship.Confirmation.PENDING,
            student__birth_date__isnull=False,
        )
        .select_related("student", "establishment")
        .order_by("establishment__name", "student__first_name", "student_id")
    )


def children_to_confirm_exist(guardian: Any) -> bool:
    """Whether :func:`children_to_confirm` has anything (one query): a required action."""
    if not isinstance(guardian, Account):
        return False
    return (
        Guardianship.objects.current()
        .filter(
            guardian=guardian,
            confirmation=Guardianship.Confirmation.PENDING,
            student__birth_date__isnull=False,
        )
        .exists()
    )


def children_confirmed(guardian: Any) -> list[Guardianship]:
    """The guardian's confirmed current children with their establishment (one query): what
    services are told (CAS ``enfants``, OpenID Connect ``ent_children``)."""
    if not isinstance(guardian, Account):
        return []
    return list(
        Guardianship.objects.confirmed()
        .filter(guardian=guardian)
        .select_related("student", "establishment")
        .order_by("establishment__uai", "student__last_name", "student__first_name", "pk")
    )


def establishment_current(
    *,
    account: Any,
    session: Any = None,
    establishments: list[Establishment] | None = None,
) -> Establishment | None:
    """The establishment the person is in now: the one chosen in "Mes portails" (the session's
    :data:`ESTABLISHMENT_SESSION_KEY`) when they still belong to it, else the first of theirs
    by name, else None. ``establishments``: the person's, when the caller has them already."""
    if establishments is None:
        establishments = establishments_of(account)
    if not establishments:
        return None
    chosen = session.get(ESTABLISHMENT_SESSION_KEY) if session is not None else None
    return next((e for e in establishments if e.uai == chosen), establishments[0])


# --- Establishments administered ----------------------------------------------------------------


def establishments_administered(*, actor: Any) -> QuerySet[Establishment]:
    """The establishments where ``actor`` holds a current local-administrator membership; all
    of them for the operator (who acts on everyone, see :mod:`preau.directory.scope`)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Establishment.objects.none()
    if is_operator(actor):
        return Establishment.objects.order_by("name")
    admin_memberships = Membership.objects.current().filter(
        account=actor, establishment=OuterRef("pk"), is_local_admin=True
    )
    return Establishment.objects.filter(Exists(admin_memberships)).order_by("name")


def establishment_get_administered(*, actor: Any, uai: str) -> Establishment:
    """The establishment ``uai`` if ``actor`` administers it (else ``DoesNotExist``)."""
    return establishments_administered(actor=actor).get(uai=uai.strip().upper())


def _latest_year(establishment: Establishment) -> Subquery:
    """The establishment's current school year: the latest one it has classes for."""
    return Subquery(
        SchoolClass.objects.filter(establishment=establishment)
        .order_by("-school_year")
        .values("school_year")[:1]
    )


def school_classes_of(*, actor: Any, establishment: Establishment) -> QuerySet[SchoolClass]:
    """Classes of the current school year of an establishment ``actor`` administers."""
    return SchoolClass.objects.filter(
        establishment__in=establishments_administered(actor=actor),
        establishment=establishment,
        school_year=_latest_year(establishment),
    ).order_by("code")


# --- Activation dashboard --------------------------------------------------------------------


@dataclass
class StateCounts:
    """Accounts of one row of the dashboard, by state."""

    label: str
    key: str = ""
    active: int = 0
    pending: int = 0
    deactivated: int = 0

    @property
    def total(self) -> int:
        return self.active + self.pending + self.deactivated

    def add(self, state: str, count: int) -> None:
        if state == Account.State.ACTIVE:
            self.active += count
        elif state == Account.State.PROVISIONED:
            self.pending += count
        else:
            self.deactivated += count

    def percent(self, value: int) -> float:
        return round(100 * value / self.total, 1) if self.total else 0.0

    @property
    def active_percent(self) -> float:
        return self.percent(self.active)

    @property
    def pending_percent(self) -> float:
        return self.percent(self.pending)

    @property
    def deactivated_percent(self) -> float:
        return self.percent(self.deactivated)


@dataclass
class ActivationDashboard:
    establishment: Establishment
    by_class: list[StateCounts] = field(default_factory=list)
    by_profile: list[StateCounts] = field(default_factory=list)
    total: StateCounts = field(default_factory=lambda: StateCounts(label=""))


def activation_dashboard(*, actor: Any, establishment: Establishment) -> ActivationDashboard:
    """Activated / pending / deactivated accounts of an establishment, per class and per profile.

    Two aggregate queries whatever the number of classes: one grouped by (class, state) over the
    students' current memberships, one with conditional counts per (profile, state) and per
    state. A person with two profiles counts once in each profile and once in the total.
    """
    dashboard = ActivationDashboard(establishment=establishment)
    current = Membership.objects.current().filter(
        establishment=establishment,
        establishment__in=establishments_administered(actor=actor),
    )

    class_rows = (
        current.filter(
            profile=Membership.Profile.STUDENT, classes__school_year=_latest_year(establishment)
        )
        .values("classes__code", "account__state")
        .annotate(n=Count("account", distinct=True))
        .order_by("classes__code")
    )
    by_class: dict[str, StateCounts] = {}
    for row in class_rows:
        code = row["classes__code"]
        counts = by_class.setdefault(code, StateCounts(label=code, key=code))
        counts.add(row["account__state"], row["n"])
    dashboard.by_class = sorted(by_class.values(), key=lambda row: class_code_sort_key(row.key))

    aggregates: dict[str, Any] = {}
    for state in STATES:
        aggregates[f"total__{state}"] = Count(
            "account", distinct=True, filter=Q(account__state=state)
        )
        for profile in Membership.Profile.values:
            aggregates[f"{profile}__{state}"] = Count(
                "account", distinct=True, filter=Q(profile=profile, account__state=state)
            )
    figures = current.aggregate(**aggregates)
    for profile, label in Membership.Profile.choices:
        counts = StateCounts(label=str(label), key=profile)
        for state in STATES:
            counts.add(state, figures[f"{profile}__{state}"] or 0)
        if counts.total:
            dashboard.by_profile.append(counts)
    # The total counts people, not memberships: a teacher who is also a parent counts once.
    for state in STATES:
        dashboard.total.add(state, figures[f"total__{state}"] or 0)
    return dashboard


# --- Accounts ----------------------------------------------------------------------------------


def _local_memberships(establishment: Establishment) -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(establishment=establishment)
        .prefetch_related(Prefetch("classes", queryset=SchoolClass.objects.order_by("code")))
        .order_by("profile"),
        to_attr="local_memberships",
    )


def account_search(
    *,
    actor: Any,
    establishment: Establishment,
    query: str = "",
    school_class: str = "",
    profile: str = "",
    state: str = "",
) -> QuerySet[Account]:
    """Accounts with a current membership in ``establishment``, filtered, ordered by name.

    The name search is case-insensitive on every database and accent-insensitive too: each word
    must appear in the last name, the first name or the identifier, and identifiers are spelt
    in folded ASCII (``hélène`` finds ``helene.martin``). Each account carries
    ``local_memberships`` (its memberships in this establishment, classes prefetched).
    """
    memberships = Membership.objects.current().filter(
        establishment=establishment,
        establishment__in=establishments_administered(actor=actor),
        account=OuterRef("pk"),
    )
    if profile:
        memberships = memberships.filter(profile=profile)
    if school_class:
        memberships = memberships.filter(classes__code=school_class)
    accounts = Account.objects.filter(Exists(memberships))
    if state:
        accounts = accounts.filter(state=state)
    for word in query.split():
        folded = _fold(word)
        accounts = accounts.filter(
            Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(login__icontains=folded)
            | Q(last_name__icontains=folded)
            | Q(first_name__icontains=folded)
        )
    return accounts.order_by("last_name", "first_name", "login").prefetch_related(
        _local_memberships(establishment)
    )


def account_get_for_admin(*, actor: Any, establishment: Establishment, login: str) -> Account:
    """One account with a current membership in an establishment ``actor`` administers.

    Raises ``Account.DoesNotExist`` otherwise: someone who left the school is out of its
    console's reach (see :mod:`preau.directory.scope`). The account carries ``local_memberships``,
    ``local_children`` (guardianships where it is the guardian) and ``local_guardians``, all
    limited to ``establishment``.
    """
    administered = establishments_administered(actor=actor).filter(pk=establishment.pk)
    in_establishment = Membership.objects.current().filter(
        establishment__in=administered, account=OuterRef("pk")
    )
    return (
        Account.objects.filter(Exists(in_establishment))
        .prefetch_related(
            _local_memberships(establishment),
            Prefetch(
                "wards",
                queryset=Guardianship.objects.filter(establishment=establishment)
                .select_related("student")
                .order_by("student__last_name", "student__first_name"),
                to_attr="local_children",
            ),
            Prefetch(
                "guardianships",
                queryset=Guardianship.objects.filter(establishment=establishment)
                .select_related("guardian")
                .order_by("legal_responsibility", "guardian__last_name"),
                to_attr="local_guardians",
            ),
        )
        .get(login=login)
    )


def account_audit_events(
    *, actor: Any, establishment: Establishment, account: Account, limit: int = 20
) -> list[AuditEvent]:
    """The last events about ``account``: those of ``establishment`` and those of no school
    (sign-ins, first connection), never another school's."""
    if not establishments_administered(actor=actor).filter(pk=establishment.pk).exists():
        return []
    return list(
        AuditEvent.objects.filter(target=account)
        .filter(Q(establishment=establishment) | Q(establishment__isnull=True))
        .order_by("-created_at", "-id")[:limit]
    )
