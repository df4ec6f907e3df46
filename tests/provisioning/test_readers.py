"""Reading export files: encodings, separators, headers, dates, and every bad input named."""

from __future__ import annotations

import datetime as dt

import pytest

from preau.provisioning.readers import (
    GUARDIANS,
    STAFF,
    STUDENTS,
    ParsedFile,
    normalize_header,
    normalize_mobile,
    parse_date,
    read_export,
)

TODAY = dt.date(2026, 11, 27)
STUDENTS_HEADER = "Numéro élève;INE;Nom;Prénom;Date de naissance;Classe"


def read(text: str | bytes, kind: str = STUDENTS, encoding: str = "utf-8") -> ParsedFile:
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return read_export(kind=kind, data=data, filename="eleves.csv", today=TODAY)


def problems(parsed: ParsedFile) -> list[tuple[int, str]]:
    return [(p.line, p.column) for p in parsed.problems]


def test_utf8_with_semicolons_and_french_dates() -> None:
    parsed = read(f"{STUDENTS_HEADER}\n1001;070803070AJ;DUPONT;Élodie;07/03/2013;6A\n")
    assert parsed.problems == []
    (row,) = parsed.rows
    assert row.line == 2
    assert row.values["first_name"] == "Élodie"
    assert row.values["birth_date"] == dt.date(2013, 3, 7)
    assert row.values["ine"] == "070803070AJ"
    assert row.values["class"] == "6A"


def test_utf8_bom_is_stripped_from_the_first_header() -> None:
    parsed = read(b"\xef\xbb\xbf" + f"{STUDENTS_HEADER}\n1;;A;B;01/01/2013;6A\n".encode())
    assert parsed.problems == []
    assert parsed.encoding == "utf-8-sig"


def test_windows_1252_with_commas_iso_dates_and_upper_case_headers_without_accents() -> None:
    text = (
        "NUMERO ELEVE,INE,NOM DE FAMILLE,PRENOM(S),DATE DE NAISSANCE,CLASSE\r\n"
        "1002,,LEFÈVRE,Zoé,2013-11-02,5B\r\n"
        '1003,,"CŒUR, dit ""Lion""",Anaïs,02/09/2012,4A\r\n'
    )
    parsed = read(text, encoding="cp1252")
    assert parsed.problems == []
    assert parsed.encoding == "windows-1252"
    assert parsed.delimiter == ","
    assert [r.values["last_name"] for r in parsed.rows] == ["LEFÈVRE", 'CŒUR, dit "Lion"']
    assert parsed.rows[0].values["birth_date"] == dt.date(2013, 11, 2)
    assert parsed.rows[1].values["first_name"] == "Anaïs"


def test_header_synonyms_and_several_first_names() -> None:
    text = (
        "Numero eleve;Nom d'usage;Prénom(s);Né(e) le;Division\n"
        "7;MARTIN;Léa, Marie, Jeanne;01/02/2014;6C\n"
    )
    parsed = read(text)
    assert parsed.problems == []
    values = parsed.rows[0].values
    assert values["first_name"] == "Léa"
    assert values["other_first_names"] == "Marie, Jeanne"
    assert values["ine"] is None


@pytest.mark.parametrize(
    ("header", "normalized"),
    [
        ("Prénom(s)", "prenom s"),
        ("DATE DE NAISSANCE", "date de naissance"),
        ("N° élève", "n eleve"),
    ],
)
def test_normalize_header(header: str, normalized: str) -> None:
    assert normalize_header(header) == normalized


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07/03/2013", dt.date(2013, 3, 7)),
        ("7/3/2013", dt.date(2013, 3, 7)),
        ("2013-03-07", dt.date(2013, 3, 7)),
        ("07-03-2013", dt.date(2013, 3, 7)),
        ("07.03.2013", dt.date(2013, 3, 7)),
        ("2013-03-07T00:00:00", dt.date(2013, 3, 7)),
        ("31/02/2013", None),
        ("07/03/13", None),
        ("demain", None),
    ],
)
def test_parse_date(raw: str, expected: dt.date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.81.34.56.78", "+33781345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("01 23 45 67 89", None),
        ("12", None),
        # The forms' rule: ten digits, but in a block no operator holds (07 00 to 07 29).
        ("07 19 05 30 04", None),
        ("+33 7 11 22 33 44", None),
    ],
)
def test_mobiles_are_stored_in_e164(raw: str, expected: str | None) -> None:
    assert normalize_mobile(raw) == expected


def test_empty_file_is_refused() -> None:
    for data in (b"", b"\n\n  \r\n", b"\xef\xbb\xbf"):
        parsed = read(data)
        assert parsed.fatal
        assert "vide" in parsed.problems[0].message


def test_binary_garbage_is_refused() -> None:
    garbage = bytes(range(256)) * 20
    parsed = read(garbage)
    assert parsed.fatal
    assert problems(parsed) == [(0, "")]
    assert "binaire" in parsed.problems[0].message


