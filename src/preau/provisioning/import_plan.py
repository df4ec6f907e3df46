"""An import's plan: everything it would write, worked out with reads only.

The identity rules of each kind of person (:mod:`~preau.provisioning.import_students`,
:mod:`~preau.provisioning.import_guardians`, :mod:`~preau.provisioning.import_staff`) fill an
:class:`ImportPlan` from the rows of a file and what the directory holds; the plan's helpers
record each change (the rows to insert or update, and the French details of the preview), and
the reads here load what the rules need in a handful of bulk queries, never one per line.
:mod:`~preau.provisioning.import_apply` then writes the plan.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.conf import preau_setting
from preau.db_bulk import chunks
from preau.directory.models import Account, Establishment, Membership, SchoolClass
from preau.names import names_key  # also the identity rules' (import_*.py) import of it
from preau.provisioning.import_report import FIELD_LABELS, IdentityChange
from preau.provisioning.logins import login_base, logins_allocate
from preau.provisioning.readers import ImportProblem, Row


def current_school_year(today: dt.date | None = None) -> int:
    """The school year in progress, named by the year it starts (on 1 September)."""
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def unusable_password() -> str:
    """Like Django's ``make_password(None)``, without 40 calls to ``secrets.choice``."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


ACCOUNT_COLUMNS = (
    "id",
    "login",
    "last_name",
    "first_name",
    "other_first_names",
    "birth_date",
    "ine",
    "email",
    "email_verified_at",
    "mobile",
    "mobile_verified_at",
    "postal_code",
    "state",
)
# The fields that say who an account's owner is: a change of one already known is flagged.
IDENTITY_FIELDS = ("last_name", "first_name", "birth_date", "ine")


