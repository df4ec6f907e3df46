"""How a students file recognises its pupils (docs/import-formats.md, "Students").

In this order: the same student number in the establishment; otherwise the same INE, for a
pupil the establishment holds or one changing school whose names and birth date agree with the
line, never a protected account (:func:`preau.directory.scope.accounts_protected`). A pupil
attached from another establishment keeps the identity that school gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from preau.db_bulk import chunks
from preau.directory.models import Account, Guardianship, Membership, current_q
from preau.directory.scope import accounts_protected
from preau.provisioning.import_plan import (
    ACCOUNT_COLUMNS,
    ImportPlan,
    accounts_by_id,
    class_links,
    is_current,
    memberships_here,
    names_key,
    new_account,
    reject_duplicates,
)
from preau.provisioning.readers import Row

__all__ = ["plan_students"]


def _same_pupil(account: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a line describes the same pupil as another establishment's account with its
    INE: the same names (folded as identifiers are) and the same birth date."""
    return (
        names_key(account["last_name"], account["first_name"])
        == names_key(values["last_name"], values["first_name"])
        and account["birth_date"] == values["birth_date"]
    )


@dataclass
class _Known:
    """What the directory holds that the file's lines may name, loaded in bulk."""

    memberships: list[dict[str, Any]]
    by_source: dict[str, dict[str, Any]]  # student number -> membership here
    by_account: dict[int, dict[str, Any]]  # account id -> membership here
    by_ine: dict[str, dict[str, Any]]  # INE -> account (of any establishment)
    accounts: dict[int, dict[str, Any]]
    links: dict[int, dict[int, tuple[int, str]]]
    # Pupils of other establishments found by INE, and those a file may never attach.
    outsiders: set[int]
    protected: set[int]


def _known_load(plan: ImportPlan, rows: list[Row]) -> _Known:
    memberships = memberships_here(plan, [Membership.Profile.STUDENT])
    by_source = {m["source_id"]: m for m in memberships if m["source_id"]}
    by_account = {m["account_id"]: m for m in memberships}
    ines = sorted({r.values["ine"] for r in rows if r.values["ine"]})
    by_ine: dict[str, dict[str, Any]] = {
        a["ine"]: a
        for chunk in chunks(ines)
        for a in Account.objects.filter(ine__any=chunk).values(*ACCOUNT_COLUMNS)
    }
    accounts = accounts_by_id(
        m["account_id"] for r in rows if (m := by_source.get(r.values["school_id"]))
    )
    accounts.update({a["id"]: a for a in by_ine.values()})
    links = class_links(m["id"] for m in memberships)
    # Pupils of other establishments found by INE: the file may attach one only when the names
    # and birth date agree too, and never someone who is staff elsewhere or an operator.
    outsiders = {a["id"] for a in by_ine.values() if a["id"] not in by_account}
    protected = accounts_protected(account_ids=outsiders, establishment=plan.establishment)
    return _Known(
        memberships=memberships,
        by_source=by_source,
        by_account=by_account,
        by_ine=by_ine,
        accounts=accounts,
        links=links,
        outsiders=outsiders,
        protected=protected,
    )


def plan_students(plan: ImportPlan, rows: list[Row]) -> None:
    reject_duplicates(plan, rows, "school_id", "Numéro élève", _("Le numéro élève"))
    reject_duplicates(plan, rows, "ine", "INE", _("L'INE"))
    rows = [r for r in rows if r.line not in plan.rejected_lines]
    known = _known_load(plan, rows)
    claimed: dict[int, int] = {}  # account id -> line
    seen_accounts: set[int] = set()
    for row in rows:
        matched, account = _student_match(plan, known, row, claimed)
        if not matched:
            continue
        if account is not None:
            seen_accounts.add(account["id"])
        _student_plan(plan, known, row, account)
    if plan.full:
        _students_end_absent(plan, known, seen_accounts)


def _student_match(
    plan: ImportPlan, known: _Known, row: Row, claimed: dict[int, int]
) -> tuple[bool, dict[str, Any] | None]:
    """The account a line names (None for a new pupil), or ``(False, None)`` when the line
    is refused (an INE of someone else, of a protected account, of another pupil)."""
    v = row.values
    membership = known.by_source.get(v["school_id"])
    by_ine = known.by_ine
    account = known.accounts[membership["account_id"]] if membership else by_ine.get(v["ine"] or "")
    if account is not None and v["ine"] and v["ine"] in by_ine:
        owner = by_ine[v["ine"]]
        if owner["id"] != account["id"]:
            # The other pupil is named only when this establishment holds them.
            message = (
                _(
                    "L'INE %(ine)s est déjà celui de %(login)s, un autre élève que le "
                    "numéro élève %(sid)s : vérifiez l'INE."
                )
                if owner["id"] in known.by_account
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
            return False, None
    outsider = account is not None and account["id"] in known.outsiders
    if outsider and account is not None:
        if account["id"] in known.protected:
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
            return False, None
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
            return False, None
    if account is not None:
        if account["id"] in claimed:
            plan.reject(
                row,
                "INE",
                _("Cet élève est déjà la personne de la ligne %(line)s (même INE).")
                % {"line": claimed[account["id"]]},
            )
            return False, None
        claimed[account["id"]] = row.line
    return True, account


def _student_plan(
    plan: ImportPlan, known: _Known, row: Row, account: dict[str, Any] | None
) -> None:
    """A new pupil, or the changes of a known one: identity, membership and class."""
    v = row.values
    wanted = {
        "last_name": v["last_name"],
        "first_name": v["first_name"],
        "other_first_names": v["other_first_names"],
        "birth_date": v["birth_date"],
    }
    if v["ine"]:
        wanted["ine"] = v["ine"]
    if account is None:
        new = new_account(plan, **wanted)
        person = plan.person_new(
            new, row, _("nouvel élève, classe %(class)s") % {"class": v["class"]}
        )
        ref = plan.membership(
            person, None, profile=Membership.Profile.STUDENT, source_id=v["school_id"]
        )
        plan.classes(person, ref, {}, [v["class"]])
        return
    person = plan.person_existing(account, row)
    if account["id"] not in known.outsiders:
        # Another establishment's pupil keeps the identity its school gave (it agrees).
        plan.account_fields(person, account, wanted)
    existing = known.by_account.get(account["id"])
    ref = plan.membership(
        person, existing, profile=Membership.Profile.STUDENT, source_id=v["school_id"]
    )
    plan.classes(person, ref, known.links.get(existing["id"], {}) if existing else {}, [v["class"]])


def _students_end_absent(plan: ImportPlan, known: _Known, seen_accounts: set[int]) -> None:
    """A full file: the pupils it leaves out have left, and their guardians' links here end."""
    gone = [
        m
        for m in known.memberships
        if m["account_id"] not in seen_accounts and is_current(m, plan.today)
    ]
    plan.end_memberships(gone, _("a quitté l'établissement (absent du fichier complet)"))
    gone_students = [m["account_id"] for m in gone]
    for chunk in chunks(gone_students):
        plan.guardianship_ends.extend(
            Guardianship.objects.filter(establishment=plan.establishment, student_id__any=chunk)
            .filter(current_q(today=plan.today))
            .values_list("id", flat=True)
        )