def test_a_spreadsheet_is_refused_with_what_to_do() -> None:
    parsed = read(b"PK\x03\x04" + b"\x14\x00" * 100)
    assert parsed.fatal
    assert "CSV" in parsed.problems[0].message


def test_missing_column_is_named_on_the_header_line() -> None:
    parsed = read("Numéro élève;Nom;Prénom;Classe\n1;A;B;6A\n")
    assert parsed.fatal
    assert problems(parsed) == [(1, "Date de naissance")]
    assert "Colonne obligatoire absente" in parsed.problems[0].message


@pytest.mark.parametrize(
    ("kind", "text", "found"),
    [
        (STUDENTS, "Nom;Prénom;Profil;Fonction;Courriel\nA;B;enseignant;Maths;\n", "personnels"),
        (
            STUDENTS,
            "Numéro élève;Nom;Prénom;Lien de parenté;Responsabilité légale\n1;A;B;mère;1\n",
            "responsables",
        ),
        (GUARDIANS, f"{STUDENTS_HEADER}\n1;;A;B;01/01/2013;6A\n", "élèves"),
        (STAFF, f"{STUDENTS_HEADER}\n1;;A;B;01/01/2013;6A\n", "élèves"),
    ],
)
def test_a_file_of_the_wrong_kind_says_what_was_expected(kind: str, text: str, found: str) -> None:
    parsed = read(text, kind=kind)
    assert parsed.fatal
    (problem,) = parsed.problems
    assert problem.line == 1
    assert found in problem.message
    assert "était attendu" in problem.message


def test_lines_with_too_many_or_too_few_fields_are_reported_with_their_line() -> None:
    text = (
        f"{STUDENTS_HEADER}\n"
        "1;;A;B;01/01/2013;6A\n"
        "2;;A;B;01/01/2013\n"
        "\n"
        "3;;A;B;01/01/2013;6A;surplus\n"
        "4;;A;B;01/01/2013;6A;;\n"  # empty trailing cells from a spreadsheet are fine
    )
    parsed = read(text)
    assert problems(parsed) == [(3, ""), (5, "")]
    assert "5 champs au lieu de 6" in parsed.problems[0].message
    assert "7 champs au lieu de 6" in parsed.problems[1].message
    assert [r.line for r in parsed.rows] == [2, 6]
    assert parsed.rejected_lines == {3, 5}


def test_a_quoted_field_over_two_lines_keeps_the_next_line_numbers_right() -> None:
    text = f'{STUDENTS_HEADER}\n1;;"A\nB";C;01/01/2013;6A\n2;;D;E;bad;6A\n'
    parsed = read(text)
    assert problems(parsed) == [(4, "Date de naissance")]


def test_bad_date_bad_ine_and_empty_values_name_their_column() -> None:
    text = f"{STUDENTS_HEADER}\n1;123;A;B;32/01/2013;6A\n2;;;B;01/01/2013;\n3;;A;B;01/01/2099;6A\n"
    parsed = read(text)
    assert problems(parsed) == [
        (2, "INE"),
        (2, "Date de naissance"),
        (3, "Nom"),
        (3, "Classe"),
        (4, "Date de naissance"),
    ]
    assert "n'est pas un INE" in parsed.problems[0].message
    assert "jj/mm/aaaa" in parsed.problems[1].message
    assert parsed.rows == []


def test_guardian_values_are_checked_and_normalised() -> None:
    text = (
        "Numéro élève;Nom;Prénom;Lien;Responsabilité légale;Courriel;Portable;CP\n"
        "1;DUPONT;Marie;Mère;1;Marie.Dupont@Example.org;06 12 34 56 78;75011\n"
        "2;DUPONT;Paul;oncle;oui;;;\n"
        "3;X;Y;voisin;3;pas-une-adresse;01 23 45 67 89;?\n"
    )
    parsed = read(text, kind=GUARDIANS)
    first, second = (r.values for r in parsed.rows)
    assert first["relationship"] == "mere"
    assert first["email"] == "marie.dupont@example.org"
    assert first["mobile"] == "+33612345678"
    assert second["relationship"] == "famille"
    assert second["legal_responsibility"] == 1
    assert problems(parsed) == [
        (4, "Lien de parenté"),
        (4, "Responsabilité légale"),
        (4, "Courriel"),
        (4, "Téléphone mobile"),
        (4, "Code postal"),
    ]


def test_staff_profiles_and_classes_taught() -> None:
    text = (
        "Nom;Prénom;Profil;Fonction;Courriel;Classes enseignées\n"
        "LEROY;Jérôme;Enseignant;Mathématiques;j.leroy@example.org;6A, 5B,6A\n"
        "BLANC;Anne;personnel;CPE;;\n"
        "NOIR;Jean;directeur;;;\n"
    )
    parsed = read(text, kind=STAFF)
    first, second = (r.values for r in parsed.rows)
    assert first["profile"] == "enseignant" and first["classes"] == ["5B", "6A"]
    assert second["profile"] == "personnel" and second["classes"] == []
    assert problems(parsed) == [(4, "Profil")]
