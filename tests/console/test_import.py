"""Import by upload: a dry-run preview kept in the database, then one confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.console.models import PendingImport
from preau.console.services import pending_import_confirm
from preau.directory.models import Account, Establishment, Membership
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

STUDENTS = (
    "Numéro élève;INE;Nom;Prénom;Date de naissance;Classe\n"
    "1001;070803070AJ;Dupont;Jean;12/03/2011;3A\n"
    "1002;;Lévêque;Hélène;2011-05-01;3A\n"
    "1003;;Martin;Zoé;01/02/2011;3B\n"
).encode()

STUDENTS_WITH_A_BAD_DATE = STUDENTS.replace(b"01/02/2011", b"31/02/2011")

STAFF = (
    "Nom;Prénom;Profil;Fonction;Courriel;Classes\n"
    "Durand;Marc;enseignant;Professeur de mathématiques;marc.durand@example.org;3A\n"
).encode()


def _upload(client: Any, school: Establishment, data: bytes, **options: Any) -> Any:
    fields = {"kind": "students", "file": SimpleUploadedFile("eleves.csv", data, "text/csv")}
    fields.update({key: "on" for key, value in options.items() if value})
    return client.post(reverse("console:import", kwargs={"uai": school.uai}), fields)


def _students(school: Establishment) -> set[str]:
    return set(
        Account.objects.filter(
            memberships__establishment=school, memberships__profile=Membership.Profile.STUDENT
        ).values_list("login", flat=True)
    )


def _confirm_url(school: Establishment, pending: PendingImport) -> str:
    return reverse("console:import_confirm", kwargs={"uai": school.uai, "pk": pending.pk})


def test_upload_shows_a_preview_and_writes_nothing_until_confirmed(
    admin_client: Any, school: Establishment, admin: Account
) -> None:
    response = _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    detail = reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})
    assert response.status_code == 302 and response["Location"] == detail
    assert (
        bytes(pending.data) == STUDENTS and pending.actor == admin and pending.size == len(STUDENTS)
    )
    assert _students(school) == set()

    html = admin_client.get(detail).content.decode()
    assert "Aperçu de l’import" in html
    assert "jean.dupont" in html and "helene.leveque" in html and "zoe.martin" in html
    assert "Confirmer l’import" in html and _confirm_url(school, pending) in html

    response = admin_client.post(_confirm_url(school, pending), follow=True)
    assert response.redirect_chain == [(detail, 302)]
    assert "L&#x27;import est enregistré." in response.content.decode() or (
        "L'import est enregistré." in response.content.decode()
    )
    assert _students(school) == {"jean.dupont", "helene.leveque", "zoe.martin"}
    pending.refresh_from_db()
    assert pending.consumed_at is not None and bytes(pending.data) == b""
    assert pending.result["created"] == 3
    assert AuditEvent.objects.filter(action="console.import_upload", actor=admin).count() == 1
    assert AuditEvent.objects.filter(action="import.run", establishment=school).count() == 1


def test_the_confirmation_may_reach_another_server(
    admin_client: Any, school: Establishment, admin: Account
) -> None:
    """The file waits in the database: a new session on a server with an empty cache confirms."""
    _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    cache.clear()
    other_server = Client()
    other_server.force_login(admin)
    other_server.post(_confirm_url(school, pending))
    assert len(_students(school)) == 3


def test_every_problem_is_listed_with_file_line_and_column_and_blocks_the_import(
    admin_client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STUDENTS_WITH_A_BAD_DATE)
    pending = PendingImport.objects.get()
    html = admin_client.get(
        reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})
    ).content.decode()
    assert "1 problème" in html
    assert "<td>eleves.csv</td>" in html and "<td>4</td>" in html
    assert "<td>Date de naissance</td>" in html and "31/02/2011" in html
    assert "rien ne sera importé" in html
    assert "Confirmer l’import" not in html
    # Posting anyway writes nothing.
    admin_client.post(_confirm_url(school, pending))
    assert _students(school) == set()
    pending.refresh_from_db()
    assert pending.consumed_at is None and pending.result["refused"] is True


def test_skip_invalid_imports_the_good_lines_and_reports_the_others(
    admin_client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STUDENTS_WITH_A_BAD_DATE, skip_invalid=True)
    pending = PendingImport.objects.get()
    assert pending.skip_invalid and pending.preview["rejected"] == 1
    admin_client.post(_confirm_url(school, pending))
    assert _students(school) == {"jean.dupont", "helene.leveque"}


def test_a_file_of_the_wrong_kind_is_refused_with_what_was_expected(
    admin_client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STAFF)
    pending = PendingImport.objects.get()
    html = admin_client.get(
        reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})
    ).content.decode()
    assert pending.preview["refused"] is True
    assert "élève" in html.lower() and "Confirmer l’import" not in html


def test_a_double_confirmation_has_no_double_effect(
    admin_client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    admin_client.post(_confirm_url(school, pending))
    response = admin_client.post(_confirm_url(school, pending), follow=True)
    assert "Cet import a déjà été confirmé." in response.content.decode()
    assert Account.objects.filter(login__startswith="jean.dupont").count() == 1
    assert AuditEvent.objects.filter(action="import.run").count() == 1


def test_an_expired_preview_cannot_be_confirmed(admin_client: Any, school: Establishment) -> None:
    _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        response = admin_client.post(_confirm_url(school, pending), follow=True)
        assert "L&#x27;aperçu a expiré" in response.content.decode() or (
            "L'aperçu a expiré" in response.content.decode()
        )
    assert _students(school) == set()


def test_only_the_uploader_sees_and_confirms_a_pending_import(
    admin_client: Any, client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    colleague = make_person(
        school, "nina.cpe", profile=Membership.Profile.STAFF, state="active", is_local_admin=True
    )
    client.force_login(colleague)
    detail = reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})
    assert client.get(detail).status_code == 404
    assert client.post(_confirm_url(school, pending)).status_code == 404
    with pytest.raises(ValidationError) as exc:
        pending_import_confirm(actor=colleague, establishment=school, pending_import_id=pending.pk)
    assert exc.value.code == "foreign"
    assert _students(school) == set()


def test_another_schools_admin_cannot_reach_a_pending_import(
    admin_client: Any, client: Any, school: Establishment, other_admin: Account
) -> None:
    _upload(admin_client, school, STUDENTS)
    pending = PendingImport.objects.get()
    client.force_login(other_admin)
    detail = reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})
    assert client.get(detail).status_code == 404
    assert client.post(_confirm_url(school, pending)).status_code == 404
    assert _students(school) == set()


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    admin_client: Any, school: Establishment, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "IMPORT_MAX_BYTES": 1024 * 1024}
    response = _upload(admin_client, school, STUDENTS + b"x" * (1024 * 1024))
    assert response.status_code == 400
    html = response.content.decode()
    assert "la taille maximale est de 1 Mo" in html
    assert not PendingImport.objects.exists()


def test_a_huge_upload_is_refused_before_its_body_is_read(
    admin_client: Any, school: Establishment, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "IMPORT_MAX_BYTES": 100 * 1024}
    response = _upload(admin_client, school, b"x" * (300 * 1024))
    assert response.status_code == 413
    assert "Le fichier dépasse la taille maximale de 0,1 Mo." in response.content.decode()
    assert not PendingImport.objects.exists()


def test_expired_previews_are_purged_with_their_personal_data(
    admin_client: Any, school: Establishment
) -> None:
    _upload(admin_client, school, STUDENTS)
    old = PendingImport.objects.get()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        _upload(admin_client, school, STUDENTS)
    assert not PendingImport.objects.filter(pk=old.pk).exists()
    assert PendingImport.objects.count() == 1


def test_a_form_without_a_file_says_what_is_missing(
    admin_client: Any, school: Establishment
) -> None:
    response = admin_client.post(
        reverse("console:import", kwargs={"uai": school.uai}), {"kind": "students"}
    )
    assert response.status_code == 400
    assert "fr-message--error" in response.content.decode()
    assert not PendingImport.objects.exists()
