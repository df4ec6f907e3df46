"""Reads for merges: what a merge would move (the page that asks to confirm), the likely
duplicates of a console's establishments, the merges the operator may still undo."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

from django.db.models import Q, QuerySet

from preau.directory.merge_moves import CONTACTS
from preau.directory.merges import merge_undoable_since
from preau.directory.models import Account, AccountMerge, Guardianship, Membership
from preau.directory.scope import is_operator
from preau.names import names_key

State = Account.State


@dataclass
class MergePreview:
    """What moves from ``source`` to ``target``, for the person (or the desk) to check."""

    source: Account
    target: Account
    # (establishment name, profile label) of the memberships that move.
    memberships: list[tuple[str, str]] = field(default_factory=list)
    # First names and establishments of the children whose link is confirmed.
    children: list[tuple[str, str]] = field(default_factory=list)
    # Links that still wait for a birth date (or were frozen): moved as they are.
    other_links: int = 0
    # The verified contacts that fill the target's empty ones ("email", "mobile").
    contacts: list[str] = field(default_factory=list)


def merge_preview(*, source: Account, target: Account) -> MergePreview:
    preview = MergePreview(source=source, target=target)
    for membership in (
        Membership.objects.current().filter(account=source).select_related("establishment")
    ):
        preview.memberships.append(
            (membership.establishment.name, membership.get_profile_display())
        )
    for link in (
        Guardianship.objects.current()
        .filter(guardian=source)
        .select_related("student", "establishment")
    ):
        if link.confirmation == Guardianship.Confirmation.CONFIRMED:
            preview.children.append((link.student.first_name, link.establishment.name))
        else:
            preview.other_links += 1
    for value_name, verified_name in CONTACTS:
        if (
            getattr(source, value_name)
            and getattr(source, verified_name) is not None
            and not getattr(target, value_name)
        ):
            preview.contacts.append(value_name)
    return preview


# --- Likely duplicates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """Two accounts that are likely one person: same folded names and ``reasons``."""

    first: Account
    second: Account
    reasons: tuple[str, ...]

    @property
    def suggested_target(self) -> Account:
        """The account to keep: the active one, else the older."""
        pair = sorted(
            (self.first, self.second), key=lambda a: (a.state != State.ACTIVE, a.created_at, a.pk)
        )
        return pair[0]

    @property
    def suggested_source(self) -> Account:
        target = self.suggested_target
        return self.second if target is self.first else self.first


def _members(establishment_ids: Iterable[int]) -> QuerySet[Account]:
    ids = sorted(set(establishment_ids))
    member_ids = Membership.objects.current().filter(establishment_id__in=ids).values("account_id")
    return (
        Account.objects.filter(pk__in=member_ids, state__in=(State.PROVISIONED, State.ACTIVE))
        .filter(is_staff=False, is_superuser=False)
        .only("login", "first_name", "last_name", "mobile", "email", "state", "created_at")
        .order_by("pk")
    )


def duplicates_likely(*, establishment_ids: Iterable[int]) -> list[Duplicate]:
    """Pairs of accounts of these establishments with the same folded names and the same
    mobile, the same e-mail or a child in common. Three queries."""
    by_names: dict[str, list[Account]] = defaultdict(list)
    for account in _members(establishment_ids):
        by_names[names_key(account.last_name, account.first_name)].append(account)
    groups = [group for group in by_names.values() if len(group) > 1]
    candidates = [a.pk for group in groups for a in group]
    children: dict[int, set[int]] = defaultdict(set)
    for guardian_id, student_id in (
        Guardianship.objects.current()
        .filter(guardian_id__in=candidates)
        .values_list("guardian_id", "student_id")
    ):
        children[guardian_id].add(student_id)
    found: list[Duplicate] = []
    for group in groups:
        for first, second in combinations(group, 2):
            reasons = tuple(
                reason
                for reason, same in (
                    ("mobile", bool(first.mobile) and first.mobile == second.mobile),
                    ("email", bool(first.email) and first.email.lower() == second.email.lower()),
                    ("child", bool(children[first.pk] & children[second.pk])),
                )
                if same
            )
            if reasons:
                found.append(Duplicate(first, second, reasons))
    return found


def merges_undoable(*, actor: object, now: datetime | None = None) -> QuerySet[AccountMerge]:
    """The merges the operator may still undo, the latest first (none for anyone else)."""
    if not is_operator(actor):
        return AccountMerge.objects.none()
    return (
        AccountMerge.objects.filter(
            undone_at__isnull=True, created_at__gte=merge_undoable_since(now)
        )
        .select_related("source", "target", "actor")
        .order_by("-created_at")
    )


def merge_of(account: Account) -> AccountMerge | None:
    """The live merge that made ``account`` MERGED, if any."""
    return (
        AccountMerge.objects.filter(Q(source=account), undone_at__isnull=True)
        .select_related("target")
        .first()
    )
