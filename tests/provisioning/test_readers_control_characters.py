"""Control characters in an export (copied from another program, a corrupted file) are refused
with the file, the line and the column: once stored they would reach every service's XML."""

from __future__ import annotations

import pytest

from preau.provisioning.readers import GUARDIANS, STAFF
from tests.provisioning.test_readers import STUDENTS_HEADER, problems, read


@pytest.mark.parametrize(
    "char", ["\x01", "\x08", "\x0e", "\x1b", "\x7f", "\x80", "\x9f", "\ufffe", "\uffff"]
)
def test_a_control_character_in_a_name_refuses_its_line(char: str) -> None:
    text = f"{STUDENTS_HEADER}\n1;;DU{char}PONT;Léa;01/01/2013;6A\n2;;MARTIN;Paul;01/01/2013;6A\n"
    parsed = read(text)
    assert problems(parsed) == [(2, "Nom")]
    assert parsed.rejected_lines == {2}
    assert [r.values["last_name"] for r in parsed.rows] == ["MARTIN"]
    problem = parsed.problems[0]
    assert problem.file == "eleves.csv"
    assert f"U+{ord(char):04X}" in problem.message
    assert "caractère de contrôle" in problem.message
    assert str(problem).startswith("eleves.csv:2:Nom: ")


def test_every_text_column_is_checked() -> None:
    text = (
        "Numéro élève;Nom;Prénom;Prénom 2;Date de naissance;Classe\n"
        "1\x02;A;B;C\x04;01/01/2013;6\x05A\n"
    )
    parsed = read(text)
    assert sorted(problems(parsed)) == [(2, "Autres prénoms"), (2, "Classe"), (2, "Numéro élève")]
    assert parsed.rows == []


def test_guardians_and_staff_are_checked_too() -> None:
    guardians = read(
        "Numéro élève;Nom;Prénom;Lien;Responsabilité légale\n1;DUPONT;Ma\x07rie;mère;1\n",
        kind=GUARDIANS,
    )
    assert problems(guardians) == [(2, "Prénom")]
    staff = read(
        "Nom;Prénom;Profil;Fonction;Classes enseignées\nLEROY;Jean;enseignant;Maths\x1b;6A\n",
        kind=STAFF,
    )
    assert problems(staff) == [(2, "Fonction")]


def test_whitespace_controls_become_spaces() -> None:
    # Tabs, vertical tabs, form feeds and the information separators are white space: like
    # runs of spaces they become one space, they do not refuse the line.
    text = f"{STUDENTS_HEADER}\n1;;DU\x0bPONT;Léa\x1f Marie;01/01/2013;6A\n"
    parsed = read(text)
    assert parsed.problems == []
    assert parsed.rows[0].values["last_name"] == "DU PONT"
    assert parsed.rows[0].values["first_name"] == "Léa Marie"


def test_a_control_character_in_a_windows_1252_file_is_refused() -> None:
    # 0x81 is undefined in Windows-1252: such a file is read as Latin-1, where it is U+0081.
    parsed = read(f"{STUDENTS_HEADER}\n1;;DUPONT\x81;Léa;01/01/2013;6A\n".encode("latin-1"))
    assert problems(parsed) == [(2, "Nom")]
    assert "U+0081" in parsed.problems[0].message
