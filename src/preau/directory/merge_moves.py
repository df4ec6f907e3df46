"""What a merge moves from the merged account (B) to the one kept (A), and back on undo.

Every function returns (or reads) plain JSON, kept in :class:`~preau.directory.models.
AccountMerge` ``.moved``, so that the operator's undo puts back exactly what moved:

- **memberships**: B's rows move to A whole (classes, source id, dates), so that an import of
  B's establishment finds A by the guardian's or the pupil's source id where it found B. A row
  moved gets ``service_login`` = B's login (unless it had one already): the CAS services of that
  establishment keep receiving the user they knew. Where A already holds the same profile in
  the same establishment, A's row stays (A's identity for those services), takes B's source id
  when it has none, and B's row is deleted (its values kept for undo).
- **guardianships** (B as guardian, or as pupil): moved to A; on a link A already has to the
  same person, the stronger confirmation stays on A's link (confirmed > pending > frozen >
  refused) and B's link is deleted (kept for undo).
- **contacts**: B's *verified* e-mail and mobile fill A's when A has none; A's are never
  overwritten. B keeps none (an import matching by contact must never find B).
- the INE, when A has none (a pupil's national number is unique).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from preau.directory.models import Account, Guardianship, Membership

Moved = dict[str, Any]

STRENGTH = {
    Guardianship.Confirmation.CONFIRMED: 3,
    Guardianship.Confirmation.PENDING: 2,
    Guardianship.Confirmation.FROZEN: 1,
    Guardianship.Confirmation.REFUSED: 0,
}
_MEMBERSHIP_FIELDS = (
    "establishment_id",
    "profile",
    "school_year",
    "function",
    "source_id",
    "service_login",
    "is_local_admin",
    "start_date",
    "end_date",
)
_LINK_FIELDS = (
    "guardian_id",
    "student_id",
    "establishment_id",
    "relationship",
    "legal_responsibility",
    "end_date",
    "confirmation",
    "confirmation_failures",
    "confirmation_changed_at",
)
CONTACTS = (("email", "email_verified_at"), ("mobile", "mobile_verified_at"))


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _from_json(name: str, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if name.endswith("_at"):
        return datetime.fromisoformat(value)
    if name.endswith("_date"):
        return date.fromisoformat(value)
    return value


def _row(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _json(getattr(obj, name)) for name in names}


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _from_json(name, value) for name, value in row.items()}


# --- Memberships ------------------------------------------------------------------------------


def memberships_move(*, source: Account, target: Account) -> Moved:
    mine = {(m.establishment_id, m.profile): m for m in Membership.objects.filter(account=target)}
    moved: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    source_ids: list[int] = []
    for membership in Membership.objects.filter(account=source).prefetch_related("classes"):
        kept = mine.get((membership.establishment_id, membership.profile))
        if kept is None:
            moved.append({"id": membership.pk, "service_login": membership.service_login})
            membership.account = target
            membership.service_login = membership.service_login or source.login
            membership.save(update_fields=["account", "service_login", "updated_at"])
            continue
        if not kept.source_id and membership.source_id:
            kept.source_id = membership.source_id
            kept.save(update_fields=["source_id", "updated_at"])
            source_ids.append(kept.pk)
        row = _row(membership, _MEMBERSHIP_FIELDS)
        row["classes"] = [c.pk for c in membership.classes.all()]
        deleted.append(row)
        membership.delete()
    return {"memberships": moved, "memberships_deleted": deleted, "source_ids": source_ids}


def memberships_restore(*, source: Account, target: Account, moved: Moved) -> None:
    for entry in moved.get("memberships", []):
        Membership.objects.filter(pk=entry["id"], account=target).update(
            account=source, service_login=entry["service_login"], updated_at=timezone.now()
        )
    Membership.objects.filter(pk__in=moved.get("source_ids", []), account=target).update(
        source_id="", updated_at=timezone.now()
    )
    for row in moved.get("memberships_deleted", []):
        values = _values({k: v for k, v in row.items() if k != "classes"})
        if Membership.objects.filter(
            account=source, establishment_id=values["establishment_id"], profile=values["profile"]
        ).exists():
            continue
        restored = Membership.objects.create(account=source, **values)
        restored.classes.set(row["classes"])


# --- Guardianships ----------------------------------------------------------------------------


def _links_move(*, side: str, other: str, source: Account, target: Account) -> Moved:
    """B's links where B is ``side`` (guardian or student) go to A."""
    mine = {
        getattr(link, f"{other}_id"): link for link in Guardianship.objects.filter(**{side: target})
    }
    moved: list[int] = []
    deleted: list[dict[str, Any]] = []
    raised: list[dict[str, Any]] = []
    for link in Guardianship.objects.filter(**{side: source}):
        counterpart = getattr(link, f"{other}_id")
        kept = mine.get(counterpart)
        if kept is None:
            moved.append(link.pk)
            setattr(link, side, target)
            link.save(update_fields=[side, "updated_at"])
            continue
        if STRENGTH[link.confirmation] > STRENGTH[kept.confirmation]:
            raised.append({"id": kept.pk, **_row(kept, ("confirmation", "confirmation_failures"))})
            kept.confirmation = link.confirmation
            kept.confirmation_failures = link.confirmation_failures
            kept.confirmation_changed_at = timezone.now()
            kept.save(
                update_fields=[
                    "confirmation",
                    "confirmation_failures",
                    "confirmation_changed_at",
                    "updated_at",
                ]
            )
        deleted.append(_row(link, _LINK_FIELDS))
        link.delete()
    return {
        f"links_{side}": moved,
        f"links_{side}_deleted": deleted,
        f"links_{side}_raised": raised,
    }


