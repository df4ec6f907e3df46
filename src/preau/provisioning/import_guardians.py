"""How a guardians file recognises its parents (docs/import-formats.md, "Guardians").

Three phases:

1. **match** — the file's lines that name one person are grouped (same guardian id, same names
   and e-mail, same names and mobile; names and postal code for lines with none of them), then
   each group is matched to an account: the same *Identifiant responsable* here; otherwise the
   same names and a contact, for the establishment's own people whatever the contact and for
   another establishment's only when its owner proved it (never a protected account); otherwise
   the same names as a guardian already linked to one of the same children, with the same postal
   code (or none on either side). The establishment's own guardian is taken first.
2. **merge** — two groups matched to one account are one person (e-mail on one line, mobile on
   another).
3. **link** — each person's account (names and contacts taken only by the establishment's own
   guardians), membership, and links to the children of their lines; a full file ends the rest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from preau.db_bulk import chunks
from preau.directory.models import Account, Guardianship, Membership, current_q
from preau.directory.scope import accounts_protected
from preau.provisioning.import_plan import (
    ACCOUNT_COLUMNS,
    AccountRef,
    ImportPlan,
    PlannedPerson,
    accounts_by_id,
    is_current,
    members_here,
    memberships_here,
    names_key,
    new_account,
)
from preau.provisioning.readers import Row

__all__ = ["plan_guardians"]


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


@dataclass
class _Known:
    """What the directory holds that the file's lines may name, loaded in bulk."""

    students: dict[str, int]  # student number -> account id, current pupils here
    guardian_memberships: list[dict[str, Any]]
    by_gid: dict[str, int]  # guardian id -> account id, guardians here
    membership_of: dict[int, dict[str, Any]]  # account id -> guardian membership here
    by_contact: dict[tuple[str, str, str], list[int]]  # (column, names key, value) -> ids
    candidates: dict[int, dict[str, Any]]  # account id -> account
    guardianships: dict[tuple[int, int], Any]  # (guardian id, student id) -> link
    linked_by_student: dict[int, list[int]]  # student id -> guardian ids
    protected: set[int]
    here: set[int]  # candidates with a membership of the establishment

    def may_match_by_contact(self, account_id: int, column: str) -> bool:
        if account_id in self.here:
            return True
        return account_id not in self.protected and (
            self.candidates[account_id][f"{column}_verified_at"] is not None
        )


def plan_guardians(plan: ImportPlan, rows: list[Row]) -> None:
    students = _current_students(plan)
    rows = _rows_with_a_pupil(plan, rows, students)
    # 1. Match: lines that name the same person, inside the file, then each group to an account.
    uf = _lines_group(rows)
    known = _known_load(plan, rows, students)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        groups[uf.find(i)].append(i)
    matched: dict[int, int] = {}  # group root -> account id
    for root, members in groups.items():
        found = _group_match(known, rows, members)
        if found is not None:
            matched[root] = found
    # 2. Merge: two groups matched to one account are one person.
    persons, account_of_root = _groups_merge(uf, len(rows), matched)
    # 3. Link: plan each person's account, membership and guardianships.
    in_file_accounts: set[int] = set()
    in_file_links: set[tuple[int, int]] = set()
    for root in sorted(persons):
        members = persons[root]
        account_id = account_of_root.get(root)
        if account_id is not None:
            in_file_accounts.add(account_id)
        person, ref = _person_plan(plan, known, rows, members, account_id)
        _links_plan(
            plan,
            known,
            rows,
            members,
            person=person,
            ref=ref,
            account_id=account_id,
            in_file_links=in_file_links,
        )
    if plan.full:
        _guardians_end_absent(plan, known, in_file_accounts, in_file_links)


def _current_students(plan: ImportPlan) -> dict[str, int]:
    return {
        m["source_id"]: m["account_id"]
        for m in memberships_here(plan, [Membership.Profile.STUDENT])
        if m["source_id"] and is_current(m, plan.today)
    }


def _rows_with_a_pupil(plan: ImportPlan, rows: list[Row], students: dict[str, int]) -> list[Row]:
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
    return kept


def _lines_group(rows: list[Row]) -> _UnionFind:
    """Lines that name the same person, inside the file (and each line's ``names_key``)."""
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
    return uf


