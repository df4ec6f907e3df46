"""Issue 12, part 8: an import preview shows the risky changes apart (an existing account whose
name, birth date or INE changes; a new account numbered because someone with the same names
exists), with before and after, and they are written only once the administrator says they
checked them. The result page is titled as a result."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.console.models import PendingImport
from preau.console.services import report_to_dict
from preau.directory.models import Account, Establishment, Membership
from preau.provisioning.imports import import_run
from tests.console.conftest import make_person

pytestmark = pytest.mark.django_db

HEADER = "Numéro élève;INE;Nom;Prénom;Date de naissance;Classe\n"
STAFF_HEADER = "Nom;Prénom;Profil;Fonction;Courriel;Classes\n"
CHECKBOX = 'name="identity_checked"'


def _text(response: Any) -> str:
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _upload(client: Any, school: Establishment, kind: str, data: str) -> PendingImport:
    response = client.post(
        reverse("console:import", kwargs={"uai": school.uai}),
        {"kind": kind, "file": SimpleUploadedFile("export.csv", data.encode(), "text/csv")},
    )
    assert response.status_code == 302, response.content.decode()
    return PendingImport.objects.latest("created_at")


def _detail(school: Establishment, pending: PendingImport) -> str:
    return reverse("console:import_detail", kwargs={"uai": school.uai, "pk": pending.pk})


def _confirm(school: Establishment, pending: PendingImport) -> str:
    return reverse("console:import_confirm", kwargs={"uai": school.uai, "pk": pending.pk})


@pytest.fixture
def jean(school: Establishment) -> Account:
    """A pupil already in the directory (pupil number 1001, INE 070803070AJ)."""
    account = make_person(
        school, "jean.dupont", first_name="Jean", last_name="Dupont", classes=["3A"]
    )
    Account.objects.filter(pk=account.pk).update(birth_date=dt.date(2011, 3, 12), ine="070803070AJ")
    Membership.objects.filter(account=account).update(source_id="1001")
    account.refresh_from_db()
    return account


def test_an_identity_change_is_flagged_with_before_and_after(
    admin_client: Any, school: Establishment, jean: Account
) -> None:
    data = HEADER + "1001;070803070BK;Durand;Jean;13/03/2011;3A\n"
    pending = _upload(admin_client, school, "students", data)
    preview = pending.preview
    assert preview["identity_changes"] == 1 and preview["homonyms"] == 0
    assert preview["needs_review"] is True
    (flagged,) = preview["flagged"]
    assert flagged["login"] == "jean.dupont"
    assert flagged["identity"] == [
        {"field": "nom", "old": "Dupont", "new": "Durand"},
        {"field": "date de naissance", "old": "12/03/2011", "new": "13/03/2011"},
        {"field": "INE", "old": "070803070AJ", "new": "070803070BK"},
    ]

    page = admin_client.get(_detail(school, pending))
    text = _text(page)
    assert "À vérifier avant de confirmer" in text
    assert "1 compte existant change d’identité" in text
    assert "jean.dupont Jean Dupont nom Dupont Durand" in text
    assert "date de naissance 12/03/2011 13/03/2011" in text
    assert "INE 070803070AJ 070803070BK" in text
    assert CHECKBOX in page.content.decode()
    assert "J’ai vérifié les changements d’identité" in text


def test_the_confirmation_is_refused_until_the_identity_changes_are_checked(
    admin_client: Any, school: Establishment, jean: Account
) -> None:
    pending = _upload(
        admin_client, school, "students", HEADER + "1001;;Durand;Jean;12/03/2011;3A\n"
    )

    refused = admin_client.post(_confirm(school, pending))
    assert refused.status_code == 400
    text = _text(refused)
    assert "cochez « J’ai vérifié les changements d’identité » pour confirmer l’import" in text
    assert "fr-checkbox-group--error" in refused.content.decode()
    jean.refresh_from_db()
    assert jean.last_name == "Dupont"
    pending.refresh_from_db()
    assert pending.consumed_at is None and pending.result is None

    done = admin_client.post(_confirm(school, pending), {"identity_checked": "1"})
    assert done.status_code == 302
    jean.refresh_from_db()
    assert jean.last_name == "Durand"


def test_a_change_of_case_or_a_first_birth_date_is_a_plain_update(
    admin_client: Any, school: Establishment, jean: Account
) -> None:
    Account.objects.filter(pk=jean.pk).update(birth_date=None)
    pending = _upload(
        admin_client, school, "students", HEADER + "1001;070803070AJ;DUPONT;Jean;12/03/2011;3A\n"
    )
    assert pending.preview["updated"] == 1
    assert pending.preview["needs_review"] is False and pending.preview["flagged"] == []
    page = admin_client.get(_detail(school, pending)).content.decode()
    assert CHECKBOX not in page
    assert admin_client.post(_confirm(school, pending)).status_code == 302
    assert Account.objects.get(pk=jean.pk).last_name == "DUPONT"


def test_a_homonym_with_another_email_is_flagged_naming_the_person_here(
    admin_client: Any, school: Establishment
) -> None:
    jerome = make_person(
        school,
        "jerome.leroy",
        first_name="Jérôme",
        last_name="Leroy",
        profile=Membership.Profile.TEACHER,
    )
    Account.objects.filter(pk=jerome.pk).update(email="jerome.leroy@example.org")
    data = STAFF_HEADER + "Leroy;Jérôme;enseignant;Histoire;j.leroy@autre.example.org;\n"
    pending = _upload(admin_client, school, "staff", data)
    preview = pending.preview
    assert preview["created"] == 1 and preview["homonyms"] == 1
    (flagged,) = preview["flagged"]
    assert flagged["login"] == "jerome.leroy2"
    assert (
        "jerome.leroy est celui de Jérôme Leroy, déjà connu de l’établissement"
        in (flagged["homonym"])
    )

    text = _text(admin_client.get(_detail(school, pending)))
    assert "1 nouveau compte homonyme" in text
    assert "jerome.leroy2 Jérôme Leroy l’identifiant jerome.leroy est celui de" in text
    assert admin_client.post(_confirm(school, pending)).status_code == 400
    assert not Account.objects.filter(login="jerome.leroy2").exists()


def test_two_homonyms_in_one_file_are_flagged(admin_client: Any, school: Establishment) -> None:
    data = HEADER + "2001;;Martin;Jean;01/01/2011;3A\n2002;;Martin;Jean;02/02/2012;4B\n"
    pending = _upload(admin_client, school, "students", data)
    (flagged,) = pending.preview["flagged"]
    assert flagged["login"] == "jean.martin2"
    assert "même nom et prénom que Jean Martin, ligne 2 de ce fichier" in flagged["homonym"]


def test_the_result_page_is_titled_as_a_result(
    admin_client: Any, school: Establishment, jean: Account
) -> None:
    pending = _upload(
        admin_client, school, "students", HEADER + "1001;;Durand;Jean;12/03/2011;3A\n"
    )
    preview = _text(admin_client.get(_detail(school, pending)))
    assert "Aperçu de l’import" in preview and "Changements prévus" in preview
    assert "Résultat de l’import" not in preview

    result = admin_client.post(_confirm(school, pending), {"identity_checked": "1"}, follow=True)
    text = _text(result)
    assert "Résultat de l’import" in text and "Aperçu de l’import" not in text
    assert "Changements enregistrés" in text and "Changements prévus" not in text
    assert "Changements d’identité et homonymes" in text
    assert "À vérifier avant de confirmer" not in text and CHECKBOX not in text


def test_the_report_keeps_its_fields_and_adds_the_review(
    school: Establishment, admin: Account
) -> None:
    data = (HEADER + "3001;;Petit;Lou;01/01/2011;3A\n").encode()
    report = report_to_dict(
        import_run(
            actor=admin,
            establishment=school,
            kind="students",
            data=data,
            filename="e.csv",
            dry_run=True,
        )
    )
    assert {
        "kind",
        "filename",
        "dry_run",
        "written",
        "created",
        "updated",
        "ended",
        "unchanged",
        "rejected",
        "refused",
        "problems",
        "changes",
        "changes_total",
        "identity_changes",
        "homonyms",
        "flagged",
        "needs_review",
    } <= set(report)
    (change,) = report["changes"]
    assert {"action", "login", "name", "detail", "identity", "homonym"} == set(change)
    assert report["needs_review"] is False
