"""A parent's sign-up by SMS ("Je n'ai pas de compte", issue 14 part 1), through its pages with
Django's client, the task run at once and the SMS read from a local HTTP gateway: who matches,
what is sent, each step in order, bad input and replays, nothing half-created, the throttles."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from preau.activation.models import ActivationJourney, CharterAcceptance, CharterVersion, SignUp
from preau.activation.signup import signup_process
from preau.audit.models import AuditEvent
from preau.directory.activation_codes import activation_code_matches
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import account_deactivate
from tests.activation.conftest import GOOD_PASSWORD, member, pending
from tests.notify.sms_gateway import SmsGateway

MOBILE = "+33612345678"
TYPED_MOBILE = "06 12 34 56 78"
LETTER_CODE = "PQRT3469"
BIRTH_LEA = dt.date(2011, 7, 14)
BIRTH_TOM = dt.date(2014, 2, 3)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def college(db: None) -> Establishment:
    return Establishment.objects.create(uai="0750654D", name="Collège Victor-Hugo")


@pytest.fixture
def school(db: None) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="École Jules-Ferry", kind="ecole")


def child(login: str, establishment: Establishment, birth: dt.date | None, first: str) -> Account:
    account = pending(login, "K7MQ4XHA", birth_date=birth, first_name=first)
    member(account, establishment, Membership.Profile.STUDENT)
    return account


@pytest.fixture
def parent(college: Establishment, school: Establishment) -> Account:
    """A guardian imported by two schools, not activated (a letter was printed), two children."""
    account = pending(
        "marc-andre.lefevre",
        LETTER_CODE,
        first_name="Marc-André",
        last_name="Lefèvre",
        mobile=MOBILE,
    )
    member(account, college, Membership.Profile.GUARDIAN)
    member(account, school, Membership.Profile.GUARDIAN)
    lea = child("lea.lefevre", college, BIRTH_LEA, "Léa")
    tom = child("tom.lefevre", school, BIRTH_TOM, "Tom")
    Guardianship.objects.create(guardian=account, student=lea, establishment=college)
    Guardianship.objects.create(guardian=account, student=tom, establishment=school)
    return account


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """``run(fn, ...)``: call it and run the on-commit callbacks (the task, the SMS), as a
    committed request does."""

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


def start(
    run: Callable[..., Any],
    client: Client,
    last: str = "Lefèvre",
    first: str = "Marc-André",
    mobile: str = TYPED_MOBILE,
) -> Any:
    return run(
        client.post, "/inscription/", {"last_name": last, "first_name": first, "mobile": mobile}
    )


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def code_of(gateway: SmsGateway, number: str = MOBILE) -> str:
    return gateway.code_sent_to(number)


def through_code(run: Callable[..., Any], gateway: SmsGateway) -> Client:
    client = Client()
    assert start(run, client).url == "/inscription/code"
    response = client.post("/inscription/code", {"code": code_of(gateway)})
    assert response.status_code == 302 and response.url == "/inscription/enfants"
    return client


def dates(client: Client, *answers: str) -> Any:
    rows = Guardianship.objects.order_by("student__first_name", "student_id")
    return client.post(
        "/inscription/enfants",
        {f"child_{g.pk}": answer for g, answer in zip(rows, answers, strict=True)},
    )


def untouched(account: Account) -> None:
    """The account is as the import left it: nothing half-created."""
    account.refresh_from_db()
    assert account.state == Account.State.PROVISIONED
    assert not account.has_usable_password()
    assert account.mobile_verified_at is None
    assert activation_code_matches(LETTER_CODE, account.activation_code_digest)
    assert not CharterAcceptance.objects.filter(account=account).exists()


# --- The whole journey --------------------------------------------------------------------------


def test_a_parent_signs_up_for_two_children_and_reaches_the_services(
    run: Callable[..., Any],
    sms_gateway: SmsGateway,
    parent: Account,
    charter: CharterVersion,
) -> None:
    client = through_code(run, sms_gateway)
    page = _text(client.get("/inscription/enfants"))
    assert "Date de naissance de Léa (Collège Victor-Hugo)" in page
    assert "Date de naissance de Tom (École Jules-Ferry)" in page
    assert dates(client, "14/07/2011", "03-02-2014").url == "/inscription/charte"
    assert "Article 1" in _text(client.get("/inscription/charte"))
    assert client.post("/inscription/charte", {"accept": "on"}).url == "/inscription/mot-de-passe"
    untouched(parent)  # every step so far lives on the sign-up only
    response = run(
        client.post,
        "/inscription/mot-de-passe",
        {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD},
    )
    assert response.url == "/inscription/termine"
    done = _text(client.get("/inscription/termine"))
    assert "marc-andre.lefevre" in done and "Accéder à mes services" in done

    parent.refresh_from_db()
    assert parent.state == Account.State.ACTIVE
    assert parent.check_password(GOOD_PASSWORD)
    assert parent.mobile_verified_at is not None
    assert parent.activation_code_digest == ""  # the letter's code died
    assert CharterAcceptance.objects.filter(account=parent, version=charter).exists()
    assert set(Guardianship.objects.values_list("confirmation", flat=True)) == {
        Guardianship.Confirmation.CONFIRMED
    }
    assert ActivationJourney.objects.get(account=parent).completed_at is not None
    assert str(client.session[SESSION_KEY]) == str(parent.pk)
    assert client.get("/").status_code == 200  # "Mes services", no step left
    texts = sms_gateway.texts_to(MOBILE)
    assert "identifiant est marc-andre.lefevre" in texts[-1]
    actions = set(AuditEvent.objects.filter(target=parent).values_list("action", flat=True))
    assert {"signup.code.send", "signup.complete", "account.activate", "charter.accept"} <= actions
    # The letter no longer opens the account.
    letter = Client().post("/connexion", {"username": parent.login, "password": LETTER_CODE})
    assert letter.status_code != 302 and SESSION_KEY not in letter.client.session


def test_names_match_with_or_without_accents_hyphens_spaces_and_case(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    start(run, Client(), last="  LEFEVRE ", first="marc andre")
    assert SignUp.objects.get().account == parent
    assert re.search(r"\b\d{6}\b", sms_gateway.texts_to(MOBILE)[0])


def test_the_code_is_stored_as_a_digest_and_the_names_forgotten(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    start(run, Client())
    row = SignUp.objects.get()
    code = code_of(sms_gateway)
    assert code not in row.code_digest and len(row.code_digest) == 64
    assert (row.last_name, row.first_name, row.outcome) == ("", "", SignUp.Outcome.CODE)
    assert row.code_expires_at == row.created_at + dt.timedelta(minutes=10)


# --- Who matches, and what is sent -------------------------------------------------------------


def test_an_unknown_number_gets_the_same_answer_and_nothing_is_sent(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    known, unknown = Client(), Client()
    first = start(run, known)
    second = start(run, unknown, mobile="06 98 76 54 32")
    assert (first.status_code, first.url) == (second.status_code, second.url)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    pages = [strip.sub("", _text(c.get("/inscription/code"))) for c in (known, unknown)]
    assert pages[0] == pages[1]
    assert "Si ces informations correspondent à un responsable connu" in pages[0]
    assert sms_gateway.texts_to("+33698765432") == []
    # Every code typed for it is wrong, as a wrong code is for a known number.
    response = unknown.post("/inscription/code", {"code": "123456"})
    assert "Ce code n'est pas le bon" in _text(response)


def test_two_guardians_sharing_a_mobile_are_told_apart_by_their_names(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account, college: Establishment
) -> None:
    mother = pending("claire.lefevre", "ABCD2345", first_name="Claire", mobile=MOBILE)
    member(mother, college, Membership.Profile.GUARDIAN)
    start(run, Client(), first="Claire")
    assert SignUp.objects.get().account == mother
    # Two records with the same names and number: nobody is chosen, nothing is sent.
    twin = pending(
        "claire.lefevre2", "ABCD2346", first_name="Claire", last_name="Lefèvre", mobile=MOBILE
    )
    member(twin, college, Membership.Profile.GUARDIAN)
    start(run, Client(), first="Claire")
    latest = SignUp.objects.latest("pk")
    assert latest.outcome == SignUp.Outcome.AMBIGUOUS and latest.account is None
    assert len(sms_gateway.texts_to(MOBILE)) == 1


def test_an_active_guardian_gets_the_identifier_instead_of_a_code(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    Account.objects.filter(pk=parent.pk).update(state=Account.State.ACTIVE)
    start(run, Client())
    (text,) = sms_gateway.texts_to(MOBILE)
    assert "marc-andre.lefevre" in text and "/mot-de-passe-oublie/" in text
    assert not re.search(r"\b\d{6}\b", text)
    assert SignUp.objects.get().outcome == SignUp.Outcome.IDENTIFIER


def test_no_sms_for_a_deactivated_account_nor_without_a_current_guardian_membership(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    Membership.objects.filter(account=parent).update(end_date=dt.date(2020, 8, 31))
    start(run, Client())
    assert SignUp.objects.get().outcome == SignUp.Outcome.NONE
    Membership.objects.filter(account=parent).update(end_date=None)
    admin = Account.objects.create_user("admin", is_staff=True, first_name="A", last_name="B")
    account_deactivate(
        actor=admin, account=parent, establishment=parent.memberships.first().establishment
    )
    start(run, Client())
    assert SignUp.objects.latest("pk").outcome == SignUp.Outcome.DEACTIVATED
    assert sms_gateway.texts_to(MOBILE) == []


# --- The code ----------------------------------------------------------------------------------


def test_wrong_codes_count_and_the_fifth_ends_the_sign_up(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    client = Client()
    start(run, client)
    for left in (4, 3, 2, 1):
        response = client.post("/inscription/code", {"code": "000000"})
        assert f"il vous reste {left} essai" in _text(response)
    response = client.post("/inscription/code", {"code": code_of(sms_gateway)})
    assert response.url == "/inscription/enfants"  # the right code on the fifth try passes
    other = Client()
    start(run, other)
    for _ in range(5):
        response = other.post("/inscription/code", {"code": "000000"})
    assert response.status_code == 410
    assert "Trop de codes erronés" in _text(response)
    untouched(parent)


def test_an_expired_code_and_a_code_of_another_sign_up_are_refused(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    first, second = Client(), Client()
    start(run, first)
    code_first = code_of(sms_gateway)
    start(run, second)
    response = second.post("/inscription/code", {"code": code_first})
    if code_first != code_of(sms_gateway):
        assert "Ce code n'est pas le bon" in _text(response)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        response = first.post("/inscription/code", {"code": code_first})
    assert response.status_code == 410
    assert "Recommencez votre inscription" in _text(response)
    untouched(parent)


def test_the_code_form_says_what_to_type(run: Callable[..., Any], parent: Account) -> None:
    client = Client()
    start(run, client)
    response = client.post("/inscription/code", {"code": "12a"})
    assert response.status_code == 400
    assert "Le code comporte 6 chiffres" in _text(response)


# --- The children ------------------------------------------------------------------------------


def test_three_wrong_birth_date_pages_stop_the_sign_up_and_name_the_schools(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    client = through_code(run, sms_gateway)
    wrong = dates(client, "14/07/2011", "04/02/2014")
    assert "il vous reste 2 essais" in _text(wrong)
    dates(client, "14/07/2011", "04/02/2014")
    stopped = dates(client, "14/07/2011", "04/02/2014")
    page = _text(stopped)
    assert stopped.status_code == 403
    assert "Collège Victor-Hugo" in page and "École Jules-Ferry" in page
    # The right dates now change nothing: the sign-up is over.
    assert dates(client, "14/07/2011", "03/02/2014").status_code == 403
    untouched(parent)
    assert SignUp.objects.get().end_reason == SignUp.EndReason.BIRTH_DATES


def test_a_future_date_is_explained_and_not_counted(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    client = through_code(run, sms_gateway)
    response = dates(client, "14/07/2099", "03/02/2014")
    assert response.status_code == 400
    assert "Cette date est dans le futur" in _text(response)
    assert SignUp.objects.get().birth_date_failures == 0


def test_a_child_without_a_birth_date_on_record_stops_the_sign_up(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    Account.objects.filter(login="tom.lefevre").update(birth_date=None)
    client = through_code(run, sms_gateway)
    response = client.get("/inscription/enfants")
    assert response.status_code == 403
    assert "Contactez votre établissement" in _text(response)
    untouched(parent)


# --- Order, replays, changes meanwhile ----------------------------------------------------------


def test_each_step_needs_the_previous_ones(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account, charter: CharterVersion
) -> None:
    stranger = Client()
    assert stranger.get("/inscription/mot-de-passe").url == "/inscription/"
    client = Client()
    start(run, client)
    for path in ("/inscription/enfants", "/inscription/charte", "/inscription/mot-de-passe"):
        assert client.get(path).url == "/inscription/code"
    client.post("/inscription/code", {"code": code_of(sms_gateway)})
    assert client.get("/inscription/mot-de-passe").url == "/inscription/enfants"
    form = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    assert client.post("/inscription/mot-de-passe", form).url == "/inscription/enfants"
    untouched(parent)


def test_a_replayed_last_form_changes_nothing_more(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    client = through_code(run, sms_gateway)
    dates(client, "14/07/2011", "03/02/2014")
    form = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    assert run(client.post, "/inscription/mot-de-passe", form).url == "/inscription/termine"
    events = AuditEvent.objects.count()
    assert client.post("/inscription/mot-de-passe", form).url == "/inscription/termine"
    assert AuditEvent.objects.count() == events


def test_an_account_activated_by_its_letter_meanwhile_is_left_alone(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    client = through_code(run, sms_gateway)
    dates(client, "14/07/2011", "03/02/2014")
    Account.objects.filter(pk=parent.pk).update(mobile="+33698765432")
    form = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    response = client.post("/inscription/mot-de-passe", form)
    assert response.status_code == 409
    parent.refresh_from_db()
    assert parent.state == Account.State.PROVISIONED and not parent.has_usable_password()
    assert SESSION_KEY not in client.session


def test_the_task_runs_once(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account
) -> None:
    start(run, Client())
    assert signup_process(signup_id=SignUp.objects.get().pk) == "skipped"
    assert len(sms_gateway.texts_to(MOBILE)) == 1


# --- Same work, throttles -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_page_runs_the_same_queries_for_a_known_and_an_unknown_guardian(
    settings: Any, parent: Account
) -> None:
    settings.TASKS = DATABASE
    shapes = []
    for mobile in (TYPED_MOBILE, "06 98 76 54 32"):
        client = Client()
        client.get("/inscription/")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/inscription/",
                {"last_name": "Lefèvre", "first_name": "Marc-André", "mobile": mobile},
            )
        assert response.status_code == 302
        shapes.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1]
    assert not any("directory_account" in sql for sql in shapes[0])
    assert DBTaskResult.objects.count() == 2


def test_requests_are_throttled_per_number_per_names_and_per_address(
    run: Callable[..., Any], parent: Account
) -> None:
    for _ in range(3):
        assert start(run, Client()).status_code == 302
    response = start(run, Client())
    assert response.status_code == 429
    assert "Trop de tentatives" in _text(response)
    assert response["Retry-After"]
    # Other numbers, the same names: the names' budget (5) runs out.
    for n in range(2):
        assert start(run, Client(), mobile=f"06 98 76 54 3{n}").status_code == 302
    assert start(run, Client(), mobile="06 98 76 54 39").status_code == 429


def test_the_per_contact_throttle_stops_the_sms(
    run: Callable[..., Any], sms_gateway: SmsGateway, parent: Account, settings: Any
) -> None:
    throttles = {**settings.PREAU.get("THROTTLES", {})}
    throttles["signup.mobile"] = {"limit": 50, "window": 3600, "max_delay": 60}
    settings.PREAU = {**settings.PREAU, "THROTTLES": throttles}
    for _ in range(4):
        start(run, Client())
    assert len(sms_gateway.texts_to(MOBILE)) == 3
    assert SignUp.objects.latest("pk").outcome == SignUp.Outcome.THROTTLED


def test_the_sign_in_page_offers_the_sign_up_to_parents_only(db: None, settings: Any) -> None:
    client = Client()
    assert "Je n'ai pas de compte" in _text(client.get("/connexion?selection=eleve-parent"))
    assert "Je n'ai pas de compte" not in _text(client.get("/connexion?selection=enseignant"))
    settings.PREAU = {**settings.PREAU, "SIGNUP_ENABLED": False}
    assert "Je n'ai pas de compte" not in _text(client.get("/connexion?selection=eleve-parent"))
    assert client.get("/inscription/").status_code == 404
