"""How a staff file recognises teachers and staff (docs/import-formats.md, "Staff").

In this order: the same *Identifiant* in the establishment; the same names and e-mail, for
someone who belongs to the establishment, or for someone of another establishment who proved
that address and is not protected (:func:`preau.directory.scope.accounts_protected`); the same
names as the only staff member here with those names, unless the e-mails differ. Only the
establishment's own staff take its file's names and address.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from preau.db_bulk import chunks
from preau.directory.models import Account, Membership
from preau.directory.scope import accounts_protected
from preau.provisioning.import_plan import (
    ACCOUNT_COLUMNS,
    ImportPlan,
    accounts_by_id,
    class_links,
    is_current,
    members_here,
    memberships_here,
    names_key,
    new_account,
    reject_duplicates,
)
from preau.provisioning.readers import Row

__all__ = ["STAFF_PROFILES", "plan_staff"]

STAFF_PROFILES = (Membership.Profile.TEACHER, Membership.Profile.STAFF)


@dataclass
class _Known:
    """What the directory holds that the file's lines may name, loaded in bulk."""

    memberships: list[dict[str, Any]]
    by_staff_id: dict[str, int]  # staff id -> account id, staff here
    staff_accounts: dict[int, dict[str, Any]]  # account id -> account, staff here
    by_names_here: dict[str, list[int]]  # names key -> staff here
    candidates: dict[int, dict[str, Any]]  # account id -> account
    by_email: dict[tuple[str, str], list[int]]  # (names key, e-mail) -> account ids
    membership_of: dict[tuple[int, str], dict[str, Any]]  # (account id, profile) -> membership
    links: dict[int, dict[int, tuple[int, str]]]
    protected: set[int]
    here: set[int]  # candidates with a membership of the establishment

    def may_match_by_email(self, account_id: int) -> bool:
        if account_id in self.here:
            return True
        return (
            account_id not in self.protected
            and self.candidates[account_id]["email_verified_at"] is not None
        )


def plan_staff(plan: ImportPlan, rows: list[Row]) -> None:
    for row in rows:
        v = row.values
        v["names_key"] = names_key(v["last_name"], v["first_name"])
        v["person_key"] = v["staff_id"] or f"{v['names_key']}|{v['email']}"
    reject_duplicates(plan, rows, "person_key", "Nom", _("La personne"))
    rows = [r for r in rows if r.line not in plan.rejected_lines]
    known = _known_load(plan, rows)
    claimed: dict[int, int] = {}
    kept_memberships: set[int] = set()
    for row in rows:
        account_id = _staff_match(known, row)
        if account_id is not None and account_id in claimed:
            account_id = None  # a homonym: the other line already took that account
        if account_id is not None:
            claimed[account_id] = row.line
        _staff_plan(plan, known, row, account_id, kept_memberships)
    if plan.full:
        gone = [
            m
            for m in known.memberships
            if m["id"] not in kept_memberships
            and is_current(m, plan.today)
            # An administrateur local keeps the console until revoked on purpose.
            and not m["is_local_admin"]
        ]
        plan.end_memberships(
            gone, _("ne fait plus partie du personnel (absent du fichier complet)")
        )


def _known_load(plan: ImportPlan, rows: list[Row]) -> _Known:
    memberships = memberships_here(plan, STAFF_PROFILES)
    by_staff_id = {m["source_id"]: m["account_id"] for m in memberships if m["source_id"]}
    staff_accounts = accounts_by_id({m["account_id"] for m in memberships})
    by_names_here: dict[str, list[int]] = defaultdict(list)
    for a in staff_accounts.values():
        by_names_here[names_key(a["last_name"], a["first_name"])].append(a["id"])
    emails = sorted({r.values["email"] for r in rows if r.values["email"]})
    candidates = dict(staff_accounts)
    by_email: dict[tuple[str, str], list[int]] = defaultdict(list)
    for chunk in chunks(emails):
        for a in Account.objects.filter(email__any=chunk).values(*ACCOUNT_COLUMNS):
            candidates[a["id"]] = a
            by_email[(names_key(a["last_name"], a["first_name"]), a["email"])].append(a["id"])
    membership_of = {(m["account_id"], m["profile"]): m for m in memberships}
    links = class_links(m["id"] for m in memberships)
    # Someone who is not staff here yet is matched by e-mail only when its owner proved that
    # address, and never when they are an operator or staff of another establishment.
    protected = accounts_protected(account_ids=set(candidates), establishment=plan.establishment)
    return _Known(
        memberships=memberships,
        by_staff_id=by_staff_id,
        staff_accounts=staff_accounts,
        by_names_here=by_names_here,
        candidates=candidates,
        by_email=by_email,
        membership_of=membership_of,
        links=links,
        protected=protected,
        here=members_here(plan, candidates),
    )


def _staff_match(known: _Known, row: Row) -> int | None:
    """The account a line names, or None for a new account."""
    v = row.values
    account_id: int | None = None
    here = known.here
    by_address = [
        i
        for i in known.by_email.get((v["names_key"], v["email"]), ())
        if known.may_match_by_email(i)
    ]
    if v["staff_id"] and v["staff_id"] in known.by_staff_id:
        account_id = known.by_staff_id[v["staff_id"]]
    elif v["email"] and by_address:
        account_id = min(by_address, key=lambda i: (i not in here, i))
    elif len(known.by_names_here.get(v["names_key"], [])) == 1:
        only = known.by_names_here[v["names_key"]][0]
        # Same names here, and no e-mail that says it is someone else.
        if (
            not v["email"]
            or not known.candidates[only]["email"]
            or known.candidates[only]["email"] == v["email"]
        ):
            account_id = only
    return account_id


def _staff_plan(
    plan: ImportPlan,
    known: _Known,
    row: Row,
    account_id: int | None,
    kept_memberships: set[int],
) -> None:
    """A new account, or the changes of a known one: names, address, membership, classes."""
    v = row.values
    if account_id is None:
        account = new_account(
            plan, last_name=v["last_name"], first_name=v["first_name"], email=v["email"]
        )
        person = plan.person_new(
            account,
            row,
            _("nouveau compte %(profile)s") % {"profile": Membership.Profile(v["profile"]).label},
        )
        ref = plan.membership(
            person, None, profile=v["profile"], source_id=v["staff_id"], function=v["function"]
        )
        plan.classes(person, ref, {}, v["classes"])
        return
    existing = known.candidates[account_id]
    person = plan.person_existing(existing, row)
    wanted: dict[str, Any] = {}
    if account_id in known.staff_accounts and account_id not in known.protected:
        # Only this establishment's own staff take its file's names and address.
        if names_key(existing["last_name"], existing["first_name"]) != v["names_key"]:
            wanted.update(last_name=v["last_name"], first_name=v["first_name"])
        if v["email"] and existing["email_verified_at"] is None:
            wanted["email"] = v["email"]
    plan.account_fields(person, existing, wanted)
    membership = known.membership_of.get((account_id, v["profile"]))
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
        person, ref, known.links.get(membership["id"], {}) if membership else {}, v["classes"]
    )
