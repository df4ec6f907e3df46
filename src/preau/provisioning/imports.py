"""The import service: students, guardians and staff from an establishment's export files.

:func:`import_run` is the one entry point (``preau import`` and the console's upload page call
it). It works in two steps:

1. **Plan** — read and check the file (:mod:`preau.provisioning.readers`), load what the
   directory already holds for that establishment in a handful of bulk queries, match every line
   to a person, and work out what must change (:mod:`preau.provisioning.import_plan`). Nothing
   is written; a dry run stops here.
2. **Apply** — in one transaction, create and update rows in bulk, then write the audit events
   in bulk (:mod:`preau.provisioning.import_apply`). Any exception rolls the whole import back.

The identity rules (how a returning person is recognised) are documented in
docs/import-formats.md, "How Préau recognises a person"; each kind of person has its own
module: :mod:`~preau.provisioning.import_students`, :mod:`~preau.provisioning.import_guardians`,
:mod:`~preau.provisioning.import_staff`. Importing the same file twice writes nothing the
second time.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_event_build, audit_record_many
from preau.db_bulk import BATCH_SIZE
from preau.directory.models import Establishment
from preau.directory.scope import import_check
from preau.provisioning.columns import GUARDIANS, KINDS, STAFF, STUDENTS
from preau.provisioning.import_apply import plan_apply
from preau.provisioning.import_guardians import plan_guardians
from preau.provisioning.import_plan import (
    ImportPlan,
    PlannedPerson,
    current_school_year,
    logins_taken,
    logins_with_prefix,
    names_key,
)
from preau.provisioning.import_report import (
    FIELD_LABELS,
    FLAGGED_LIMIT,
    PREVIEW_LIMIT,
    IdentityChange,
    ImportChange,
    ImportReport,
)
from preau.provisioning.import_staff import plan_staff
from preau.provisioning.import_students import plan_students
from preau.provisioning.readers import ImportProblem, ParsedFile, Row, read_export

__all__ = [
    "FIELD_LABELS",
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
    "names_key",
]

_PLANNERS: dict[str, Callable[[ImportPlan, list[Row]], None]] = {
    STUDENTS: plan_students,
    GUARDIANS: plan_guardians,
    STAFF: plan_staff,
}


def _import_lock() -> None:
    """Serialise imports: logins are allocated from what the database holds at planning time.

    On PostgreSQL a transaction-level advisory lock; SQLite's IMMEDIATE transactions already
    admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x7072_6561_7500])


def _change(person: PlannedPerson, action: str) -> ImportChange:
    return ImportChange(
        action=action,
        login=person.login,
        name=person.name,
        detail=" ; ".join(person.details),
        identity=list(person.identity),
        homonym=person.homonym,
    )


def _plan_make(
    report: ImportReport,
    parsed: ParsedFile,
    *,
    establishment: Establishment,
    school_year: int,
    full: bool,
) -> ImportPlan:
    """Plan the import of ``parsed`` (reads only), and report what it would do."""
    plan = ImportPlan(
        establishment=establishment,
        kind=report.kind,
        filename=report.filename,
        school_year=school_year,
        full=full,
    )
    plan.rejected_lines |= parsed.rejected_lines
    _PLANNERS[report.kind](plan, parsed.rows)
    plan.finish(logins_taken, logins_with_prefix)
    _report_fill(report, parsed, plan)
    return plan


def _report_fill(report: ImportReport, parsed: ParsedFile, plan: ImportPlan) -> None:
    """Counts, problems and the preview's changes of ``plan``, into ``report``."""
    report.problems = sorted([*parsed.problems, *plan.problems], key=lambda p: (p.line, p.column))
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


def _read_fill(report: ImportReport, parsed: ParsedFile) -> bool:
    """The problems of reading the file, into ``report``; False when it cannot be imported."""
    report.problems.extend(parsed.problems)
    if parsed.fatal:
        report.refused = True
        report.rejected = max(len(parsed.rejected_lines), 1 if parsed.problems else 0)
        return False
    return True


def _unknown_kind(report: ImportReport) -> ImportReport:
    report.problems.append(
        ImportProblem(
            report.filename,
            0,
            "",
            _("Type d'import « %(kind)s » inconnu : students, guardians ou staff.")
            % {"kind": report.kind},
        )
    )
    report.refused = True
    return report


def _stepper(plan: ImportPlan, tick: Callable[[int], None], estimate: int) -> Callable[[], None]:
    """The progress of the write: from ``estimate`` to twice that, a step at a time (about as
    many steps as :func:`plan_apply` takes)."""
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

    return step


def _run_record(
    report: ImportReport,
    *,
    actor: Any,
    establishment: Establishment,
    request: HttpRequest | None,
    data: bytes,
    school_year: int,
    full: bool,
    skip_invalid: bool,
) -> None:
    """The import's own audit event: which file, with which options, and what it did."""
    audit_record_many(
        [
            audit_event_build(
                action="import.run",
                actor=actor,
                establishment=establishment,
                request=request,
                data={
                    "kind": report.kind,
                    "filename": report.filename,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "school_year": school_year,
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
        return _unknown_kind(report)
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
    if not _read_fill(report, parsed):
        return report

    plan_make = functools.partial(
        _plan_make, report, parsed, establishment=establishment, school_year=year, full=full
    )
    if dry_run:
        plan_make()
        report.refused = bool(report.problems) and not skip_invalid
        tick(total)
        return report

    with transaction.atomic():
        _import_lock()
        plan = plan_make()
        tick(estimate)
        if report.problems and not skip_invalid:
            report.refused = True
            return report
        if plan.empty:
            tick(total)
            return report
        step = _stepper(plan, tick, estimate)
        plan_apply(plan, actor=actor, request=request, step=step)
        _run_record(
            report,
            actor=actor,
            establishment=establishment,
            request=request,
            data=data,
            school_year=year,
            full=full,
            skip_invalid=skip_invalid,
        )
        report.written = True
    tick(total)
    return report
