"""The import service: students, guardians and staff from an establishment's export files.

:func:`import_run` is the one entry point (``preau import`` and the console's upload page call
it). It works in two steps:

1. **Plan** — read and check the file (:mod:`preau.provisioning.readers`), load what the
   directory already holds for that establishment in a handful of bulk queries, match every line
   to a person, and work out what must change. Nothing is written; a dry run stops here.
2. **Apply** — in one transaction, create and update rows in bulk (``bulk_create`` /
   ``bulk_update`` in batches), then write the audit events in bulk. Any exception rolls the
   whole import back.

The identity rules (how a returning person is recognised) are documented in
docs/import-formats.md, "Comment Préau reconnaît une personne"; they are implemented in the
``_plan_*`` functions below. Importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.models import AuditEvent
from preau.audit.services import audit_event_build, audit_record_many
from preau.conf import preau_setting
from preau.directory.models import (
    Account,
    Establishment,
    Guardianship,
    Membership,
    SchoolClass,
)
from preau.directory.scope import accounts_protected, import_check
from preau.provisioning.logins import fold_ascii, login_base, logins_allocate
from preau.provisioning.readers import (
    GUARDIANS,
    KINDS,
    STAFF,
    STUDENTS,
    ImportProblem,
    Row,
    read_export,
)

__all__ = [
    "GUARDIANS",
    "KINDS",
    "STAFF",
    "STUDENTS",
    "IdentityChange",
    "ImportChange",
    "ImportProblem",
    "ImportReport",
    "current_school_year",
    "import_run",
]

PREVIEW_LIMIT = 200
FLAGGED_LIMIT = 1000
BATCH_SIZE = 2000
STAFF_PROFILES = (Membership.Profile.TEACHER, Membership.Profile.STAFF)

T = TypeVar("T")


@dataclass(frozen=True)
class IdentityChange:
    """A change of who an existing account says its owner is (names, birth date, INE): the
    field's French label, the value before and after, as shown."""

    field: str
    old: str
    new: str


@dataclass
class ImportChange:
    """One person's change, for the preview (French ``detail``).

    Two kinds are risky and flagged apart, for the administrator to check before confirming:
    ``identity`` lists the changes of an existing account's identity (a file that names
    someone else with that pupil number or INE would hand the account to another person), and
    ``homonym`` explains why a new account's identifier got a number (someone with the same
    names already exists: the file may describe that person with another e-mail, and create a
    second account for them)."""

    action: str  # "create" | "update" | "end"
    login: str
    name: str
    detail: str
    identity: list[IdentityChange] = field(default_factory=list)
    homonym: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.identity or self.homonym)


@dataclass
class ImportReport:
    kind: str
    filename: str
    dry_run: bool
    written: bool
    created: int = 0
    updated: int = 0
    ended: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    changes: list[ImportChange] = field(default_factory=list)  # at most PREVIEW_LIMIT
    # Existing accounts whose identity changes, new accounts numbered for a homonym (counts),
    # and those changes (at most FLAGGED_LIMIT), also among ``changes``.
    identity_changes: int = 0
    homonyms: int = 0
    flagged: list[ImportChange] = field(default_factory=list)
    # True when problems made the import refuse to write anything.
    refused: bool = False

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.ended


def current_school_year(today: dt.date | None = None) -> int:
    """The school year in progress, named by the year it starts (on 1 September)."""
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def _chunks(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@functools.lru_cache(maxsize=65536)
def names_key(last_name: str, first_name: str) -> str:
    """Names compared without case, accents, spaces or punctuation (``N'Diaye`` = ``NDIAYE``)."""
    return "|".join(re.sub(r"[^a-z0-9]", "", fold_ascii(p)) for p in (last_name, first_name))


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
)
FIELD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "other_first_names": "autres prénoms",
    "birth_date": "date de naissance",
    "ine": "INE",
    "email": "courriel",
    "mobile": "mobile",
    "postal_code": "code postal",
    "function": "fonction",
    "school_year": "année scolaire",
    "end_date": "retour dans l'établissement",
    "source_id": "identifiant source",
    "classes": "classes",
    "guardianship": "élèves",
    "membership": "rattachement",
}
# The fields that say who an account's owner is: a change of one already known is flagged.
IDENTITY_FIELDS = ("last_name", "first_name", "birth_date", "ine")