def _known_load(plan: ImportPlan, rows: list[Row], students: dict[str, int]) -> _Known:
    guardian_memberships = memberships_here(plan, [Membership.Profile.GUARDIAN])
    by_gid = {m["source_id"]: m["account_id"] for m in guardian_memberships if m["source_id"]}
    membership_of = {m["account_id"]: m for m in guardian_memberships}
    emails = sorted({r.values["email"] for r in rows if r.values["email"]})
    mobiles = sorted({r.values["mobile"] for r in rows if r.values["mobile"]})
    by_contact: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    candidates: dict[int, dict[str, Any]] = {}
    for column, values in (("email", emails), ("mobile", mobiles)):
        for chunk in chunks(values):
            for a in Account.objects.filter(**{f"{column}__any": chunk}).values(*ACCOUNT_COLUMNS):
                candidates[a["id"]] = a
                by_contact[(column, names_key(a["last_name"], a["first_name"]), a[column])].append(
                    a["id"]
                )
    student_ids = sorted({students[r.values["school_id"]] for r in rows})
    guardianships: dict[tuple[int, int], Any] = {}
    for chunk in chunks(student_ids):
        for g in Guardianship.objects.filter(student_id__any=chunk).values(
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
    candidates.update(accounts_by_id(linked_ids - set(candidates)))
    linked_by_student: dict[int, list[int]] = defaultdict(list)
    for guardian_id, student_id in guardianships:
        linked_by_student[student_id].append(guardian_id)
    missing = {a for a in by_gid.values() if a not in candidates}
    candidates.update(accounts_by_id(missing))
    # Accounts without a guardian membership here are another establishment's people: the file
    # may match one only through a child this establishment holds (with the same names), or
    # an exact contact its owner has proved, and never an operator or another school's staff.
    protected = accounts_protected(account_ids=set(candidates), establishment=plan.establishment)
    return _Known(
        students=students,
        guardian_memberships=guardian_memberships,
        by_gid=by_gid,
        membership_of=membership_of,
        by_contact=by_contact,
        candidates=candidates,
        guardianships=guardianships,
        linked_by_student=linked_by_student,
        protected=protected,
        here=members_here(plan, candidates),
    )


def _group_match(known: _Known, rows: list[Row], members: list[int]) -> int | None:
    """The account one group of lines names: by guardian id, by contact, by child."""
    for i in members:
        v = rows[i].values
        if v["guardian_id"] and v["guardian_id"] in known.by_gid:
            return known.by_gid[v["guardian_id"]]
    here = known.here
    for i in members:
        v = rows[i].values
        for column in ("email", "mobile"):
            ids = known.by_contact.get((column, v["names_key"], v[column])) if v[column] else None
            allowed = [i for i in ids or () if known.may_match_by_contact(i, column)]
            if allowed:
                # The establishment's own guardian first: another school's account
                # with a proved contact is taken only when none is here.
                return min(allowed, key=lambda i: (i not in here, i))
    for i in members:
        v = rows[i].values
        for guardian_id in sorted(known.linked_by_student[known.students[v["school_id"]]]):
            a = known.candidates[guardian_id]
            if guardian_id in known.protected and guardian_id not in here:
                continue
            if names_key(a["last_name"], a["first_name"]) == v["names_key"] and (
                not a["postal_code"] or not v["postal_code"] or a["postal_code"] == v["postal_code"]
            ):
                return guardian_id
    return None


def _groups_merge(
    uf: _UnionFind, count: int, matched: dict[int, int]
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Two groups matched to one account are one person (e-mail on one line, mobile on
    another): the lines of each person, and the account of each person matched."""
    by_account: dict[int, int] = {}
    for root in sorted(matched):
        matched_id = matched[root]
        if matched_id in by_account:
            uf.union(by_account[matched_id], root)
        else:
            by_account[matched_id] = root
    persons: dict[int, list[int]] = defaultdict(list)
    for i in range(count):
        persons[uf.find(i)].append(i)
    account_of_root = {uf.find(root): account_id for root, account_id in matched.items()}
    return persons, account_of_root


def _person_plan(
    plan: ImportPlan,
    known: _Known,
    rows: list[Row],
    members: list[int],
    account_id: int | None,
) -> tuple[PlannedPerson, AccountRef]:
    """One person's account (new, or brought up to date) and guardian membership here."""
    first = rows[members[0]]
    v = first.values
    # A person's contact: the first non-empty value among their lines.
    contact = {
        key: next((rows[i].values[key] for i in members if rows[i].values[key]), "")
        for key in ("email", "mobile", "postal_code", "guardian_id")
    }
    if account_id is None:
        account = new_account(
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
        existing = known.candidates[account_id]
        person = plan.person_existing(existing, first)
        membership = known.membership_of.get(account_id)
        wanted: dict[str, Any] = {}
        # A membership that came with a merged account (``service_login``: see
        # preau.directory.merges) is the kept account's too: it keeps its own school's.
        if (
            membership is not None
            and account_id not in known.protected
            and not membership["service_login"]
        ):
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
    return person, ref


def _links_plan(
    plan: ImportPlan,
    known: _Known,
    rows: list[Row],
    members: list[int],
    *,
    person: PlannedPerson,
    ref: AccountRef,
    account_id: int | None,
    in_file_links: set[tuple[int, int]],
) -> None:
    """The person's links to the children of their lines: new, or brought up to date."""
    seen_students: set[int] = set()
    for i in members:
        row = rows[i]
        student_id = known.students[row.values["school_id"]]
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
        link = known.guardianships.get((account_id, student_id)) if account_id else None
        if link is None:
            holder = known.candidates.get(account_id) if account_id is not None else None
            if holder is not None and holder["state"] == Account.State.ACTIVE:
                # A child the guardian has not proved yet: "Mes enfants" asks the birth date.
                wanted_link = {**wanted_link, "confirmation": Guardianship.Confirmation.PENDING}
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


def _guardians_end_absent(
    plan: ImportPlan,
    known: _Known,
    in_file_accounts: set[int],
    in_file_links: set[tuple[int, int]],
) -> None:
    """A full file: the guardians it leaves out, and the links it does not name, end here."""
    gone = [
        m
        for m in known.guardian_memberships
        if m["account_id"] not in in_file_accounts and is_current(m, plan.today)
    ]
    plan.end_memberships(gone, _("n'est plus responsable d'un élève de l'établissement"))
    plan.guardianship_ends.extend(
        g_id
        for g_id, guardian_id, student_id in Guardianship.objects.filter(
            establishment=plan.establishment
        )
        .filter(current_q(today=plan.today))
        .values_list("id", "guardian_id", "student_id")
        if (guardian_id, student_id) not in in_file_links
    )
