"""preau.db_bulk and the audit rows written through it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from preau.audit.labels import UnknownAuditAction
from preau.audit.models import AuditEvent
from preau.audit.services import AuditTarget, audit_record_bulk
from preau.db_bulk import BulkInserter, chunks
from preau.directory.models import Account, Establishment

pytestmark = pytest.mark.django_db


def test_rows_take_their_reserved_ids_and_the_field_defaults() -> None:
    existing = Account.objects.create(login="lea.martin", first_name="Léa", last_name="Martin")
    inserter = BulkInserter()
    now = timezone.now()
    stamps = {"created_at": now, "updated_at": now}
    with transaction.atomic():
        ids = inserter.reserve_ids(Account, 2)
        inserter.insert(
            Account,
            [
                {"id": ids[0], "login": "jean.dupont", "first_name": "Jean", **stamps},
                {"id": ids[1], "login": "ines.diallo", "last_name": "Diallo", **stamps},
            ],
            with_id=True,
        )
    assert all(pk > existing.pk for pk in ids)
    created = Account.objects.get(pk=ids[1])
    assert (created.login, created.last_name, created.created_at) == ("ines.diallo", "Diallo", now)
    assert created.state == Account._meta.get_field("state").get_default()


def test_chunks_cover_every_item_once() -> None:
    assert [list(c) for c in chunks(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]


def test_bulk_audit_rows_share_actor_establishment_address_and_time(
    establishment: Establishment,
) -> None:
    actor = Account.objects.create(login="admin.local", first_name="A", last_name="Dmin")
    pupil = Account.objects.create(login="lea.martin", first_name="Léa", last_name="Martin")
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.9")
    audit_record_bulk(
        actor=actor,
        establishment=establishment,
        request=request,
        targets=[
            AuditTarget("account.create", pupil.pk, "lea.martin", {"kind": "students"}),
            AuditTarget("membership.end", actor.pk, "admin.local", {"kind": "staff"}),
        ],
    )
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.target_id, e.target_label, e.data) for e in events] == [
        ("account.create", pupil.pk, "lea.martin", {"kind": "students"}),
        ("membership.end", actor.pk, "admin.local", {"kind": "staff"}),
    ]
    assert {(e.actor_id, e.actor_label, e.establishment_id, e.ip) for e in events} == {
        (actor.pk, "admin.local", establishment.pk, "192.0.2.9")
    }
    assert len({e.created_at for e in events}) == 1


def test_bulk_audit_refuses_an_unknown_action_before_writing_anything(
    establishment: Establishment,
) -> None:
    pupil = Account.objects.create(login="lea.martin", first_name="Léa", last_name="Martin")
    with pytest.raises(UnknownAuditAction, match="account.typo"):
        audit_record_bulk(
            actor=None,
            establishment=establishment,
            request=None,
            targets=[
                AuditTarget("account.create", pupil.pk, "lea.martin", {}),
                AuditTarget("account.typo", pupil.pk, "lea.martin", {}),
            ],
        )
    assert not AuditEvent.objects.exists()


def test_the_any_lookup_finds_exactly_the_rows_named_on_both_databases() -> None:
    """``field__any`` (one array parameter on PostgreSQL, ``IN`` elsewhere) on a plain column,
    a primary key and a foreign key; an empty list finds nothing."""
    from preau.directory.models import Membership

    school = Establishment.objects.create(uai="0750001A", name="Collège A")
    people = [
        Account.objects.create(login=f"eleve.{n}", first_name="Élève", last_name=str(n))
        for n in range(5)
    ]
    for person in people[:3]:
        Membership.objects.create(
            account=person, establishment=school, profile="eleve", school_year=2026
        )
    logins = ["eleve.1", "eleve.3", "nobody.here"]
    assert set(Account.objects.filter(login__any=logins).values_list("login", flat=True)) == {
        "eleve.1",
        "eleve.3",
    }
    ids = [people[0].pk, people[4].pk]
    assert set(Account.objects.filter(pk__any=ids).values_list("pk", flat=True)) == set(ids)
    assert set(
        Membership.objects.filter(account_id__any=ids).values_list("account_id", flat=True)
    ) == {people[0].pk}
    assert not Account.objects.filter(login__any=[]).exists()