class _NewRow:
    """A row to insert; its ``pk`` is given just before the insert (rows refer to each other)."""

    __slots__ = ("pk", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.pk: int | None = None
        self.values = values


AccountRef = int | _NewRow
MembershipRef = int | _NewRow


def _pk(ref: AccountRef | MembershipRef) -> int:
    if isinstance(ref, int):
        return ref
    if ref.pk is None:
        raise RuntimeError("referenced row was not created")
    return ref.pk


@dataclass
class _Person:
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


class _Plan:
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
        self.new_accounts: list[_NewRow] = []
        self.account_updates: dict[int, dict[str, Any]] = {}
        self.new_memberships: list[_NewRow] = []
        self.membership_updates: dict[int, dict[str, Any]] = {}
        self.membership_ends: dict[int, int] = {}  # membership id -> account id
        self.class_codes: set[str] = set()  # classes of this year the import needs
        self.class_links_add: list[tuple[MembershipRef, str]] = []  # (membership, code)
        self.class_links_remove: list[int] = []  # through-table ids
        self.new_guardianships: list[tuple[AccountRef, int, dict[str, Any]]] = []
        self.guardianship_updates: dict[int, dict[str, Any]] = {}
        self.guardianship_ends: list[int] = []
        self.people: list[_Person] = []
        self.ended_people: list[_Person] = []
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

    def person_new(self, account: _NewRow, row: Row, detail: str) -> _Person:
        self.new_accounts.append(account)
        person = _Person(
            ref=account,
            login="",
            name=f"{account.values['first_name']} {account.values['last_name']}",
            first_line=row.line,
            created=True,
            details=[detail],
        )
        self.people.append(person)
        return person

    def person_existing(self, account: dict[str, Any], row: Row) -> _Person:
        person = _Person(
            ref=account["id"],
            login=account["login"],
            name=f"{account['first_name']} {account['last_name']}",
            first_line=row.line,
        )
        self.people.append(person)
        return person

    def account_fields(
        self, person: _Person, account: dict[str, Any], wanted: dict[str, Any]
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
        person: _Person,
        existing: dict[str, Any] | None,
        *,
        profile: str,
        source_id: str,
        function: str | None = None,
    ) -> MembershipRef:
        """The person's membership of this profile here: created, or brought up to date."""
        if existing is None:
            membership = _NewRow(
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
        person: _Person,
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
            for chunk in _chunks(sorted({m["account_id"] for m in rows}))
            for a in Account.objects.filter(id__in=chunk).values(
                "id", "login", "first_name", "last_name"
            )
        }
        for m in rows:
            a = accounts[m["account_id"]]
            self.membership_ends[m["id"]] = m["account_id"]
            self.ended_people.append(
                _Person(
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
            if person.created and isinstance(person.ref, _NewRow):
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
            if p.created and isinstance(p.ref, _NewRow)
        ]
        numbered = [(p, base) for p, base in numbered if p.login != base]
        if not numbered:
            return
        first_in_file: dict[str, _Person] = {}
        for person in self.people:
            if person.created and person.login not in first_in_file:
                first_in_file[person.login] = person
        bases = sorted({base for _p, base in numbered} - set(first_in_file))
        holders = {
            a["login"]: a
            for chunk in _chunks(bases)
            for a in Account.objects.filter(login__in=chunk).values(
                "id", "login", "first_name", "last_name"
            )
        }
        here = _members_here(self, [a["id"] for a in holders.values()])
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


def _accounts_by_id(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    id_list = sorted(set(ids))
    return {
        a["id"]: a
        for chunk in _chunks(id_list)
        for a in Account.objects.filter(id__in=chunk).values(*ACCOUNT_COLUMNS)
    }


def _class_links(membership_ids: Iterable[int]) -> dict[int, dict[int, tuple[int, str]]]:
    """membership id -> {through id: (school year, class code)}."""
    through = Membership.classes.through
    links: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    id_list = sorted(set(membership_ids))
    for chunk in _chunks(id_list):
        for through_id, membership_id, year, code in through.objects.filter(
            membership_id__in=chunk
        ).values_list("id", "membership_id", "schoolclass__school_year", "schoolclass__code"):
            links[membership_id][through_id] = (year, code)
    return links


def _memberships_here(plan: _Plan, profiles: Sequence[str]) -> list[dict[str, Any]]:
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
            )
        ),
    )


def _members_here(plan: _Plan, account_ids: Iterable[int]) -> set[int]:
    """Of ``account_ids``, those with a membership of the establishment (any profile, ended
    or not): its own people, whom its files may recognise by their contacts."""
    ids = sorted(set(account_ids))
    return {
        account_id
        for chunk in _chunks(ids)
        for account_id in Membership.objects.filter(
            establishment=plan.establishment, account_id__in=chunk
        ).values_list("account_id", flat=True)
    }


def _is_current(membership: dict[str, Any], today: dt.date) -> bool:
    return membership["end_date"] is None or membership["end_date"] > today


def _new_account(plan: _Plan, **fields: Any) -> _NewRow:
    return _NewRow(
        {
            "password": unusable_password(),
            "state": Account.State.PROVISIONED.value,
            "activation_expires_at": plan.now + dt.timedelta(days=preau_setting("ACTIVATION_DAYS")),
            "created_at": plan.now,
            "updated_at": plan.now,
            **fields,
        }
    )


def _reject_duplicates(plan: _Plan, rows: list[Row], key: str, column: str, label: str) -> None:
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


# --- Students --------------------------------------------------------------------------------