class NewRow:
    """A row to insert; its ``pk`` is given just before the insert (rows refer to each other)."""

    __slots__ = ("pk", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.pk: int | None = None
        self.values = values


AccountRef = int | NewRow
MembershipRef = int | NewRow


def ref_pk(ref: AccountRef | MembershipRef) -> int:
    if isinstance(ref, int):
        return ref
    if ref.pk is None:
        raise RuntimeError("referenced row was not created")
    return ref.pk


@dataclass
class PlannedPerson:
    """What the plan decided for one person of the file."""

    ref: AccountRef
    login: str
    name: str
    first_line: int
    created: bool = False
    fields: list[str] = field(default_factory=list)  # changed field names
    details: list[str] = field(default_factory=list)  # French pieces for the preview
    identity: list[IdentityChange] = field(default_factory=list)
    homonym: str = ""


class ImportPlan:
    """Everything an import would write, computed with reads only."""

    def __init__(
        self,
        *,
        establishment: Establishment,
        kind: str,
        filename: str,
        school_year: int,
        full: bool,
    ) -> None:
        self.establishment = establishment
        self.kind = kind
        self.filename = filename
        self.school_year = school_year
        self.full = full
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.problems: list[ImportProblem] = []
        self.rejected_lines: set[int] = set()
        self.new_accounts: list[NewRow] = []
        self.account_updates: dict[int, dict[str, Any]] = {}
        self.new_memberships: list[NewRow] = []
        self.membership_updates: dict[int, dict[str, Any]] = {}
        self.membership_ends: dict[int, int] = {}  # membership id -> account id
        self.class_codes: set[str] = set()  # classes of this year the import needs
        self.class_links_add: list[tuple[MembershipRef, str]] = []  # (membership, code)
        self.class_links_remove: list[int] = []  # through-table ids
        self.new_guardianships: list[tuple[AccountRef, int, dict[str, Any]]] = []
        self.guardianship_updates: dict[int, dict[str, Any]] = {}
        self.guardianship_ends: list[int] = []
        self.people: list[PlannedPerson] = []
        self.ended_people: list[PlannedPerson] = []
        self.unchanged = 0
        self.existing_classes: dict[str, int] = {
            code: pk
            for code, pk in SchoolClass.objects.filter(
                establishment=establishment, school_year=school_year
            ).values_list("code", "id")
        }

    # --- helpers ---

    def reject(self, row: Row, column: str, message: str) -> None:
        self.problems.append(ImportProblem(self.filename, row.line, column, message))
        self.rejected_lines.add(row.line)

    def person_new(self, account: NewRow, row: Row, detail: str) -> PlannedPerson:
        self.new_accounts.append(account)
        person = PlannedPerson(
            ref=account,
            login="",
            name=f"{account.values['first_name']} {account.values['last_name']}",
            first_line=row.line,
            created=True,
            details=[detail],
        )
        self.people.append(person)
        return person

    def person_existing(self, account: dict[str, Any], row: Row) -> PlannedPerson:
        person = PlannedPerson(
            ref=account["id"],
            login=account["login"],
            name=f"{account['first_name']} {account['last_name']}",
            first_line=row.line,
        )
        self.people.append(person)
        return person

    def account_fields(
        self, person: PlannedPerson, account: dict[str, Any], wanted: dict[str, Any]
    ) -> None:
        """Record the account fields of ``wanted`` that differ from ``account``."""
        changed = {k: v for k, v in wanted.items() if account[k] != v}
        if changed:
            self.account_updates.setdefault(account["id"], {}).update(changed)
            for key, value in changed.items():
                person.fields.append(key)
                if key in IDENTITY_FIELDS and _identity_changes(account[key], value):
                    person.identity.append(
                        IdentityChange(
                            field=FIELD_LABELS[key], old=_show(account[key]), new=_show(value)
                        )
                    )
                person.details.append(
                    _("%(field)s : %(old)s → %(new)s")
                    % {
                        "field": FIELD_LABELS.get(key, key),
                        "old": _show(account[key]),
                        "new": _show(value),
                    }
                )

    def membership(
        self,
        person: PlannedPerson,
        existing: dict[str, Any] | None,
        *,
        profile: str,
        source_id: str,
        function: str | None = None,
    ) -> MembershipRef:
        """The person's membership of this profile here: created, or brought up to date."""
        if existing is None:
            membership = NewRow(
                {
                    "account_id": person.ref,
                    "establishment_id": self.establishment.pk,
                    "profile": profile,
                    "school_year": self.school_year,
                    "source_id": source_id,
                    "function": function or "",
                    "start_date": self.today,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            self.new_memberships.append(membership)
            if not person.created:
                person.fields.append("membership")
                person.details.append(
                    _("nouveau rattachement : %(profile)s")
                    % {"profile": Membership.Profile(profile).label}
                )
            return membership
        wanted: dict[str, Any] = {"school_year": self.school_year, "end_date": None}
        if source_id:
            wanted["source_id"] = source_id
        if function is not None:
            wanted["function"] = function
        changed = {k: v for k, v in wanted.items() if existing[k] != v}
        if changed:
            self.membership_updates[existing["id"]] = changed
            for key, value in changed.items():
                person.fields.append(key)
                if key == "end_date":
                    person.details.append(_("de retour dans l'établissement"))
                else:
                    person.details.append(
                        _("%(field)s : %(old)s → %(new)s")
                        % {
                            "field": FIELD_LABELS[key],
                            "old": _show(existing[key]),
                            "new": _show(value),
                        }
                    )
        return int(existing["id"])

    def classes(
        self,
        person: PlannedPerson,
        membership: MembershipRef,
        current: dict[int, tuple[int, str]],  # through id -> (year, code) now linked
        wanted: Iterable[str],
    ) -> None:
        wanted_set = set(wanted)
        self.class_codes |= wanted_set
        have = {(year, code): through_id for through_id, (year, code) in current.items()}
        added = sorted(c for c in wanted_set if (self.school_year, c) not in have)
        removed = sorted(
            (year, code)
            for (year, code) in have
            if year != self.school_year or code not in wanted_set
        )
        for code in added:
            self.class_links_add.append((membership, code))
        for key in removed:
            self.class_links_remove.append(have[key])
        if (added or removed) and not person.created:
            person.fields.append("classes")
            old = sorted(code for year, code in have if year == self.school_year) or [
                code for _year, code in sorted(have)
            ]
            person.details.append(
                _("classes : %(old)s → %(new)s")
                % {"old": ", ".join(old) or "—", "new": ", ".join(sorted(wanted_set)) or "—"}
            )

    def end_memberships(self, memberships: Iterable[dict[str, Any]], detail: str) -> None:
        rows = list(memberships)
        accounts = {
            a["id"]: a
            for chunk in chunks(sorted({m["account_id"] for m in rows}))
            for a in Account.objects.filter(id__any=chunk).values(
                "id", "login", "first_name", "last_name"
            )
        }
        for m in rows:
            a = accounts[m["account_id"]]
            self.membership_ends[m["id"]] = m["account_id"]
            self.ended_people.append(
                PlannedPerson(
                    ref=a["id"],
                    login=a["login"],
                    name=f"{a['first_name']} {a['last_name']}",
                    first_line=0,
                    details=[detail],
                )
            )

    def finish(
        self,
        is_taken: Callable[[list[str]], set[str]],
        with_prefix: Callable[[list[str]], set[str]],
    ) -> None:
        """Give new accounts their logins (file order), and count the unchanged."""
        logins = logins_allocate(
            [login_base(a.values["first_name"], a.values["last_name"]) for a in self.new_accounts],
            is_taken=is_taken,
            with_prefix=with_prefix,
        )
        for account, login in zip(self.new_accounts, logins, strict=True):
            account.values["login"] = login
        for person in self.people:
            if person.created and isinstance(person.ref, NewRow):
                person.login = person.ref.values["login"]
        self.unchanged = sum(1 for p in self.people if not p.created and not p.fields)
        self.homonyms_explain()

    def homonyms_explain(self) -> None:
        """Say why each new account numbered for a homonym got its number: who already holds
        the bare identifier (named when this establishment holds them), or which line of the
        file took it first."""
        numbered = [
            (p, login_base(p.ref.values["first_name"], p.ref.values["last_name"]))
            for p in self.people
            if p.created and isinstance(p.ref, NewRow)
        ]
        numbered = [(p, base) for p, base in numbered if p.login != base]
        if not numbered:
            return
        first_in_file: dict[str, PlannedPerson] = {}
        for person in self.people:
            if person.created and person.login not in first_in_file:
                first_in_file[person.login] = person
        bases = sorted({base for _p, base in numbered} - set(first_in_file))
        holders = {
            a["login"]: a
            for chunk in chunks(bases)
            for a in Account.objects.filter(login__any=chunk).values(
                "id", "login", "first_name", "last_name"
            )
        }
        here = members_here(self, [a["id"] for a in holders.values()])
        for person, base in numbered:
            earlier = first_in_file.get(base)
            holder = holders.get(base)
            if earlier is not None:
                person.homonym = _(
                    "même nom et prénom que %(name)s, ligne %(line)s de ce fichier "
                    "(identifiant %(login)s) : vérifiez qu’il s’agit bien de deux personnes"
                ) % {"name": earlier.name, "line": earlier.first_line, "login": base}
            elif holder is not None and holder["id"] in here:
                person.homonym = _(
                    "l’identifiant %(login)s est celui de %(name)s, déjà connu de "
                    "l’établissement : vérifiez qu’il ne s’agit pas de la même personne, "
                    "qui aurait sinon deux comptes"
                ) % {
                    "login": base,
                    "name": f"{holder['first_name']} {holder['last_name']}",
                }
            else:
                person.homonym = _(
                    "l’identifiant %(login)s est déjà pris par un compte d’un autre "
                    "établissement : vérifiez que la personne n’a pas déjà un compte"
                ) % {"login": base}

    @property
    def empty(self) -> bool:
        return not (
            self.new_accounts
            or self.account_updates
            or self.new_memberships
            or self.membership_updates
            or self.membership_ends
            or self.class_links_add
            or self.class_links_remove
            or self.new_guardianships
            or self.guardianship_updates
            or self.guardianship_ends
        )


def _identity_changes(old: Any, new: Any) -> bool:
    """Whether a field of identity really changes: a value was known and another replaces it
    (names compared as identifiers are: a change of case or accents is not flagged)."""
    if old is None or old == "":
        return False
    if isinstance(old, str) and isinstance(new, str):
        return names_key(old, "") != names_key(new, "")
    return bool(old != new)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def accounts_by_id(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    id_list = sorted(set(ids))
    return {
        a["id"]: a
        for chunk in chunks(id_list)
        for a in Account.objects.filter(id__any=chunk).values(*ACCOUNT_COLUMNS)
    }


def class_links(membership_ids: Iterable[int]) -> dict[int, dict[int, tuple[int, str]]]:
    """membership id -> {through id: (school year, class code)}."""
    through = Membership.classes.through
    links: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    id_list = sorted(set(membership_ids))
    for chunk in chunks(id_list):
        for through_id, membership_id, year, code in through.objects.filter(
            membership_id__any=chunk
        ).values_list("id", "membership_id", "schoolclass__school_year", "schoolclass__code"):
            links[membership_id][through_id] = (year, code)
    return links


def memberships_here(plan: ImportPlan, profiles: Sequence[str]) -> list[dict[str, Any]]:
    return cast(
        list[dict[str, Any]],
        list(
            Membership.objects.filter(
                establishment=plan.establishment, profile__in=profiles
            ).values(
                "id",
                "account_id",
                "profile",
                "source_id",
                "school_year",
                "end_date",
                "function",
                "is_local_admin",
                "service_login",
            )
        ),
    )


def members_here(plan: ImportPlan, account_ids: Iterable[int]) -> set[int]:
    """Of ``account_ids``, those with a membership of the establishment (any profile, ended
    or not): its own people, whom its files may recognise by their contacts."""
    ids = sorted(set(account_ids))
    return {
        account_id
        for chunk in chunks(ids)
        for account_id in Membership.objects.filter(
            establishment=plan.establishment, account_id__any=chunk
        ).values_list("account_id", flat=True)
    }


def is_current(membership: dict[str, Any], today: dt.date) -> bool:
    return membership["end_date"] is None or membership["end_date"] > today


def new_account(plan: ImportPlan, **fields: Any) -> NewRow:
    return NewRow(
        {
            "password": unusable_password(),
            "state": Account.State.PROVISIONED.value,
            "activation_expires_at": plan.now + dt.timedelta(days=preau_setting("ACTIVATION_DAYS")),
            "created_at": plan.now,
            "updated_at": plan.now,
            **fields,
        }
    )


def reject_duplicates(plan: ImportPlan, rows: list[Row], key: str, column: str, label: str) -> None:
    seen: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        value = row.values.get(key)
        if value:
            seen[value].append(row)
    for value, group in seen.items():
        if len(group) > 1:
            for row in group:
                others = ", ".join(str(r.line) for r in group if r is not row)
                plan.reject(
                    row,
                    column,
                    _(
                        "%(label)s « %(value)s » figure aussi ligne %(lines)s : "
                        "une seule ligne par personne."
                    )
                    % {"label": label, "value": value, "lines": others},
                )


def logins_taken(candidates: list[str]) -> set[str]:
    taken: set[str] = set()
    for chunk in chunks(candidates, 5000):
        taken.update(Account.objects.filter(login__any=chunk).values_list("login", flat=True))
    return taken


def logins_with_prefix(bases: list[str]) -> set[str]:
    """Logins starting with one of ``bases``: one index range scan per base."""
    found: set[str] = set()
    if connection.vendor == "postgresql":
        # Bases are made of [a-z0-9.-], all below "~": [base, base~) holds every login that
        # starts with base, and the login's varchar_pattern_ops index (Django's "_like"
        # index) answers each range directly.
        # Never a prepared statement: a plan cached on the connection while the table was
        # small (the first files of a large import) scans the whole table for each base once
        # it has grown, and the import turns quadratic (bench/RESULTS.md, 2026-12-06).
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, which takes ``prepare``
            for chunk in chunks(bases, 5000):
                raw.execute(
                    "SELECT a.login FROM unnest(string_to_array(%s, ' ')) AS p(prefix) "
                    "JOIN directory_account a ON a.login::text ~>=~ p.prefix "
                    "AND a.login::text ~<~ (p.prefix || '~')",
                    [" ".join(chunk)],
                    prepare=False,
                )
                found.update(row[0] for row in raw.fetchall())
        return found
    for chunk in chunks(bases, 200):
        condition = Q()
        for base in chunk:
            condition |= Q(login__startswith=base)
        found.update(Account.objects.filter(condition).values_list("login", flat=True))
    return found
