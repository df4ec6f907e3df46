"""Write an import's plan: rows inserted and updated in bulk, then one audit event per person.

Runs inside :func:`preau.provisioning.imports.import_run`'s transaction: any exception rolls
the whole import back. New rows are streamed by :class:`preau.db_bulk.BulkInserter` (COPY on
PostgreSQL) with their primary keys reserved beforehand, so rows that refer to each other (a
membership to its new account) are written without reading anything back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest

from preau.audit.services import AuditTarget, audit_record_bulk
from preau.db_bulk import BulkInserter, bulk_update, chunks
from preau.directory.models import Account, Guardianship, Membership, SchoolClass
from preau.provisioning.import_plan import ImportPlan, ref_pk

__all__ = ["plan_apply"]


def plan_apply(
    plan: ImportPlan,
    *,
    actor: Any,
    request: HttpRequest | None,
    step: Callable[[], None],
) -> None:
    inserter = BulkInserter()
    # Classes first: memberships link to them.
    class_ids = _classes_write(plan, inserter)
    _accounts_write(plan, inserter, step)
    _memberships_write(plan, inserter, class_ids, step)
    _guardianships_write(plan, inserter, step)
    # Audit: one event per changed person, built once by the audit service (actor,
    # establishment, address, time) and repeated per target.
    audit_record_bulk(
        actor=actor,
        establishment=plan.establishment,
        request=request,
        targets=_audit_targets(plan),
    )
    step()


def _classes_write(plan: ImportPlan, inserter: BulkInserter) -> dict[str, int]:
    """Create the classes of this year the plan needs; every class of this year by code."""
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
    return dict(
        SchoolClass.objects.filter(
            establishment=plan.establishment, school_year=plan.school_year
        ).values_list("code", "id")
    )


def _accounts_write(plan: ImportPlan, inserter: BulkInserter, step: Callable[[], None]) -> None:
    for row, pk in zip(
        plan.new_accounts,
        inserter.reserve_ids(Account, len(plan.new_accounts)),
        strict=True,
    ):
        row.pk = row.values["id"] = pk
    for accounts in chunks(plan.new_accounts, 20000):
        inserter.insert(Account, [r.values for r in accounts], with_id=True)
        step()
    bulk_update(Account, plan.account_updates, plan.now)


def _memberships_write(
    plan: ImportPlan,
    inserter: BulkInserter,
    class_ids: dict[str, int],
    step: Callable[[], None],
) -> None:
    now = plan.now
    for row, pk in zip(
        plan.new_memberships,
        inserter.reserve_ids(Membership, len(plan.new_memberships)),
        strict=True,
    ):
        row.pk = row.values["id"] = pk
        row.values["account_id"] = ref_pk(row.values["account_id"])
    inserter.insert(Membership, [r.values for r in plan.new_memberships], with_id=True)
    step()
    bulk_update(Membership, plan.membership_updates, now)
    for ended in chunks(sorted(plan.membership_ends), 5000):
        Membership.objects.filter(pk__in=ended).update(end_date=plan.today, updated_at=now)
    through = Membership.classes.through
    for removed in chunks(plan.class_links_remove, 5000):
        through.objects.filter(pk__in=removed).delete()
    inserter.insert(
        through,
        [
            {"membership_id": ref_pk(ref), "schoolclass_id": class_ids[code]}
            for ref, code in plan.class_links_add
        ],
    )
    step()


def _guardianships_write(
    plan: ImportPlan, inserter: BulkInserter, step: Callable[[], None]
) -> None:
    now = plan.now
    inserter.insert(
        Guardianship,
        [
            {
                "guardian_id": ref_pk(ref),
                "student_id": student_id,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
            for ref, student_id, fields in plan.new_guardianships
        ],
    )
    step()
    bulk_update(Guardianship, plan.guardianship_updates, now)
    for ended in chunks(plan.guardianship_ends, 5000):
        Guardianship.objects.filter(pk__in=ended).update(end_date=plan.today, updated_at=now)


def _audit_targets(plan: ImportPlan) -> Iterator[AuditTarget]:
    for person in plan.people:
        if person.created or person.fields:
            data: dict[str, Any] = {"kind": plan.kind}
            if not person.created:
                data["fields"] = sorted(set(person.fields))
            yield AuditTarget(
                action="account.create" if person.created else "account.update",
                target_id=ref_pk(person.ref),
                target_label=person.login,
                data=data,
            )
    for person in plan.ended_people:
        yield AuditTarget(
            action="membership.end",
            target_id=ref_pk(person.ref),
            target_label=person.login,
            data={"kind": plan.kind},
        )
