"""The school's side in the console: the help-request queue, a new activation code (letter,
e-mail, SMS), a password change at the next sign-in, deactivation and reactivation, lifting
throttles; every action scoped to the administrator's establishments and audited."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.recovery import services
from preau.recovery.models import HelpRequest, PasswordChangeDemand
from preau.recovery.selectors import password_change_demanded
from preau.signin.models import SessionRecord
from tests.notify.sms_gateway import SmsGateway
from tests.recovery.conftest import NEW_PASSWORD, PASSWORD, active, member, signed_in

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def code_in(pdf: bytes) -> str:
    match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", pdf_text(pdf))
    assert match, pdf_text(pdf)
    return match.group(1)


@pytest.fixture
def admin_client(admin: Account) -> Client:
    return signed_in(admin.login)


@pytest.fixture
def other_admin(other_school: Establishment) -> Account:
    account = active("paul.roux")
    member(account, other_school, Membership.Profile.STAFF, is_local_admin=True)
    return account


@pytest.fixture
def help_request(unreachable: Account, establishment: Establishment) -> HelpRequest:
    return services.help_request_submit(
        account=unreachable,
        establishment=establishment,
        last_name="Moreau",
        first_name="Inès",
        school_class="6C",
        children="",
        delivery=HelpRequest.Delivery.PAPER,
        email="",
    )


def url(name: str, establishment: Establishment, **kwargs: Any) -> str:
    return reverse(f"console:{name}", kwargs={"uai": establishment.uai, **kwargs})


# --- The queue ----------------------------------------------------------------------------------


def test_the_queue_lists_new_requests_with_counts_per_status(
    admin_client: Client, help_request: HelpRequest, establishment: Establishment
) -> None:
    page = text(admin_client.get(url("help_requests", establishment)))
    assert "Nouvelle (1)" in page
    assert "En cours (0)" in page
    assert "Traitée (0)" in page
    assert "Inès Moreau" in page
    assert "ines.moreau" in page
    done = text(admin_client.get(url("help_requests", establishment) + "?etat=done"))
    assert "Aucune demande dans cet état." in done


def test_a_request_is_taken_then_closed_then_reopened(
    admin_client: Client, admin: Account, help_request: HelpRequest, establishment: Establishment
) -> None:
    status_url = url("help_request_status", establishment, pk=help_request.pk)
    for status in ("in_progress", "done", "new"):
        response = admin_client.post(status_url, {"status": status})
        assert response.status_code == 302
        help_request.refresh_from_db()
        assert help_request.status == status
        assert help_request.handled_by == admin
    assert AuditEvent.objects.filter(action="help_request.status", actor=admin).count() == 3
    assert admin_client.post(status_url, {"status": "bogus"}).status_code == 302
    help_request.refresh_from_db()
    assert help_request.status == "new"


def test_another_schools_administrator_sees_none_of_it(
    other_admin: Account,
    help_request: HelpRequest,
    establishment: Establishment,
    unreachable: Account,
) -> None:
    client = signed_in(other_admin.login)
    for page in (
        url("help_requests", establishment),
        url("help_request", establishment, pk=help_request.pk),
        url("account_reissue", establishment, login=unreachable.login),
        url("account_deactivate", establishment, login=unreachable.login),
    ):
        assert client.get(page).status_code == 404, page
    for action in (
        url("help_request_status", establishment, pk=help_request.pk),
        url("account_reissue", establishment, login=unreachable.login),
        url("account_password_demand", establishment, login=unreachable.login),
        url("account_deactivate", establishment, login=unreachable.login),
        url("account_reactivate", establishment, login=unreachable.login),
        url("account_throttles_lift", establishment, login=unreachable.login),
    ):
        assert client.post(action, {"status": "done", "delivery": "letter"}).status_code == 404
    help_request.refresh_from_db()
    assert help_request.status == HelpRequest.Status.NEW
    with pytest.raises(PermissionDenied):
        services.account_deactivate(
            actor=other_admin, account=unreachable, establishment=establishment
        )
    with pytest.raises(PermissionDenied):
        services.help_request_status_set(
            actor=other_admin, help_request=help_request, status="done"
        )


def test_a_request_of_another_school_is_404_under_ones_own(
    admin_client: Client,
    establishment: Establishment,
    other_school: Establishment,
    unreachable: Account,
) -> None:
    member(unreachable, other_school, Membership.Profile.STUDENT)
    foreign = services.help_request_submit(
        account=unreachable,
        establishment=other_school,
        last_name="Moreau",
        first_name="Inès",
        school_class="",
        children="",
        delivery="paper",
        email="",
    )
    assert admin_client.get(url("help_request", establishment, pk=foreign.pk)).status_code == 404


def test_a_student_cannot_open_the_console(
    unreachable: Account, establishment: Establishment
) -> None:
    client = signed_in(unreachable.login)
    assert client.get(url("help_requests", establishment)).status_code == 404


# --- A new code ----------------------------------------------------------------------------------


def test_a_help_request_ends_with_a_new_letter_and_the_person_chooses_a_new_password(
    admin_client: Client,
    admin: Account,
    help_request: HelpRequest,
    unreachable: Account,
    establishment: Establishment,
) -> None:
    elsewhere = signed_in(unreachable.login)
    page = text(admin_client.get(url("help_request", establishment, pk=help_request.pk)))
    assert "Remettre un nouveau code d’activation" in page
    assert "Le mot de passe actuel cessera de fonctionner" in page

    response = admin_client.post(
        url("account_reissue", establishment, login=unreachable.login),
        {"delivery": "letter", "help_request": help_request.pk},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="courrier-ines.moreau.pdf"'
    letter = pdf_text(response.content)
    assert "ines.moreau" in letter
    assert "6C" in letter
    code = code_in(response.content)

    help_request.refresh_from_db()
    assert help_request.status == HelpRequest.Status.DONE
    assert help_request.resolution == "letter"
    unreachable.refresh_from_db()
    assert unreachable.state == Account.State.PROVISIONED
    assert not unreachable.has_usable_password()
    assert elsewhere.get("/mon-compte/").status_code == 302  # signed out
    assert SessionRecord.objects.filter(account=unreachable, ended_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="account.code_reissue")
    assert event.actor == admin and event.establishment == establishment
    assert event.data["was_active"] is True

    # The old password is dead; the code opens the first connection, which asks for a password
    # first (the rest of the journey was done before).
    assert (
        Client().post("/connexion", {"username": "ines.moreau", "password": PASSWORD}).status_code
        == 401
    )
    person = Client()
    signin = person.post("/connexion", {"username": "ines.moreau", "password": code})
    assert signin.status_code == 302
    journey = person.get("/", follow=True)
    assert journey.redirect_chain[-1][0] == "/premiere-connexion/mot-de-passe"
    chosen = person.post(
        "/premiere-connexion/mot-de-passe",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        follow=True,
    )
    assert chosen.status_code == 200
    unreachable.refresh_from_db()
    assert unreachable.state == Account.State.ACTIVE
    assert check_password(NEW_PASSWORD, unreachable.password)
    assert not password_change_demanded(unreachable)
    signed_in("ines.moreau", NEW_PASSWORD)


def test_a_new_code_by_email_goes_to_the_address_of_the_request(
    admin_client: Client,
    unreachable: Account,
    establishment: Establishment,
    captured: Any,
) -> None:
    request = services.help_request_submit(
        account=unreachable,
        establishment=establishment,
        last_name="Moreau",
        first_name="Inès",
        school_class="6C",
        children="",
        delivery="email",
        email="maman.moreau@example.fr",
    )
    page = text(admin_client.get(url("help_request", establishment, pk=request.pk)))
    assert "L’adresse indiquée dans la demande n’est pas celle du compte" in page
    assert 'value="maman.moreau@example.fr"' in page
    response = captured(
        admin_client.post,
        url("account_reissue", establishment, login=unreachable.login),
        {"delivery": "email", "email": "maman.moreau@example.fr", "help_request": request.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == url("help_request", establishment, pk=request.pk)
    [message] = mail.outbox
    assert message.to == ["maman.moreau@example.fr"]
    assert message.subject == "Votre nouveau code d'activation – Préau"
    assert "Identifiant : ines.moreau" in message.body
    code = re.search(r"Code d'activation : ([A-Z0-9]{4}-[A-Z0-9]{4})", message.body)
    assert code
    assert (
        Client()
        .post("/connexion", {"username": "ines.moreau", "password": code.group(1)})
        .status_code
        == 302
    )
    request.refresh_from_db()
    assert (request.status, request.resolution) == ("done", "email")


def test_a_new_code_by_sms_goes_to_the_accounts_mobile(
    admin_client: Client,
    sms_only: Account,
    establishment: Establishment,
    captured: Any,
    sms_gateway: SmsGateway,
) -> None:
    form = text(admin_client.get(url("account_reissue", establishment, login=sms_only.login)))
    assert "Par SMS" in form
    response = captured(
        admin_client.post,
        url("account_reissue", establishment, login=sms_only.login),
        {"delivery": "sms"},
    )
    assert response.status_code == 302
    [sms] = sms_gateway.texts_to("+33698765432")
    assert re.fullmatch(
        r"Préau : identifiant hugo\.petit, nouveau code d'activation [A-Z0-9]{4}-[A-Z0-9]{4}, "
        r"valable jusqu'au \d\d/\d\d/\d{4}\.",
        sms,
    )


def test_sms_is_not_offered_without_a_mobile(
    admin_client: Client, unreachable: Account, establishment: Establishment
) -> None:
    reissue = url("account_reissue", establishment, login=unreachable.login)
    assert 'value="sms"' not in admin_client.get(reissue).content.decode()
    response = admin_client.post(reissue, {"delivery": "sms"})
    assert response.status_code == 400
    unreachable.refresh_from_db()
    assert unreachable.state == Account.State.ACTIVE  # nothing was issued


def test_an_email_delivery_needs_an_address(
    admin_client: Client, sms_only: Account, establishment: Establishment
) -> None:
    response = admin_client.post(
        url("account_reissue", establishment, login=sms_only.login), {"delivery": "email"}
    )
    assert response.status_code == 400
    assert "Indiquez l'adresse électronique où envoyer le code." in text(response)


def test_a_pending_account_gets_a_fresh_code_and_the_old_one_dies(
    admin_client: Client, establishment: Establishment
) -> None:
    pending = Account.objects.create_user("zoe.blanc", last_name="Blanc", first_name="Zoé")
    member(pending, establishment, Membership.Profile.STUDENT, ("4B",))
    reissue = url("account_reissue", establishment, login=pending.login)
    first = code_in(admin_client.post(reissue, {"delivery": "letter"}).content)
    second = code_in(admin_client.post(reissue, {"delivery": "letter"}).content)
    assert first != second
    assert (
        Client().post("/connexion", {"username": "zoe.blanc", "password": first}).status_code == 401
    )
    assert (
        Client().post("/connexion", {"username": "zoe.blanc", "password": second}).status_code
        == 302
    )


# --- Password change, deactivation, throttles ----------------------------------------------------


def test_a_demanded_password_change_is_the_first_thing_at_the_next_sign_in(
    admin_client: Client, pupil: Account, establishment: Establishment
) -> None:
    response = admin_client.post(url("account_password_demand", establishment, login=pupil.login))
    assert response.status_code == 302
    assert "devra choisir un nouveau mot de passe" in text(admin_client.get(response["Location"]))
    assert PasswordChangeDemand.objects.filter(account=pupil).exists()

    person = signed_in(pupil.login)
    landing = person.get("/mon-compte/", follow=True)
    assert landing.redirect_chain[-1][0] == "/premiere-connexion/mot-de-passe"
    person.post(
        "/premiere-connexion/mot-de-passe",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert not password_change_demanded(pupil)
    again = signed_in(pupil.login, NEW_PASSWORD)
    assert again.get("/mon-compte/").status_code == 200
    assert AuditEvent.objects.filter(action="account.password_change_demand").exists()


def test_a_demand_survives_a_hash_upgrade_at_sign_in(
    admin: Account, pupil: Account, establishment: Establishment, preau_options: Any
) -> None:
    services.account_password_change_demand(actor=admin, account=pupil, establishment=establishment)
    preau_options(ARGON2_MEMORY_KIB=2048)  # the next sign-in rehashes the password
    signed_in(pupil.login)
    pupil.refresh_from_db()
    assert pupil.password.find("m=2048") > 0
    assert password_change_demanded(pupil)


def test_deactivation_signs_out_and_reactivation_brings_the_password_back(
    admin_client: Client, pupil: Account, establishment: Establishment
) -> None:
    elsewhere = signed_in(pupil.login)
    confirm = admin_client.get(url("account_deactivate", establishment, login=pupil.login))
    assert "Désactiver le compte de Léa Bernard ?" in text(confirm)
    admin_client.post(url("account_deactivate", establishment, login=pupil.login))
    pupil.refresh_from_db()
    assert pupil.state == Account.State.DEACTIVATED
    assert elsewhere.get("/mon-compte/").status_code == 302
    refused = Client().post("/connexion", {"username": pupil.login, "password": PASSWORD})
    assert "Votre compte est désactivé" in text(refused)

    page = text(admin_client.get(url("account_detail", establishment, login=pupil.login)))
    assert "Réactiver le compte" in page
    admin_client.post(url("account_reactivate", establishment, login=pupil.login))
    pupil.refresh_from_db()
    assert pupil.state == Account.State.ACTIVE
    signed_in(pupil.login)
    actions = list(
        AuditEvent.objects.filter(target=pupil, action__startswith="account.").values_list(
            "action", flat=True
        )
    )
    assert "account.deactivate" in actions and "account.reactivate" in actions


def test_a_never_activated_account_is_reactivated_by_a_new_code_only(
    admin: Account, admin_client: Client, establishment: Establishment
) -> None:
    pending = Account.objects.create_user(
        "zoe.blanc", last_name="Blanc", first_name="Zoé", state=Account.State.DEACTIVATED
    )
    member(pending, establishment, Membership.Profile.STUDENT)
    page = text(admin_client.get(url("account_detail", establishment, login=pending.login)))
    assert "Réactiver le compte" not in page
    response = admin_client.post(
        url("account_reactivate", establishment, login=pending.login), follow=True
    )
    assert "émettez un nouveau code d'activation" in text(response)
    pending.refresh_from_db()
    assert pending.state == Account.State.DEACTIVATED


def test_an_administrator_cannot_deactivate_themselves(
    admin_client: Client, admin: Account, establishment: Establishment
) -> None:
    response = admin_client.post(
        url("account_deactivate", establishment, login=admin.login), follow=True
    )
    assert "Vous ne pouvez pas désactiver votre propre compte." in text(response)
    admin.refresh_from_db()
    assert admin.state == Account.State.ACTIVE


def test_lifting_throttles_lets_the_owner_sign_in_at_once(
    admin_client: Client, pupil: Account, establishment: Establishment
) -> None:
    for _ in range(5):
        Client().post("/connexion", {"username": pupil.login, "password": "wrong"})
    held = Client().post("/connexion", {"username": pupil.login, "password": PASSWORD})
    assert held.status_code == 429
    page = text(admin_client.get(url("account_detail", establishment, login=pupil.login)))
    assert "connexion (mots de passe erronés)" in page
    admin_client.post(url("account_throttles_lift", establishment, login=pupil.login))
    signed_in(pupil.login)
    event = AuditEvent.objects.get(action="account.throttles_lift")
    assert event.data == {"scopes": ["signin.account"]}
    page = text(admin_client.get(url("account_detail", establishment, login=pupil.login)))
    assert "Aucun blocage en cours." in page


def test_the_account_page_offers_the_actions(
    admin_client: Client, pupil: Account, establishment: Establishment
) -> None:
    page = text(admin_client.get(url("account_detail", establishment, login=pupil.login)))
    assert "Émettre un nouveau code d’activation" in page
    assert "Demander un nouveau mot de passe à la prochaine connexion" in page
    assert "Désactiver le compte" in page
    assert "Lever les blocages" in page


def test_the_queue_costs_the_same_queries_for_one_request_or_thirty(
    admin_client: Client, establishment: Establishment
) -> None:
    from tests.recovery.conftest import active as make_active

    def queue_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url("help_requests", establishment)).status_code == 200
        return len(queries.captured_queries)

    def file_request(i: int) -> None:
        account = make_active(f"eleve.numero{i}")
        member(account, establishment, Membership.Profile.STUDENT)
        services.help_request_submit(
            account=account,
            establishment=establishment,
            last_name="Numero",
            first_name=str(i),
            school_class="6C",
            children="",
            delivery="paper",
            email="",
        )

    file_request(0)
    queue_page()  # the first page after signing in also settles the session
    one = queue_page()
    for i in range(1, 30):
        file_request(i)
    assert queue_page() == one