def guardianships_move(*, source: Account, target: Account) -> Moved:
    return {
        **_links_move(side="guardian", other="student", source=source, target=target),
        **_links_move(side="student", other="guardian", source=source, target=target),
    }


def guardianships_restore(*, source: Account, target: Account, moved: Moved) -> None:
    for side in ("guardian", "student"):
        Guardianship.objects.filter(pk__in=moved.get(f"links_{side}", []), **{side: target}).update(
            **{side: source}, updated_at=timezone.now()
        )
        for entry in moved.get(f"links_{side}_raised", []):
            Guardianship.objects.filter(pk=entry["id"]).update(
                confirmation=entry["confirmation"],
                confirmation_failures=entry["confirmation_failures"],
            )
        for row in moved.get(f"links_{side}_deleted", []):
            values = _values(row)
            if not Guardianship.objects.filter(
                guardian_id=values["guardian_id"], student_id=values["student_id"]
            ).exists():
                Guardianship.objects.create(**values)


# --- Contacts ---------------------------------------------------------------------------------


def contacts_move(*, source: Account, target: Account) -> Moved:
    """B's verified contacts fill A's empty ones; B keeps none. Saves both accounts' fields."""
    moved: Moved = {
        "source_contacts": _row(
            source, ("email", "email_verified_at", "mobile", "mobile_verified_at", "ine")
        )
    }
    filled: list[str] = []
    for value_name, verified_name in CONTACTS:
        value = getattr(source, value_name)
        verified = getattr(source, verified_name)
        if value and verified is not None and not getattr(target, value_name):
            setattr(target, value_name, value)
            setattr(target, verified_name, verified)
            filled.append(value_name)
        setattr(source, value_name, "")
        setattr(source, verified_name, None)
    ine = source.ine
    source.ine = None
    source.save(update_fields=["email", "email_verified_at", "mobile", "mobile_verified_at", "ine"])
    if ine and not target.ine:
        target.ine = ine
        filled.append("ine")
    if filled:
        names = [
            n
            for value_name, verified_name in CONTACTS
            if value_name in filled
            for n in (value_name, verified_name)
        ]
        target.save(update_fields=[*names, *(["ine"] if "ine" in filled else [])])
    moved["filled"] = filled
    return moved


def contacts_restore(*, source: Account, target: Account, moved: Moved) -> None:
    previous = _values(moved.get("source_contacts", {}))
    filled = moved.get("filled", [])
    target_fields: list[str] = []
    for value_name, verified_name in CONTACTS:
        if value_name in filled and getattr(target, value_name) == previous.get(value_name):
            setattr(target, value_name, "")
            setattr(target, verified_name, None)
            target_fields += [value_name, verified_name]
    if "ine" in filled and target.ine == previous.get("ine"):
        target.ine = None
        target_fields.append("ine")
    if target_fields:
        target.save(update_fields=target_fields)
    for name, value in previous.items():
        setattr(source, name, value)
    source.save(update_fields=list(previous))
