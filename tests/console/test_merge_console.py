"""Merges in the console (issue 14, part 3): the likely duplicates, a merge for a person at
the desk, every kind of account out of the administrator's reach refused
(``ConsoleAction.MERGE``), and the operator's undo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.merges import MergeRefused, account_merge
from preau.directory.models import Account, AccountMerge, Establishment, Guardianship, Membership
from preau.directory.scope import ConsoleAction, scope_refusal
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

G = Membership.Profile.GUARDIAN
MOBILE = "+33611223344"


def _parent(school: Establishment, login: str, **fields: Any) -> Account:
    account = make_person(
        school,
        login,
        first_name="Sophie",
        last_name="Lefèvre",
        profile=G,
        state=fields.pop("state", Account.State.ACTIVE),
    )
    Account.objects.filter(pk=account.pk).update(**fields)
    account.refresh_from_db()
    return account


@pytest.fixture
def twins(school: Establishment) -> tuple[Account, Account]:
    a = _parent(school, "sophie.lefevre", mobile=MOBILE)
    b = _parent(school, "sophie.lefevre2", mobile=MOBILE, state=Account.State.PROVISIONED)
    return a, b


def test_the_console_lists_likely_duplicates(
    admin_client: Client, school: Establishment, twins: tuple[Account, Account]
) -> None:
    a, b = twins
    _parent(school, "sophie.lefevre3")  # same names, nothing else in common: not listed
    child = make_person(school, "tom.lefevre")
    c = _parent(school, "sophie.lefevre4", email="s@example.org")
    d = _parent(school, "sophie.lefevre5")
    for guardian in (c, d):
        Guardianship.objects.create(guardian=guardian, student=child, establishment=school)
    page = admin_client.get(f"/console/{school.uai}/doublons/")
    rows = page.context["rows"]
    pairs = {frozenset((r["duplicate"].first.login, r["duplicate"].second.login)) for r in rows}
    assert pairs == {frozenset((a.login, b.login)), frozenset((c.login, d.login))}
    assert "même mobile" in page.content.decode()
    assert "un enfant en commun" in page.content.decode()
    first = next(r["duplicate"] for r in rows if a in (r["duplicate"].first, r["duplicate"].second))
    assert first.suggested_target == a  # the active one is kept


def test_an_administrator_merges_two_accounts_for_a_person_at_the_desk(
    admin_client: Client, admin: Account, school: Establishment, twins: tuple[Account, Account]
) -> None:
    a, b = twins
    url = f"/console/{school.uai}/doublons/fusionner"
    preview = admin_client.get(url, {"garder": a.login, "fusionner": b.login})
    assert preview.status_code == 200
    response = admin_client.post(url, {"garder": a.login, "fusionner": b.login}, follow=True)
    assert "Les comptes sont fusionnés" in response.content.decode()
    b.refresh_from_db()
    assert b.state == Account.State.MERGED and b.merged_into_id == a.pk
    event = AuditEvent.objects.get(action="account.merge", target_id=b.pk)
    assert event.actor_id == admin.pk and event.establishment_id == school.pk
    # Twice: refused, said in French.
    again = admin_client.post(url, {"garder": a.login, "fusionner": b.login}, follow=True)
    assert "déjà été fusionné" in again.content.decode()


def test_an_account_of_another_school_is_404_in_the_merge_page(
    admin_client: Client, school: Establishment, other_school: Establishment
) -> None:
    a = _parent(school, "sophie.lefevre")
    stranger = _parent(other_school, "sophie.lefevre2")
    url = f"/console/{school.uai}/doublons/fusionner"
    assert (
        admin_client.get(url, {"garder": a.login, "fusionner": stranger.login}).status_code == 404
    )
    response = admin_client.post(url, {"garder": a.login, "fusionner": stranger.login})
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.state == Account.State.ACTIVE


def _out_of_reach(kind: str, school: Establishment, other_school: Establishment) -> Account:
    """One account of each kind the administrator of ``school`` may not merge."""
    yesterday = timezone.localdate() - timedelta(days=1)
    if kind == "other_school":
        return _parent(other_school, "hors.champ")
    if kind == "ended":
        account = _parent(school, "hors.champ")
        Membership.objects.filter(account=account).update(end_date=yesterday)
        return account
    if kind == "shared_active":
        account = _parent(other_school, "hors.champ")
        make_person(school, account.login, profile=G)
        return account
    account = make_person(other_school, "hors.champ", profile="personnel", state="active")
    if kind == "operator":
        Account.objects.filter(pk=account.pk).update(is_staff=True)
    elif kind == "superuser":
        Account.objects.filter(pk=account.pk).update(is_superuser=True)
    else:  # another school's administrator
        Membership.objects.filter(account=account).update(is_local_admin=True)
    make_person(school, account.login, profile=Membership.Profile.TEACHER)
    account.refresh_from_db()
    return account


KINDS = ["other_school", "ended", "shared_active", "operator", "superuser", "other_admin"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("side", ["source", "target"])
def test_every_kind_out_of_reach_is_refused_on_either_side(
    kind: str, side: str, admin: Account, school: Establishment, other_school: Establishment
) -> None:
    mine = _parent(school, "sophie.lefevre")
    theirs = _out_of_reach(kind, school, other_school)
    assert (
        scope_refusal(actor=admin, account=theirs, establishment=school, action=ConsoleAction.MERGE)
        is not None
    )
    source, target = (theirs, mine) if side == "source" else (mine, theirs)
    before = (theirs.state, list(Membership.objects.filter(account=theirs).values_list("pk")))
    with pytest.raises((PermissionDenied, MergeRefused)):
        account_merge(source=source, target=target, actor=admin, establishment=school)
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.state, list(Membership.objects.filter(account=theirs).values_list("pk"))) == (
        before
    )
    assert mine.state == Account.State.ACTIVE
    assert not AccountMerge.objects.exists()


def test_an_administrator_of_both_schools_merges_a_parent_of_both(
    admin: Account, school: Establishment, other_school: Establishment
) -> None:
    Membership.objects.create(
        account=admin,
        establishment=other_school,
        profile=Membership.Profile.STAFF,
        school_year=2026,
        is_local_admin=True,
    )
    a = _parent(school, "sophie.lefevre")
    b = _parent(other_school, "sophie.lefevre2", state=Account.State.PROVISIONED)
    account_merge(source=b, target=a, actor=admin, establishment=school)
    assert Membership.objects.filter(account=a, establishment=other_school).exists()


def test_the_operator_undoes_a_merge_from_the_console(
    client: Client, admin_client: Client, school: Establishment, twins: tuple[Account, Account]
) -> None:
    a, b = twins
    record = account_merge(source=b, target=a, actor=a)
    assert admin_client.get("/console/fusions/").status_code == 404
    assert admin_client.post(f"/console/fusions/{record.pk}/annuler").status_code == 404
    operator = Account.objects.create_superuser("ope.rateur", "x", first_name="O", last_name="P")
    client.force_login(operator)
    page = client.get("/console/fusions/").content.decode()
    assert b.login in page
    done = client.post(f"/console/fusions/{record.pk}/annuler", follow=True).content.decode()
    assert "La fusion est annulée" in done
    b.refresh_from_db()
    assert b.state == Account.State.PROVISIONED and b.mobile == MOBILE


def test_the_duplicates_page_reads_a_constant_number_of_queries(
    admin_client: Client, school: Establishment, django_assert_max_num_queries: Any
) -> None:
    url = f"/console/{school.uai}/doublons/"
    _parent(school, "sophie.lefevre", mobile=MOBILE)
    _parent(school, "sophie.lefevre2", mobile=MOBILE)
    admin_client.get(url)
    with django_assert_max_num_queries(12) as few:
        assert len(admin_client.get(url).context["rows"]) == 1
    for number in range(3, 13):
        first = "Paul" if number % 2 else "Anne"
        make_person(school, f"x.dup{number}", first_name=first, last_name="Durand", profile=G)
    Account.objects.filter(last_name="Durand").update(mobile="+33600000000")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = admin_client.get(url).context["rows"]
    assert len(rows) == 1 + 2 * 10  # C(5, 2) pairs of each first name, and the first pair