def _same_pupil(account: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a line describes the same pupil as another establishment's account with its
    INE: the same names (folded as identifiers are) and the same birth date."""
    return (
        names_key(account["last_name"], account["first_name"])
        == names_key(values["last_name"], values["first_name"])
        and account["birth_date"] == values["birth_date"]
    )


def _plan_students(plan: _Plan, rows: list[Row]) -> None:
    _reject_duplicates(plan, rows, "school_id", "Numéro élève", _("Le numéro élève"))
    _reject_duplicates(plan, rows, "ine", "INE", _("L'INE"))
    rows = [r for r in rows if r.line not in plan.rejected_lines]
    memberships = _memberships_here(plan, [Membership.Profile.STUDENT])
    by_source = {m["source_id"]: m for m in memberships if m["source_id"]}
    by_account = {m["account_id"]: m for m in memberships}
    ines = sorted({r.values["ine"] for r in rows if r.values["ine"]})
    by_ine: dict[str, dict[str, Any]] = {
        a["ine"]: a
        for chunk in _chunks(ines)
        for a in Account.objects.filter(ine__in=chunk).values(*ACCOUNT_COLUMNS)
    }
    accounts = _accounts_by_id(
        m["account_id"] for r in rows if (m := by_source.get(r.values["school_id"]))
    )
    accounts.update({a["id"]: a for a in by_ine.values()})
    links = _class_links(m["id"] for m in memberships)
    # Pupils of other establishments found by INE: the file may attach one only when the names
    # and birth date agree too, and never someone who is staff elsewhere or an operator.
    outsiders = {a["id"] for a in by_ine.values() if a["id"] not in by_account}
    protected = accounts_protected(account_ids=outsiders, establishment=plan.establishment)
    claimed: dict[int, int] = {}  # account id -> line
    seen_accounts: set[int] = set()
    for row in rows:
        v = row.values
        membership = by_source.get(v["school_id"])
        account = accounts[membership["account_id"]] if membership else by_ine.get(v["ine"] or "")
        if account is not None and v["ine"] and v["ine"] in by_ine:
            owner = by_ine[v["ine"]]
            if owner["id"] != account["id"]:
                # The other pupil is named only when this establishment holds them.
                message = (
                    _(
                        "L'INE %(ine)s est déjà celui de %(login)s, un autre élève que le "
                        "numéro élève %(sid)s : vérifiez l'INE."
                    )
                    if owner["id"] in by_account
                    else _(
                        "L'INE %(ine)s est déjà celui d'un élève d'un autre établissement, "
                        "pas du numéro élève %(sid)s : vérifiez l'INE."
                    )
                )
                plan.reject(
                    row,
                    "INE",
                    message % {"ine": v["ine"], "login": owner["login"], "sid": v["school_id"]},
                )
                continue
        outsider = account is not None and account["id"] in outsiders
        if outsider and account is not None:
            if account["id"] in protected:
                plan.reject(
                    row,
                    "INE",
                    _(
                        "L'INE %(ine)s est celui d'un compte qu'un import ne peut pas rattacher "
                        "à l'établissement : vérifiez l'INE, ou adressez-vous à "
                        "l'administrateur ENT."
                    )
                    % {"ine": v["ine"]},
                )
                continue
            if not _same_pupil(account, v):
                plan.reject(
                    row,
                    "INE",
                    _(
                        "L'INE %(ine)s est celui d'un élève d'un autre établissement dont le "
                        "nom, le prénom ou la date de naissance diffèrent de cette ligne : "
                        "vérifiez l'INE et l'identité ; s'il s'agit bien du même élève, "
                        "l'administrateur ENT peut corriger son identité."
                    )
                    % {"ine": v["ine"]},
                )
                continue
        if account is not None:
            if account["id"] in claimed:
                plan.reject(
                    row,
                    "INE",
                    _("Cet élève est déjà la personne de la ligne %(line)s (même INE).")
                    % {"line": claimed[account["id"]]},
                )
                continue
            claimed[account["id"]] = row.line
        wanted = {
            "last_name": v["last_name"],
            "first_name": v["first_name"],
            "other_first_names": v["other_first_names"],
            "birth_date": v["birth_date"],
        }
        if v["ine"]:
            wanted["ine"] = v["ine"]
        if account is None:
            new = _new_account(plan, **wanted)
            person = plan.person_new(
                new, row, _("nouvel élève, classe %(class)s") % {"class": v["class"]}
            )
            ref = plan.membership(
                person, None, profile=Membership.Profile.STUDENT, source_id=v["school_id"]
            )
            plan.classes(person, ref, {}, [v["class"]])
            continue
        seen_accounts.add(account["id"])
        person = plan.person_existing(account, row)
        if not outsider:
            # Another establishment's pupil keeps the identity its school gave (it agrees).
            plan.account_fields(person, account, wanted)
        existing = by_account.get(account["id"])
        ref = plan.membership(
            person, existing, profile=Membership.Profile.STUDENT, source_id=v["school_id"]
        )
        plan.classes(person, ref, links.get(existing["id"], {}) if existing else {}, [v["class"]])
    if plan.full:
        gone = [
            m
            for m in memberships
            if m["account_id"] not in seen_accounts and _is_current(m, plan.today)
        ]
        plan.end_memberships(gone, _("a quitté l'établissement (absent du fichier complet)"))
        gone_students = [m["account_id"] for m in gone]
        for chunk in _chunks(gone_students):
            plan.guardianship_ends.extend(
                Guardianship.objects.filter(establishment=plan.establishment, student_id__in=chunk)
                .filter(Q(end_date__isnull=True) | Q(end_date__gt=plan.today))
                .values_list("id", flat=True)
            )


# --- Guardians -------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _plan_guardians(plan: _Plan, rows: list[Row]) -> None:
    students = {
        m["source_id"]: m["account_id"]
        for m in _memberships_here(plan, [Membership.Profile.STUDENT])
        if m["source_id"] and _is_current(m, plan.today)
    }
    kept: list[Row] = []
    for row in rows:
        if row.values["school_id"] not in students:
            plan.reject(
                row,
                "Numéro élève",
                _(
                    "Aucun élève de l'établissement n'a le numéro « %(sid)s » : importez d'abord "
                    "le fichier des élèves, ou corrigez le numéro."
                )
                % {"sid": row.values["school_id"]},
            )
        else:
            kept.append(row)
    rows = kept
    # 1. Lines that name the same person, inside the file.
    keys_of: list[list[tuple[str, ...]]] = []
    for row in rows:
        v = row.values
        nk = names_key(v["last_name"], v["first_name"])
        v["names_key"] = nk
        keys: list[tuple[str, ...]] = []
        if v["guardian_id"]:
            keys.append(("id", v["guardian_id"]))
        if v["email"]:
            keys.append(("email", nk, v["email"]))
        if v["mobile"]:
            keys.append(("mobile", nk, v["mobile"]))
        if not keys:
            keys.append(("postal", nk, v["postal_code"]))
        keys_of.append(keys)
    uf = _UnionFind(len(rows))
    first_with: dict[tuple[str, ...], int] = {}
    for i, keys in enumerate(keys_of):
        for key in keys:
            if key in first_with:
                uf.union(first_with[key], i)
            else:
                first_with[key] = i
    # 2. Match each group to an existing account.
    guardian_memberships = _memberships_here(plan, [Membership.Profile.GUARDIAN])
    by_gid = {m["source_id"]: m["account_id"] for m in guardian_memberships if m["source_id"]}
    membership_of = {m["account_id"]: m for m in guardian_memberships}
    emails = sorted({r.values["email"] for r in rows if r.values["email"]})
    mobiles = sorted({r.values["mobile"] for r in rows if r.values["mobile"]})
    by_contact: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    candidates: dict[int, dict[str, Any]] = {}
    for column, values in (("email", emails), ("mobile", mobiles)):
        for chunk in _chunks(values):
            for a in Account.objects.filter(**{f"{column}__in": chunk}).values(*ACCOUNT_COLUMNS):
                candidates[a["id"]] = a
                by_contact[(column, names_key(a["last_name"], a["first_name"]), a[column])].append(
                    a["id"]
                )
    student_ids = sorted({students[r.values["school_id"]] for r in rows})
    guardianships: dict[tuple[int, int], Any] = {}
    for chunk in _chunks(student_ids):
        for g in Guardianship.objects.filter(student_id__in=chunk).values(
            "id",
            "guardian_id",
            "student_id",
            "establishment_id",
            "relationship",
            "legal_responsibility",
            "end_date",
        ):
            guardianships[(g["guardian_id"], g["student_id"])] = g
    linked_ids = {gid for gid, _sid in guardianships}
    candidates.update(_accounts_by_id(linked_ids - set(candidates)))
    linked_by_student: dict[int, list[int]] = defaultdict(list)
    for guardian_id, student_id in guardianships:
        linked_by_student[student_id].append(guardian_id)
    missing = {a for a in by_gid.values() if a not in candidates}
    candidates.update(_accounts_by_id(missing))
    # Accounts without a guardian membership here are another establishment's people: the file
    # may match one only through a child this establishment holds (with the same names), or
    # an exact contact its owner has proved, and never an operator or another school's staff.
    protected = accounts_protected(account_ids=set(candidates), establishment=plan.establishment)

    here = _members_here(plan, candidates)

    def may_match_by_contact(account_id: int, column: str) -> bool:
        if account_id in here:
            return True
        return account_id not in protected and (
            candidates[account_id][f"{column}_verified_at"] is not None
        )

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        groups[uf.find(i)].append(i)
    matched: dict[int, int] = {}  # group root -> account id
    for root, members in groups.items():
        found: int | None = None
        for i in members:
            v = rows[i].values
            if v["guardian_id"] and v["guardian_id"] in by_gid:
                found = by_gid[v["guardian_id"]]
                break
        if found is None:
            for i in members:
                v = rows[i].values
                for column in ("email", "mobile"):
                    ids = by_contact.get((column, v["names_key"], v[column])) if v[column] else None
                    allowed = [i for i in ids or () if may_match_by_contact(i, column)]
                    if allowed:
                        # The establishment's own guardian first: another school's account
                        # with a proved contact is taken only when none is here.
                        found = min(allowed, key=lambda i: (i not in here, i))
                        break
                if found is not None:
                    break
        if found is None:
            for i in members:
                v = rows[i].values
                for guardian_id in sorted(linked_by_student[students[v["school_id"]]]):
                    a = candidates[guardian_id]
                    if guardian_id in protected and guardian_id not in here:
                        continue
                    if names_key(a["last_name"], a["first_name"]) == v["names_key"] and (
                        not a["postal_code"]
                        or not v["postal_code"]
                        or a["postal_code"] == v["postal_code"]
                    ):
                        found = guardian_id
                        break
                if found is not None:
                    break
        if found is not None:
            matched[root] = found
    # Two groups matched to one account are one person (e-mail on one line, mobile on another).
    by_account: dict[int, int] = {}
    for root in sorted(matched):
        matched_id = matched[root]
        if matched_id in by_account:
            uf.union(by_account[matched_id], root)
        else:
            by_account[matched_id] = root
    persons: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        persons[uf.find(i)].append(i)
    account_of_root = {uf.find(root): account_id for root, account_id in matched.items()}

    # 3. Plan each person: account, membership, guardianships.
    in_file_accounts: set[int] = set()
    in_file_links: set[tuple[int, int]] = set()
    for root in sorted(persons):
        members = persons[root]
        first = rows[members[0]]
        v = first.values
        # A person's contact: the first non-empty value among their lines.
        contact = {
            key: next((rows[i].values[key] for i in members if rows[i].values[key]), "")
            for key in ("email", "mobile", "postal_code", "guardian_id")
        }
        account_id = account_of_root.get(root)
        if account_id is None:
            account = _new_account(
                plan,
                last_name=v["last_name"],
                first_name=v["first_name"],
                email=contact["email"],
                mobile=contact["mobile"],
                postal_code=contact["postal_code"],
            )
            person = plan.person_new(account, first, _("nouveau responsable"))
            ref: AccountRef = account
            membership = None
        else:
            existing = candidates[account_id]
            in_file_accounts.add(account_id)
            person = plan.person_existing(existing, first)
            membership = membership_of.get(account_id)
            wanted: dict[str, Any] = {}
            if membership is not None and account_id not in protected:
                # Only this establishment's own guardians take its file's names and contacts;
                # one matched from elsewhere keeps what its other school gave.
                if names_key(existing["last_name"], existing["first_name"]) != v["names_key"]:
                    wanted.update(last_name=v["last_name"], first_name=v["first_name"])
                if contact["email"] and existing["email_verified_at"] is None:
                    wanted["email"] = contact["email"]
                if contact["mobile"] and existing["mobile_verified_at"] is None:
                    wanted["mobile"] = contact["mobile"]
                if contact["postal_code"]:
                    wanted["postal_code"] = contact["postal_code"]
            plan.account_fields(person, existing, wanted)
            ref = account_id
        plan.membership(
            person,
            membership,
            profile=Membership.Profile.GUARDIAN,
            source_id=contact["guardian_id"],
        )
        seen_students: set[int] = set()
        for i in members:
            row = rows[i]
            student_id = students[row.values["school_id"]]
            if student_id in seen_students:
                plan.reject(
                    row,
                    "Numéro élève",
                    _("Ce responsable figure déjà pour l'élève « %(sid)s » sur une autre ligne.")
                    % {"sid": row.values["school_id"]},
                )
                continue
            seen_students.add(student_id)
            wanted_link = {
                "establishment_id": plan.establishment.pk,
                "relationship": row.values["relationship"],
                "legal_responsibility": row.values["legal_responsibility"],
                "end_date": None,
            }
            link = guardianships.get((account_id, student_id)) if account_id else None
            if link is None:
                plan.new_guardianships.append((ref, student_id, wanted_link))
                if not person.created:
                    person.fields.append("guardianship")
                    person.details.append(
                        _("nouvel élève rattaché : %(sid)s") % {"sid": row.values["school_id"]}
                    )
                else:
                    person.details.append(_("élève %(sid)s") % {"sid": row.values["school_id"]})
                continue
            in_file_links.add((link["guardian_id"], student_id))
            changed = {k: val for k, val in wanted_link.items() if link[k] != val}
            if changed:
                plan.guardianship_updates[link["id"]] = changed
                person.fields.append("guardianship")
                person.details.append(
                    _("lien avec l'élève %(sid)s mis à jour") % {"sid": row.values["school_id"]}
                )
    if plan.full:
        gone = [
            m
            for m in guardian_memberships
            if m["account_id"] not in in_file_accounts and _is_current(m, plan.today)
        ]
        plan.end_memberships(gone, _("n'est plus responsable d'un élève de l'établissement"))
        plan.guardianship_ends.extend(
            g_id
            for g_id, guardian_id, student_id in Guardianship.objects.filter(
                establishment=plan.establishment
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=plan.today))
            .values_list("id", "guardian_id", "student_id")
            if (guardian_id, student_id) not in in_file_links
        )


# --- Staff -----------------------------------------------------------------------------------


def _plan_staff(plan: _Plan, rows: list[Row]) -> None:
    for row in rows:
        v = row.values
        v["names_key"] = names_key(v["last_name"], v["first_name"])
        v["person_key"] = v["staff_id"] or f"{v['names_key']}|{v['email']}"
    _reject_duplicates(plan, rows, "person_key", "Nom", _("La personne"))
    rows = [r for r in rows if r.line not in plan.rejected_lines]
    memberships = _memberships_here(plan, STAFF_PROFILES)
    by_staff_id = {m["source_id"]: m["account_id"] for m in memberships if m["source_id"]}
    staff_accounts = _accounts_by_id({m["account_id"] for m in memberships})
    by_names_here: dict[str, list[int]] = defaultdict(list)
    for a in staff_accounts.values():
        by_names_here[names_key(a["last_name"], a["first_name"])].append(a["id"])
    emails = sorted({r.values["email"] for r in rows if r.values["email"]})
    candidates = dict(staff_accounts)
    by_email: dict[tuple[str, str], list[int]] = defaultdict(list)
    for chunk in _chunks(emails):
        for a in Account.objects.filter(email__in=chunk).values(*ACCOUNT_COLUMNS):
            candidates[a["id"]] = a
            by_email[(names_key(a["last_name"], a["first_name"]), a["email"])].append(a["id"])
    membership_of = {(m["account_id"], m["profile"]): m for m in memberships}
    links = _class_links(m["id"] for m in memberships)
    # Someone who is not staff here yet is matched by e-mail only when its owner proved that
    # address, and never when they are an operator or staff of another establishment.
    protected = accounts_protected(account_ids=set(candidates), establishment=plan.establishment)

    here = _members_here(plan, candidates)

    def may_match_by_email(account_id: int) -> bool:
        if account_id in here:
            return True
        return (
            account_id not in protected and candidates[account_id]["email_verified_at"] is not None
        )

    claimed: dict[int, int] = {}
    kept_memberships: set[int] = set()
    for row in rows:
        v = row.values
        account_id: int | None = None
        by_address = [
            i for i in by_email.get((v["names_key"], v["email"]), ()) if may_match_by_email(i)
        ]
        if v["staff_id"] and v["staff_id"] in by_staff_id:
            account_id = by_staff_id[v["staff_id"]]
        elif v["email"] and by_address:
            account_id = min(by_address, key=lambda i: (i not in here, i))
        elif len(by_names_here.get(v["names_key"], [])) == 1:
            only = by_names_here[v["names_key"]][0]
            # Same names here, and no e-mail that says it is someone else.
            if (
                not v["email"]
                or not candidates[only]["email"]
                or candidates[only]["email"] == v["email"]
            ):
                account_id = only
        if account_id is not None and account_id in claimed:
            account_id = None  # a homonym: the other line already took that account
        if account_id is None:
            account = _new_account(
                plan, last_name=v["last_name"], first_name=v["first_name"], email=v["email"]
            )
            person = plan.person_new(
                account,
                row,
                _("nouveau compte %(profile)s")
                % {"profile": Membership.Profile(v["profile"]).label},
            )
            ref = plan.membership(
                person, None, profile=v["profile"], source_id=v["staff_id"], function=v["function"]
            )
            plan.classes(person, ref, {}, v["classes"])
            continue
        claimed[account_id] = row.line
        existing = candidates[account_id]
        person = plan.person_existing(existing, row)
        wanted: dict[str, Any] = {}
        if account_id in staff_accounts and account_id not in protected:
            # Only this establishment's own staff take its file's names and address.
            if names_key(existing["last_name"], existing["first_name"]) != v["names_key"]:
                wanted.update(last_name=v["last_name"], first_name=v["first_name"])
            if v["email"] and existing["email_verified_at"] is None:
                wanted["email"] = v["email"]
        plan.account_fields(person, existing, wanted)
        membership = membership_of.get((account_id, v["profile"]))
        if membership is not None:
            kept_memberships.add(membership["id"])
        ref = plan.membership(
            person,
            membership,
            profile=v["profile"],
            source_id=v["staff_id"],
            function=v["function"],
        )
        plan.classes(
            person, ref, links.get(membership["id"], {}) if membership else {}, v["classes"]
        )
    if plan.full:
        gone = [
            m
            for m in memberships
            if m["id"] not in kept_memberships
            and _is_current(m, plan.today)
            # An administrateur local keeps the console until revoked on purpose.
            and not m["is_local_admin"]
        ]
        plan.end_memberships(
            gone, _("ne fait plus partie du personnel (absent du fichier complet)")
        )


_PLANNERS: dict[str, Callable[[_Plan, list[Row]], None]] = {
    STUDENTS: _plan_students,
    GUARDIANS: _plan_guardians,
    STAFF: _plan_staff,
}


def _logins_taken(candidates: list[str]) -> set[str]:
    taken: set[str] = set()
    for chunk in _chunks(candidates, 5000):
        taken.update(Account.objects.filter(login__in=chunk).values_list("login", flat=True))
    return taken


def _logins_with_prefix(bases: list[str]) -> set[str]:
    """Logins starting with one of ``bases``: one index range scan per base."""
    found: set[str] = set()
    if connection.vendor == "postgresql":
        # Bases are made of [a-z0-9.-], all below "~": [base, base~) holds every login that
        # starts with base, and the login's varchar_pattern_ops index (Django's "_like"
        # index) answers each range directly.
        with connection.cursor() as cursor:
            for chunk in _chunks(bases, 5000):
                cursor.execute(
                    "SELECT a.login FROM unnest(string_to_array(%s, ' ')) AS p(prefix) "
                    "JOIN directory_account a ON a.login::text ~>=~ p.prefix "
                    "AND a.login::text ~<~ (p.prefix || '~')",
                    [" ".join(chunk)],
                )
                found.update(row[0] for row in cursor.fetchall())
        return found
    for chunk in _chunks(bases, 200):
        condition = Q()
        for base in chunk:
            condition |= Q(login__startswith=base)
        found.update(Account.objects.filter(condition).values_list("login", flat=True))
    return found


# --- Apply -----------------------------------------------------------------------------------


def _bulk_update(model: Any, updates: dict[int, dict[str, Any]], now: dt.datetime) -> None:
    """One ``bulk_update`` per set of changed fields (plus ``updated_at``)."""
    by_fields: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for pk, changed in updates.items():
        fields = tuple(sorted(changed))
        by_fields[fields].append(model(pk=pk, updated_at=now, **changed))
    for fields, objs in by_fields.items():
        # Identical values for all (school year, end of membership): one UPDATE per batch.
        values = [tuple(getattr(o, f) for f in fields) for o in objs]
        if len(set(values)) == 1:
            common = dict(zip(fields, values[0], strict=True))
            for chunk in _chunks([o.pk for o in objs], 5000):
                model.objects.filter(pk__in=chunk).update(updated_at=now, **common)
        else:
            model.objects.bulk_update(objs, [*fields, "updated_at"], batch_size=500)


class _Inserter:
    """Insert plain rows fast: COPY on PostgreSQL, ``executemany`` elsewhere.

    Django's ``bulk_create`` builds a model instance and prepares every value of every row
    through the field API (about 30 µs per account); an import of 270,000 people cannot
    afford that. Rows here are dicts of column values; missing columns take the field default.
    Primary keys, when other rows must refer to them, are reserved beforehand
    (:meth:`reserve_ids`), so the rows can be streamed without RETURNING.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def reserve_ids(self, model: Any, count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the import holds the database's write lock (BEGIN IMMEDIATE), and an
            # id past both the largest one and the AUTOINCREMENT counter is never reused.
            cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
            top = max(top, cursor.fetchone()[0])
        return list(range(top + 1, top + 1 + count))

    def insert(self, model: Any, rows: Sequence[dict[str, Any]], *, with_id: bool = False) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        columns = [f.column for f in fields]
        defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in fields}
        names = [f.attname for f in fields]
        table = model._meta.db_table
        quoted = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([_pg(row.get(n, defaults[n])) for n in names])
                return
            adapters = [_sqlite_adapter(f) for f in fields]
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})'  # noqa: S608
            params = [
                [adapt(row.get(n, defaults[n])) for n, adapt in zip(names, adapters, strict=True)]
                for row in rows
            ]
            for batch in _chunks(params, 5000):
                cursor.executemany(sql, batch)


