"""Credential letters: what the PDF says, which codes it carries, and that those codes work."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.activation.services import charter_version_create, charter_version_publish
from preau.audit.models import AuditEvent
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment, Guardianship, Membership, SchoolClass
from preau.directory.services import local_admin_set
from preau.provisioning import services
from preau.provisioning.services import LettersError, LettersResult, letters_generate

PASSWORD = "Correct-Horse-Battery-9"
YEAR = 2025
P = Membership.Profile


# --- A small school ------------------------------------------------------------------------------


def _person(login: str, first: str, last: str, state: str = Account.State.PROVISIONED) -> Account:
    fields: dict[str, Any] = {"first_name": first, "last_name": last, "state": state}
    if state == Account.State.ACTIVE:
        fields["activated_at"] = timezone.now()
        return Account.objects.create_user(login, password=PASSWORD, **fields)
    return Account.objects.create_user(login, **fields)


def _member(
    account: Account,
    establishment: Establishment,
    profile: str,
    classes: list[SchoolClass] | None = None,
    **fields: Any,
) -> Membership:
    membership = Membership.objects.create(
        account=account, establishment=establishment, profile=profile, school_year=YEAR, **fields
    )
    if classes:
        membership.classes.set(classes)
    return membership


@dataclass
class School:
    establishment: Establishment
    other: Establishment
    c3a: SchoolClass
    c3b: SchoolClass
    lea: Account  # student 3A
    lukasz: Account  # student 3A, name outside Latin-1
    zoe: Account  # student 3B, already active
    tom: Account  # student 3B, deactivated (deadline passed)
    marc: Account  # guardian of Léa (3A) and Zoé (3B); also a guardian in another school
    anne: Account  # teacher of 3A, active
    paul: Account  # personnel (CPE), pending
    gone: Account  # student whose membership ended
    outsider: Account  # student of the other school only


@pytest.fixture
def school(establishment: Establishment) -> School:
    other = Establishment.objects.create(uai="0130001A", name="Collège Voisin", kind="college")
    c3a = SchoolClass.objects.create(establishment=establishment, school_year=YEAR, code="3A")
    c3b = SchoolClass.objects.create(establishment=establishment, school_year=YEAR, code="3B")
    # Last year's 3C: not a class of the current year.
    SchoolClass.objects.create(establishment=establishment, school_year=YEAR - 1, code="3C")
    other_class = SchoolClass.objects.create(establishment=other, school_year=YEAR, code="6A")

    lea = _person("lea.dupont", "Léa", "Dupont")
    lukasz = _person("lukasz.nguyen", "Łukasz", "Nguyễn")
    zoe = _person("zoe.dupont", "Zoé", "Dupont", Account.State.ACTIVE)
    tom = _person("tom.martin", "Tom", "Martin", Account.State.DEACTIVATED)
    marc = _person("marc.dupont", "Marc", "Dupont")
    anne = _person("anne.leroy", "Anne", "Leroy", Account.State.ACTIVE)
    paul = _person("paul.bernard", "Paul", "Bernard")
    gone = _person("ines.parti", "Inès", "Parti")
    outsider = _person("hugo.voisin", "Hugo", "Voisin")
    for student, cls in ((lea, c3a), (lukasz, c3a), (zoe, c3b), (tom, c3b)):
        _member(student, establishment, P.STUDENT, [cls])
    _member(gone, establishment, P.STUDENT, [c3a], end_date=timezone.localdate())
    _member(outsider, other, P.STUDENT, [other_class])
    _member(marc, establishment, P.GUARDIAN)
    _member(marc, other, P.GUARDIAN)
    _member(anne, establishment, P.TEACHER, [c3a], function="Professeure de mathématiques")
    _member(paul, establishment, P.STAFF, function="CPE")
    for student, where in ((lea, establishment), (zoe, establishment), (outsider, other)):
        Guardianship.objects.create(guardian=marc, student=student, establishment=where)
    return School(
        establishment, other, c3a, c3b, lea, lukasz, zoe, tom, marc, anne, paul, gone, outsider
    )


def _charter_published() -> None:
    version = charter_version_create(actor=None, title="Charte", body="Respectez les autres.")
    charter_version_publish(actor=None, version=version)


# --- Reading the PDF back -----------------------------------------------------------------------


@dataclass
class Page:
    text: str  # as extracted, lines as drawn
    login: str
    code: str | None

    @property
    def words(self) -> str:
        """The text with line breaks folded, to look for sentences the layout may wrap."""
        return " ".join(self.text.split())


LOGIN_RE = re.compile(r"Identifiant\s*\n\s*(\S+)")
CODE_RE = re.compile(r"Code d’activation\s*\n\s*([A-Z0-9]{4}-[A-Z0-9]{4})")


def _pages(pdf: bytes) -> list[Page]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        text = page.extract_text()
        login = LOGIN_RE.search(text)
        code = CODE_RE.search(text)
        assert login, text
        pages.append(Page(text, login.group(1), code.group(1) if code else None))
    return pages


def _by_login(result: LettersResult) -> dict[str, Page]:
    return {page.login: page for page in _pages(result.pdf)}


def _signs_in(login: str, secret: str) -> bool:
    return authenticate(None, username=login, password=secret) is not None


# --- Codes that work ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_codes_printed_on_the_letters_sign_in(school: School) -> None:
    result = letters_generate(actor=None, establishment=school.establishment)
    pages = _by_login(result)

    pending = ["lea.dupont", "lukasz.nguyen", "tom.martin", "marc.dupont", "paul.bernard"]
    assert sorted(login for login, page in pages.items() if page.code) == sorted(pending)
    for login in pending:
        code = pages[login].code
        assert code is not None
        assert _signs_in(login, code), login
        assert _signs_in(login, code.replace("-", "").lower()), login
    assert result.codes_issued == len(pending)
    assert result.letters == len(pages) == 7


@pytest.mark.django_db
def test_printing_again_issues_new_codes_and_the_old_ones_stop_working(school: School) -> None:
    first = _by_login(letters_generate(actor=None, establishment=school.establishment))
    second = _by_login(letters_generate(actor=None, establishment=school.establishment))

    for login in ("lea.dupont", "marc.dupont", "paul.bernard"):
        old, new = first[login].code, second[login].code
        assert old and new and old != new
        assert not _signs_in(login, old)
        assert _signs_in(login, new)


@pytest.mark.django_db
def test_expired_code_from_a_letter_is_refused(school: School, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ACTIVATION_DAYS": 10}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        pages = _by_login(letters_generate(actor=None, establishment=school.establishment))
    code = pages["lea.dupont"].code
    assert code
    with time_machine.travel(start + dt.timedelta(days=9), tick=False):
        assert _signs_in("lea.dupont", code)
    with time_machine.travel(start + dt.timedelta(days=10, seconds=1), tick=False):
        assert not _signs_in("lea.dupont", code)


@pytest.mark.django_db
def test_expiry_date_is_printed_as_a_paris_date(school: School) -> None:
    # 92 days after 1 September 23:30 UTC, the deadline is 2 December 23:30 UTC: already
    # 3 December in Paris (winter time, UTC+1).
    with time_machine.travel(dt.datetime(2025, 9, 1, 23, 30, tzinfo=dt.UTC), tick=False):
        result = letters_generate(actor=None, establishment=school.establishment, profile="staff")
    page = _by_login(result)["paul.bernard"]
    assert "À utiliser avant le 03/12/2025" in page.words, page.text


# --- Active accounts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_active_account_is_untouched_and_its_letter_has_no_code(school: School) -> None:
    before = {a.pk: a for a in Account.objects.filter(pk__in=[school.zoe.pk, school.anne.pk])}

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        result = letters_generate(actor=None, establishment=school.establishment)

    pages = _by_login(result)
    for account in (school.zoe, school.anne):
        after = Account.objects.get(pk=account.pk)
        old = before[account.pk]
        assert (after.password, after.state, after.updated_at) == (
            old.password,
            Account.State.ACTIVE,
            old.updated_at,
        )
        assert after.activation_code_digest == ""
        page = pages[account.login]
        assert page.code is None
        assert "Code d’activation" not in page.words
        assert "déjà activé" in page.words
        assert "Mot de passe oublié" in page.words
        assert not AuditEvent.objects.filter(target=account).exists()
    assert _signs_in("zoe.dupont", PASSWORD)


# --- Content -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_letter_names_the_school_the_person_the_address_and_the_steps(
    school: School, settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "PUBLIC_URL": "https://ent.exemple.fr/",
        "HELP_TEXT": "Secrétariat : 01 23 45 67 89, du lundi au vendredi.",
    }
    Account.objects.filter(pk=school.lea.pk).update(birth_date=dt.date(2011, 3, 12))
    _charter_published()
    result = letters_generate(actor=None, establishment=school.establishment, profile="student")
    text = _by_login(result)["lea.dupont"].words

    for expected in (
        "Lycée Louis-le-Grand",
        "0750654D",
        "Léa Dupont",
        "Élève · classe 3A",
        "https://ent.exemple.fr",
        "https://ent.exemple.fr/connexion",
        "choisissez « Élève ou parent »",
        "Charte d’utilisation : lisez et acceptez",
        "identifiant et votre code d’activation",
        "charte",
        "mot de passe",
        "date de naissance",
        "adresse électronique",
        "téléphone mobile",
        "Secrétariat : 01 23 45 67 89",
        "Besoin d’aide",
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_guardian_letter_lists_the_children_of_this_school_with_their_classes(
    school: School,
) -> None:
    Account.objects.filter(pk=school.zoe.pk).update(birth_date=dt.date(2012, 1, 5))
    result = letters_generate(actor=None, establishment=school.establishment, profile="guardian")
    pages = _pages(result.pdf)

    assert [p.login for p in pages] == ["marc.dupont"]
    text = pages[0].words
    assert "Responsable légal" in text
    assert "Léa Dupont, classe 3A" in text
    assert "Zoé Dupont, classe 3B" in text
    assert "Hugo Voisin" not in text  # a child of the other school
    assert "date de naissance de votre enfant" in text


@pytest.mark.django_db
def test_names_outside_latin1_print_as_written_and_unknown_scripts_do_not_crash(
    school: School,
) -> None:
    odd = _person("wei.zhang", "伟", "Zhang 😀")
    _member(odd, school.establishment, P.STUDENT, [school.c3b])

    result = letters_generate(actor=None, establishment=school.establishment, profile="student")
    pages = _by_login(result)

    assert "Łukasz Nguyễn" in pages["lukasz.nguyen"].words
    assert "Zhang" in pages["wei.zhang"].words
    assert pages["wei.zhang"].code and _signs_in("wei.zhang", pages["wei.zhang"].code)


@pytest.mark.django_db
def test_one_page_per_person_even_with_several_profiles(school: School) -> None:
    # Anne teaches 3A and is also Tom's mother: one letter, both roles.
    _member(school.anne, school.establishment, P.GUARDIAN)
    Guardianship.objects.create(
        guardian=school.anne, student=school.tom, establishment=school.establishment
    )
    result = letters_generate(actor=None, establishment=school.establishment)
    logins = [p.login for p in _pages(result.pdf)]

    assert logins.count("anne.leroy") == 1
    assert len(logins) == len(set(logins)) == result.letters
    text = _by_login(result)["anne.leroy"].words
    assert "Enseignant" in text and "Responsable légal" in text
    assert "Tom Martin, classe 3B" in text


@pytest.mark.django_db
def test_letters_are_sorted_by_class_then_name(school: School) -> None:
    result = letters_generate(actor=None, establishment=school.establishment)
    logins = [p.login for p in _pages(result.pdf)]
    # 3A: Léa Dupont, Marc Dupont (a guardian files under his first child's class), Łukasz
    # Nguyễn; 3B: Zoé Dupont, Tom Martin; then the staff, by name.
    assert logins == [
        "lea.dupont",
        "marc.dupont",
        "lukasz.nguyen",
        "zoe.dupont",
        "tom.martin",
        "paul.bernard",
        "anne.leroy",
    ]


@pytest.mark.django_db
def test_classes_sort_naturally(establishment: Establishment) -> None:
    for code in ("6B", "10A", "6A", "2C"):
        cls = SchoolClass.objects.create(establishment=establishment, school_year=YEAR, code=code)
        _member(_person(f"eleve.{code.lower()}", "Eleve", code), establishment, P.STUDENT, [cls])
    result = letters_generate(actor=None, establishment=establishment)
    assert [p.login for p in _pages(result.pdf)] == [
        "eleve.2c",
        "eleve.6a",
        "eleve.6b",
        "eleve.10a",
    ]


# --- Selection --------------------------------------------------------------------------------


def _logins(result: LettersResult) -> set[str]:
    return {p.login for p in _pages(result.pdf)}


@pytest.mark.django_db
def test_current_members_of_this_school_only(school: School) -> None:
    logins = _logins(letters_generate(actor=None, establishment=school.establishment))
    assert "ines.parti" not in logins  # membership ended today
    assert "hugo.voisin" not in logins  # another school
    assert Account.objects.get(pk=school.gone.pk).activation_code_digest == ""
    assert Account.objects.get(pk=school.outsider.pk).activation_code_digest == ""


@pytest.mark.django_db
def test_membership_ending_in_the_future_is_still_current(school: School) -> None:
    Membership.objects.filter(account=school.gone).update(
        end_date=timezone.localdate() + dt.timedelta(days=1)
    )
    assert "ines.parti" in _logins(letters_generate(actor=None, establishment=school.establishment))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("student", {"lea.dupont", "lukasz.nguyen", "zoe.dupont", "tom.martin"}),
        ("guardian", {"marc.dupont"}),
        ("staff", {"anne.leroy", "paul.bernard"}),
    ],
)
def test_profile_filter(school: School, profile: str, expected: set[str]) -> None:
    result = letters_generate(actor=None, establishment=school.establishment, profile=profile)
    assert _logins(result) == expected


@pytest.mark.django_db
def test_class_filter_takes_its_students_their_guardians_and_its_teachers(
    school: School,
) -> None:
    result = letters_generate(actor=None, establishment=school.establishment, school_class="3A")
    assert _logins(result) == {"lea.dupont", "lukasz.nguyen", "marc.dupont", "anne.leroy"}
    # Only those got new codes: 3B's pending student did not.
    assert Account.objects.get(pk=school.tom.pk).activation_code_digest == ""
    assert result.codes_issued == 3


@pytest.mark.django_db
def test_class_and_profile_filters_combine_and_class_code_ignores_case(school: School) -> None:
    result = letters_generate(
        actor=None, establishment=school.establishment, school_class="3b", profile="guardian"
    )
    assert _logins(result) == {"marc.dupont"}
    result = letters_generate(
        actor=None, establishment=school.establishment, school_class="3B", profile="student"
    )
    assert _logins(result) == {"zoe.dupont", "tom.martin"}


@pytest.mark.django_db
def test_pending_only_leaves_active_accounts_out(school: School) -> None:
    result = letters_generate(actor=None, establishment=school.establishment, pending_only=True)
    assert _logins(result) == {
        "lea.dupont",
        "lukasz.nguyen",
        "tom.martin",
        "marc.dupont",
        "paul.bernard",
    }
    assert result.letters == result.codes_issued == 5


@pytest.mark.django_db
def test_deactivated_account_is_reactivated_by_its_new_letter(school: School) -> None:
    result = letters_generate(actor=None, establishment=school.establishment, school_class="3B")
    code = _by_login(result)["tom.martin"].code
    assert code
    tom = Account.objects.get(pk=school.tom.pk)
    assert tom.state == Account.State.PROVISIONED
    assert tom.activation_code_digest == activation_code_digest(code)
    assert _signs_in("tom.martin", code)


@pytest.mark.django_db
def test_unknown_class_is_refused_with_the_known_ones(school: School) -> None:
    with pytest.raises(LettersError) as excinfo:
        letters_generate(actor=None, establishment=school.establishment, school_class="3Z")
    message = str(excinfo.value)
    assert "Classe inconnue" in message and "3Z" in message and "3A, 3B" in message
    # Last year's class is not a class of the current year.
    with pytest.raises(LettersError):
        letters_generate(actor=None, establishment=school.establishment, school_class="3C")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_profile_is_refused(school: School) -> None:
    with pytest.raises(LettersError, match="Profil inconnu"):
        letters_generate(actor=None, establishment=school.establishment, profile="eleve")


@pytest.mark.django_db
def test_nothing_selected_gives_no_letter_and_writes_nothing(establishment: Establishment) -> None:
    result = letters_generate(actor=None, establishment=establishment)
    assert (result.pdf, result.letters, result.codes_issued) == (b"", 0, 0)
    assert not AuditEvent.objects.exists()


# --- Audit and atomicity ---------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_events_record_each_code_and_the_print_run(school: School, rf: Any) -> None:
    admin = school.anne
    local_admin_set(actor=None, account=admin, establishment=school.establishment)
    request = rf.post("/", REMOTE_ADDR="198.51.100.4")
    result = letters_generate(
        actor=admin,
        establishment=school.establishment,
        school_class="3A",
        request=request,
    )

    issues = AuditEvent.objects.filter(action="activation_code.issue")
    assert {e.target_id for e in issues} == {school.lea.pk, school.lukasz.pk, school.marc.pk}
    assert all(e.actor == admin and e.establishment == school.establishment for e in issues)
    printed = AuditEvent.objects.get(action="letters.print")
    assert printed.actor == admin
    assert printed.establishment == school.establishment
    assert printed.ip == "198.51.100.4"
    assert printed.data == {
        "letters": result.letters,
        "codes_issued": result.codes_issued,
        "class": "3A",
        "profile": None,
        "pending_only": False,
        "withheld": 0,
    }
    assert (result.letters, result.codes_issued) == (4, 3)


@pytest.mark.django_db
def test_a_failure_while_drawing_keeps_the_previous_codes(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _by_login(letters_generate(actor=None, establishment=school.establishment))
    events = AuditEvent.objects.count()

    def broken(**kwargs: Any) -> bytes:
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(services, "letters_render", broken)
    with pytest.raises(RuntimeError):
        letters_generate(actor=None, establishment=school.establishment)

    code = first["lea.dupont"].code
    assert code and _signs_in("lea.dupont", code)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_letters(establishment: Establishment) -> None:
    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            letters_generate(actor=None, establishment=establishment)
        return len(queries)

    cls = SchoolClass.objects.create(establishment=establishment, school_year=YEAR, code="6A")

    def add_family(i: int) -> None:
        child = _person(f"eleve.n{i}", "Eleve", f"N{i}")
        parent = _person(f"parent.n{i}", "Parent", f"N{i}")
        _member(child, establishment, P.STUDENT, [cls])
        _member(parent, establishment, P.GUARDIAN)
        Guardianship.objects.create(guardian=parent, student=child, establishment=establishment)

    for i in range(2):
        add_family(i)
    run()  # the caches warm (the current charter's id)
    small = run()
    for i in range(2, 30):
        add_family(i)
    assert run() == small


# --- The command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_writes_the_pdf_and_says_how_many_letters_and_codes(
    school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "3A.pdf"
    call_command("letters", "--establishment", "0750654d", "--class", "3A", "-o", str(out))

    stdout = capsys.readouterr().out
    assert f"4 courriers écrits dans {out}" in stdout
    assert "3 codes d'activation émis" in stdout
    pages = {p.login: p for p in _pages(out.read_bytes())}
    assert set(pages) == {"lea.dupont", "lukasz.nguyen", "marc.dupont", "anne.leroy"}
    code = pages["marc.dupont"].code
    assert code and _signs_in("marc.dupont", code)
    assert oct(out.stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_command_profile_and_pending_only(
    school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "staff.pdf"
    call_command(
        "letters",
        "--establishment",
        "0750654D",
        "--profile",
        "staff",
        "--pending-only",
        "--output",
        str(out),
    )
    assert "1 courrier écrit" in capsys.readouterr().out
    assert [p.login for p in _pages(out.read_bytes())] == ["paul.bernard"]


@pytest.mark.django_db
def test_command_refuses_an_unknown_establishment(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Établissement inconnu.*0999999Z"):
        call_command("letters", "--establishment", "0999999z", "-o", str(tmp_path / "x.pdf"))


@pytest.mark.django_db
def test_command_refuses_an_unknown_class_and_writes_nothing(
    school: School, tmp_path: Path
) -> None:
    out = tmp_path / "x.pdf"
    with pytest.raises(CommandError, match="Classe inconnue.*Classes connues : 3A, 3B"):
        call_command("letters", "--establishment", "0750654D", "--class", "4A", "-o", str(out))
    assert not out.exists()


@pytest.mark.django_db
def test_command_with_an_unwritable_output_keeps_the_old_codes(
    school: School, tmp_path: Path
) -> None:
    first = _by_login(letters_generate(actor=None, establishment=school.establishment))
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("letters", "--establishment", "0750654D", "-o", str(tmp_path / "no" / "x.pdf"))
    code = first["lea.dupont"].code
    assert code and _signs_in("lea.dupont", code)


@pytest.mark.django_db
def test_command_with_nothing_to_print_writes_no_file(
    school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Account.objects.update(state=Account.State.ACTIVE)
    out = tmp_path / "x.pdf"
    call_command("letters", "--establishment", "0750654D", "--pending-only", "-o", str(out))
    assert "Aucun courrier à imprimer" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.django_db
def test_command_that_fails_to_write_rolls_the_new_codes_back(
    school: School, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preau.provisioning.management.commands import letters as command

    first = _by_login(letters_generate(actor=None, establishment=school.establishment))
    events = AuditEvent.objects.count()

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(command, "_write_atomically", disk_full)
    with pytest.raises(CommandError, match="aucun code d'activation n'a été changé"):
        call_command("letters", "--establishment", "0750654D", "-o", str(tmp_path / "x.pdf"))

    code = first["lea.dupont"].code
    assert code and _signs_in("lea.dupont", code)
    assert AuditEvent.objects.count() == events