def _pg(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict) else value


def _sqlite_adapter(field: Any) -> Callable[[Any], Any]:
    ops = connection.ops
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "JSONField":
        return lambda v: None if v is None else json.dumps(v)
    return lambda v: v


def _apply(
    plan: _Plan,
    *,
    actor: Any,
    request: HttpRequest | None,
    step: Callable[[], None],
) -> None:
    now = plan.now
    inserter = _Inserter()
    # Classes first: memberships link to them.
    missing = sorted(plan.class_codes - set(plan.existing_classes))
    inserter.insert(
        SchoolClass,
        [
            {
                "establishment_id": plan.establishment.pk,
                "school_year": plan.school_year,
                "code": code,
            }
            for code in missing
        ],
    )
    class_ids = dict(
        SchoolClass.objects.filter(
            establishment=plan.establishment, school_year=plan.school_year
        ).values_list("code", "id")
    )
    for row, pk in zip(
        plan.new_accounts,
        inserter.reserve_ids(Account, len(plan.new_accounts)),
        strict=True,
    ):
        row.pk = row.values["id"] = pk
    for accounts in _chunks(plan.new_accounts, 20000):
        inserter.insert(Account, [r.values for r in accounts], with_id=True)
        step()
    _bulk_update(Account, plan.account_updates, now)
    for row, pk in zip(
        plan.new_memberships,
        inserter.reserve_ids(Membership, len(plan.new_memberships)),
        strict=True,
    ):
        row.pk = row.values["id"] = pk
        row.values["account_id"] = _pk(row.values["account_id"])
    inserter.insert(Membership, [r.values for r in plan.new_memberships], with_id=True)
    step()
    _bulk_update(Membership, plan.membership_updates, now)
    for ended in _chunks(sorted(plan.membership_ends), 5000):
        Membership.objects.filter(pk__in=ended).update(end_date=plan.today, updated_at=now)
    through = Membership.classes.through
    for removed in _chunks(plan.class_links_remove, 5000):
        through.objects.filter(pk__in=removed).delete()
    inserter.insert(
        through,
        [
            {"membership_id": _pk(ref), "schoolclass_id": class_ids[code]}
            for ref, code in plan.class_links_add
        ],
    )
    step()
    inserter.insert(
        Guardianship,
        [
            {
                "guardian_id": _pk(ref),
                "student_id": student_id,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
            for ref, student_id, fields in plan.new_guardianships
        ],
    )
    step()
    _bulk_update(Guardianship, plan.guardianship_updates, now)
    for ended in _chunks(plan.guardianship_ends, 5000):
        Guardianship.objects.filter(pk__in=ended).update(end_date=plan.today, updated_at=now)
    # Audit: one event per changed person. The event is built once by the audit service (actor,
    # establishment, address, time) and repeated per target, as plain rows.
    template = audit_event_build(
        action="account.update", actor=actor, establishment=plan.establishment, request=request
    )
    base = {
        f.attname: getattr(template, f.attname)
        for f in AuditEvent._meta.concrete_fields
        if not f.primary_key
    }
    events: list[dict[str, Any]] = []
    for person in plan.people:
        if person.created or person.fields:
            data: dict[str, Any] = {"kind": plan.kind}
            if not person.created:
                data["fields"] = sorted(set(person.fields))
            events.append(
                {
                    **base,
                    "action": "account.create" if person.created else "account.update",
                    "target_id": _pk(person.ref),
                    "target_label": person.login,
                    "data": data,
                }
            )
    for person in plan.ended_people:
        events.append(
            {
                **base,
                "action": "membership.end",
                "target_id": _pk(person.ref),
                "target_label": person.login,
                "data": {"kind": plan.kind},
            }
        )
    inserter.insert(AuditEvent, events)
    step()


def _import_lock() -> None:
    """Serialise imports: logins are allocated from what the database holds at planning time.

    On PostgreSQL a transaction-level advisory lock; SQLite's IMMEDIATE transactions already
    admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x7072_6561_7500])


def _change(person: _Person, action: str) -> ImportChange:
    return ImportChange(
        action=action,
        login=person.login,
        name=person.name,
        detail=" ; ".join(person.details),
        identity=list(person.identity),
        homonym=person.homonym,
    )


def import_run(
    *,
    actor: Any,
    establishment: Establishment,
    kind: str,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    full: bool = False,
    skip_invalid: bool = False,
    school_year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Import one export file of ``kind`` into ``establishment``; never raises for bad input.

    Problems (file, line, column, French message) go into the report. Unless ``skip_invalid``,
    a file with any problem writes nothing (``written=False``, ``refused=True``). ``dry_run``
    plans and reports without writing. ``full`` ends the memberships of people of that kind
    missing from the file. ``progress(done, total)`` is called as the work advances.
    Raises ``PermissionDenied`` when ``actor`` does not administer ``establishment``.
    """
    import_check(actor=actor, establishment=establishment)
    report = ImportReport(kind=kind, filename=filename, dry_run=dry_run, written=False)
    if kind not in KINDS:
        report.problems.append(
            ImportProblem(
                filename,
                0,
                "",
                _("Type d'import « %(kind)s » inconnu : students, guardians ou staff.")
                % {"kind": kind},
            )
        )
        report.refused = True
        return report
    year = school_year or current_school_year()
    estimate = max(1, data.count(b"\n"))
    total = 2 * estimate

    def tick(done: int, of: int = total) -> None:
        if progress is not None:
            progress(min(done, of), of)

    parsed = read_export(
        kind=kind,
        data=data,
        filename=filename,
        today=timezone.localdate(),
        progress=lambda count: tick(min(count, estimate)),
    )
    report.problems.extend(parsed.problems)
    if parsed.fatal:
        report.refused = True
        report.rejected = max(len(parsed.rejected_lines), 1 if parsed.problems else 0)
        return report

    def plan_now() -> _Plan:
        plan = _Plan(
            establishment=establishment, kind=kind, filename=filename, school_year=year, full=full
        )
        plan.rejected_lines |= parsed.rejected_lines
        _PLANNERS[kind](plan, parsed.rows)
        plan.finish(_logins_taken, _logins_with_prefix)
        return plan

    def fill(plan: _Plan) -> None:
        report.problems = sorted(
            [*parsed.problems, *plan.problems], key=lambda p: (p.line, p.column)
        )
        report.rejected = len(plan.rejected_lines)
        report.created = sum(1 for p in plan.people if p.created)
        report.updated = sum(1 for p in plan.people if not p.created and p.fields)
        report.ended = len(plan.ended_people)
        report.unchanged = plan.unchanged
        changed = [
            (p, "create" if p.created else "update") for p in plan.people if p.created or p.fields
        ]
        changed += [(p, "end") for p in plan.ended_people]
        report.changes = [_change(p, action) for p, action in changed[:PREVIEW_LIMIT]]
        report.identity_changes = sum(1 for p in plan.people if p.identity)
        report.homonyms = sum(1 for p in plan.people if p.homonym)
        flagged = [(p, action) for p, action in changed if p.identity or p.homonym]
        report.flagged = [_change(p, action) for p, action in flagged[:FLAGGED_LIMIT]]

    if dry_run:
        plan = plan_now()
        fill(plan)
        report.refused = bool(report.problems) and not skip_invalid
        tick(total)
        return report

    with transaction.atomic():
        _import_lock()
        plan = plan_now()
        fill(plan)
        tick(estimate)
        if report.problems and not skip_invalid:
            report.refused = True
            return report
        if plan.empty:
            tick(total)
            return report
        steps = max(
            1,
            (len(plan.new_accounts) + len(plan.new_memberships) + len(plan.class_links_add))
            // BATCH_SIZE
            + len(plan.new_guardianships) // BATCH_SIZE
            + (len(plan.people) + len(plan.ended_people)) // BATCH_SIZE
            + 5,
        )
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            tick(estimate + estimate * min(done, steps) // steps)

        _apply(plan, actor=actor, request=request, step=step)
        audit_record_many(
            [
                audit_event_build(
                    action="import.run",
                    actor=actor,
                    establishment=establishment,
                    request=request,
                    data={
                        "kind": kind,
                        "filename": filename,
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "school_year": year,
                        "full": full,
                        "skip_invalid": skip_invalid,
                        "created": report.created,
                        "updated": report.updated,
                        "ended": report.ended,
                        "unchanged": report.unchanged,
                        "rejected": report.rejected,
                    },
                )
            ]
        )
        report.written = True
    tick(total)
    return report
