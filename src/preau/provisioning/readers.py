"""Read an export file: decode it, find its columns, check and normalise every value.

Nothing here touches the database. :func:`read_export` turns the bytes of a CSV export into
checked rows (one dict per line, values normalised: dates as ``date``, e-mail in lower case,
mobiles in E.164) and a list of problems, each naming the file, the line, the column and what to
do. The columns of each kind of file and their header spellings are in
:mod:`preau.provisioning.columns`. What is accepted is documented in docs/import-formats.md;
keep both in step.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from preau.directory.models import Guardianship, Membership
from preau.directory.validators import INE_RE
from preau.notify import phones
from preau.notify.phones import mobile_e164
from preau.provisioning.columns import (
    COLUMNS,
    GUARDIANS,
    KINDS,
    STAFF,
    STUDENTS,
    Column,
    map_headers,
    normalize_header,
)

__all__ = [
    "COLUMNS",
    "GUARDIANS",
    "KINDS",
    "STAFF",
    "STUDENTS",
    "Column",
    "ImportProblem",
    "ParsedFile",
    "Row",
    "map_headers",
    "normalize_header",
    "read_export",
]


@dataclass
class ImportProblem:
    """One reason a line (or the whole file, line 0 or 1) cannot be imported. French message."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        column = f"{self.column}:" if self.column else ""
        return f"{self.file}:{self.line}:{column} {self.message}"


@dataclass
class Row:
    """One data line: its number in the file (1 is the header) and its normalised values."""

    line: int
    values: dict[str, Any]


@dataclass
class ParsedFile:
    kind: str
    filename: str
    rows: list[Row] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Lines with at least one problem (their rows are not in ``rows``).
    rejected_lines: set[int] = field(default_factory=set)
    encoding: str = ""
    delimiter: str = ""
    fatal: bool = False  # the file as a whole is unreadable or of the wrong kind


def kind_label(kind: str) -> str:
    return {
        STUDENTS: _("fichier d'élèves"),
        GUARDIANS: _("fichier de responsables légaux"),
        STAFF: _("fichier de personnels"),
    }[kind]


def _required_labels(kind: str) -> str:
    return ", ".join(f"« {c.label} »" for c in COLUMNS[kind] if c.required)


# --- Decoding --------------------------------------------------------------------------------

_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def decode(data: bytes) -> tuple[str, str] | tuple[None, str]:  # noqa: PLR0911
    """Text and encoding name, or ``(None, reason)`` for a file that is not text."""
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, _("Le fichier n'est pas un fichier texte (CSV) lisible.")
    else:
        encoding = "utf-8"
    if data.startswith(_SPREADSHEET_MAGIC):
        return None, _(
            "Le fichier est un classeur (Excel ou LibreOffice), pas un fichier CSV : "
            "enregistrez-le au format « CSV (séparateur : point-virgule) » puis importez-le."
        )
    if data.startswith(b"%PDF"):
        return None, _("Le fichier est un PDF, pas un fichier CSV.")
    if b"\x00" in data:
        return None, _("Le fichier contient des données binaires : ce n'est pas un fichier CSV.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" in Windows-1252; a few bytes are undefined there.
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(3, len(text[:20000]) // 100):
        return None, _("Le fichier contient des données binaires : ce n'est pas un fichier CSV.")
    return text, encoding


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


# --- Values ----------------------------------------------------------------------------------

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_DATE_RE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")


def parse_date(value: str) -> dt.date | None:
    """dd/mm/yyyy (also with - or .), ISO yyyy-mm-dd; a time part after a space is ignored."""
    value = value.split(" ", maxsplit=1)[0].split("T", maxsplit=1)[0]
    match = _DATE_RE.match(value)
    if not match:
        return None
    a, b, c = match.groups()
    try:
        if len(a) == 4:
            return dt.date(int(a), int(b), int(c))
        if len(c) == 4:
            return dt.date(int(c), int(b), int(a))
    except ValueError:
        return None
    return None


_RELATIONSHIPS: dict[str, str] = {}
for _value, _words in {
    Guardianship.Relationship.MOTHER: ("mere", "maman", "10", "m"),
    Guardianship.Relationship.FATHER: ("pere", "papa", "20", "p"),
    Guardianship.Relationship.GUARDIAN: ("tuteur", "tutrice", "tuteur ou tutrice", "tuteur trice",
                                         "tuteur legal", "tutrice legale", "51", "tut"),
    Guardianship.Relationship.FAMILY: ("famille", "autre membre de la famille", "grand mere",
                                       "grand pere", "grand parent", "frere", "soeur", "oncle",
                                       "tante", "beau pere", "belle mere", "membre de la famille",
                                       "30", "31", "32", "33", "34", "35", "36", "37", "38", "39"),
    Guardianship.Relationship.CARER: ("aide sociale", "aide sociale a l enfance", "ase", "50",
                                      "foyer", "famille d accueil", "educateur", "educatrice"),
    Guardianship.Relationship.OTHER: ("autre", "autre lien", "autres", "90", "99", ""),
}.items():  # fmt: skip
    for _word in _words:
        _RELATIONSHIPS[_word] = str(_value)

_RESPONSIBILITIES = {
    "1": 1, "rl1": 1, "responsable legal 1": 1, "legal 1": 1, "oui": 1, "o": 1, "x": 1,
    "2": 2, "rl2": 2, "responsable legal 2": 2, "legal 2": 2,
    "0": 0, "non": 0, "n": 0, "aucune": 0, "sans": 0, "sans responsabilite legale": 0,
}  # fmt: skip

_PROFILES = {
    "enseignant": Membership.Profile.TEACHER, "enseignante": Membership.Profile.TEACHER,
    "ens": Membership.Profile.TEACHER, "professeur": Membership.Profile.TEACHER,
    "prof": Membership.Profile.TEACHER, "teacher": Membership.Profile.TEACHER,
    "national 3": Membership.Profile.TEACHER,
    "personnel": Membership.Profile.STAFF, "personnel non enseignant": Membership.Profile.STAFF,
    "non enseignant": Membership.Profile.STAFF, "pers": Membership.Profile.STAFF,
    "staff": Membership.Profile.STAFF, "national 4": Membership.Profile.STAFF,
    "administratif": Membership.Profile.STAFF, "personnel administratif": Membership.Profile.STAFF,
}  # fmt: skip


def normalize_mobile(value: str) -> str | None:
    """A mobile number in E.164 (``+33612345678``) by the one rule of
    ``preau.notify.phones`` (the forms' rule too), or None when it is not one."""
    try:
        return mobile_e164(value) or None
    except ValidationError:
        return None


# What an import says of a number outside the rule, by the rule's reason.
_MOBILE_PROBLEMS = {
    phones.INVALID: _lazy(
        "« %(value)s » n'est pas un numéro de téléphone mobile (ex. 06 12 34 56 78)."
    ),
    phones.NOT_MOBILE: _lazy(
        "« %(value)s » n'est pas un numéro de téléphone mobile (un fixe ?) : indiquez un "
        "mobile, en 06 ou 07, ou laissez la case vide."
    ),
    phones.UNASSIGNED: _lazy(
        "« %(value)s » n'est attribué à aucun téléphone mobile (en métropole, les mobiles "
        "commencent par 06 ou 07, jamais par 070, 071 ou 072) : corrigez-le ou laissez la case "
        "vide."
    ),
}


_POSTAL_RE = re.compile(r"^[0-9A-Z][0-9A-Z \-]{1,9}$")
_CLASS_SPLIT = re.compile(r"[,|+]")


def clean(value: str) -> str:
    """Trim and collapse whitespace (including no-break spaces)."""
    return " ".join(value.split())


# Characters no value may hold once cleaned (tabs, line breaks and the other white-space
# controls have become spaces): C0 and C1 controls, DEL, surrogates and the non-characters
# U+FFFE/U+FFFF. XML 1.0 forbids most of them, so one stored name would break the CAS answers
# of that person; the others are invisible junk from a copy and paste.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _control_errors(raw: dict[str, str]) -> Errors:
    errors: Errors = []
    for key, value in raw.items():
        found = _CONTROL_RE.search(value)
        if found:
            errors.append(
                (
                    key,
                    _(
                        "La valeur contient un caractère de contrôle invisible (U+%(code)s), "
                        "souvent venu d'un copier-coller : retapez cette cellule dans le "
                        "tableur, enregistrez le fichier puis importez-le à nouveau."
                    )
                    % {"code": f"{ord(found.group()):04X}"},
                )
            )
    return errors


# --- Reading ---------------------------------------------------------------------------------


def read_export(
    *,
    kind: str,
    data: bytes,
    filename: str,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Decode, split and check ``data`` as an export of ``kind``. Never raises for bad input."""
    parsed = ParsedFile(kind=kind, filename=filename)
    opened = _open(parsed, data)
    if opened is None:
        return parsed
    reader, headers = opened
    found, missing = map_headers(kind, headers)
    if missing:
        _headers_refuse(parsed, headers, reader.line_num, missing)
        return parsed
    _lines_read(parsed, reader, headers, found, today=today, progress=progress)
    return parsed


def _fatal(parsed: ParsedFile, line: int, column: str, message: str) -> None:
    parsed.problems.append(ImportProblem(parsed.filename, line, column, message))
    parsed.fatal = True


def _open(parsed: ParsedFile, data: bytes) -> tuple[Any, list[str]] | None:
    """A CSV reader past the header line, and the headers; None when the file is unreadable."""
    if not data.strip():
        _fatal(parsed, 0, "", _("Le fichier est vide."))
        return None
    text, info = decode(data)
    if text is None:
        _fatal(parsed, 0, "", info)
        return None
    parsed.encoding = info
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        _fatal(parsed, 0, "", _("Le fichier est vide."))
        return None
    parsed.delimiter = sniff_delimiter(lines[header_index])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)
    try:
        headers: list[str] = []
        while not any(h.strip() for h in headers):
            headers = next(reader)
    except (csv.Error, StopIteration) as exc:
        _fatal(
            parsed,
            header_index + 1,
            "",
            _("Ligne d'en-tête illisible : %(error)s") % {"error": exc},
        )
        return None
    return reader, headers


def _headers_refuse(
    parsed: ParsedFile, headers: list[str], header_line: int, missing: list[Column]
) -> None:
    """Required columns are missing: name the kind the file looks like, or the columns."""
    kind, filename = parsed.kind, parsed.filename
    for other in KINDS:
        if other == kind:
            continue
        other_found, other_missing = map_headers(other, headers)
        distinctive = {c.key for c in COLUMNS[other] if c.distinctive} - {
            c.key for c in COLUMNS[kind] if c.distinctive
        }
        if not other_missing and distinctive & set(other_found):
            _fatal(
                parsed,
                header_line,
                "",
                _(
                    "Ce fichier ressemble à un %(found)s, or un %(expected)s était attendu "
                    "(colonnes obligatoires : %(columns)s). Vérifiez le fichier ou le type "
                    "d'import choisi."
                )
                % {
                    "found": kind_label(other),
                    "expected": kind_label(kind),
                    "columns": _required_labels(kind),
                },
            )
            return
    for column in missing:
        parsed.problems.append(
            ImportProblem(
                filename,
                header_line,
                column.label,
                _(
                    "Colonne obligatoire absente. Un %(expected)s doit avoir les colonnes "
                    "%(columns)s ; en-têtes trouvés : %(headers)s."
                )
                % {
                    "expected": kind_label(kind),
                    "columns": _required_labels(kind),
                    "headers": ", ".join(f"« {h.strip()} »" for h in headers if h.strip()) or "—",
                },
            )
        )
    parsed.fatal = True


def _lines_read(
    parsed: ParsedFile,
    reader: Any,
    headers: list[str],
    found: dict[str, int],
    *,
    today: dt.date,
    progress: Callable[[int], None] | None,
) -> None:
    """Split every data line after the header, and check the lines of the right width."""
    filename = parsed.filename
    # Second and third first names spread over several columns ("Prénom 2", "Prénom 3").
    extra_first = [
        i
        for i, h in enumerate(headers)
        if normalize_header(h) in ("prenom 2", "prenom 3", "prenom 4", "troisieme prenom")
        and i != found.get("other_first_names")
    ]
    width = len(headers)
    previous_end = reader.line_num
    count = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = previous_end + 1
            parsed.problems.append(
                ImportProblem(filename, line, "", _("Ligne illisible : %(error)s") % {"error": exc})
            )
            parsed.rejected_lines.add(line)
            previous_end = reader.line_num
            continue
        line = previous_end + 1
        previous_end = reader.line_num
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > width and not any(f.strip() for f in fields[width:]):
            fields = fields[:width]  # trailing empty cells left by a spreadsheet
        if len(fields) != width:
            parsed.problems.append(
                ImportProblem(
                    filename,
                    line,
                    "",
                    _(
                        "La ligne a %(count)s champs au lieu de %(width)s "
                        "(séparateur « %(sep)s ») : vérifiez les séparateurs et les "
                        "guillemets de cette ligne."
                    )
                    % {"count": len(fields), "width": width, "sep": parsed.delimiter},
                )
            )
            parsed.rejected_lines.add(line)
            continue
        _line_check(parsed, line, fields, found=found, extra_first=extra_first, today=today)
    if progress is not None:
        progress(count)


def _line_check(
    parsed: ParsedFile,
    line: int,
    fields: list[str],
    *,
    found: dict[str, int],
    extra_first: list[int],
    today: dt.date,
) -> None:
    """Check one line's values: a row, or the line's problems (one per column)."""
    raw = {key: clean(fields[index]) for key, index in found.items()}
    if extra_first:
        more = [clean(fields[i]) for i in extra_first if fields[i].strip()]
        raw["other_first_names"] = ", ".join(
            [v for v in (raw.get("other_first_names", ""),) if v] + more
        )
    errors = _control_errors(raw)
    checked: Errors = []
    values = _CHECKERS[parsed.kind](raw, checked, today)
    # One problem per column: a control character is what to fix first.
    refused = {key for key, _message in errors}
    errors += [(key, message) for key, message in checked if key not in refused]
    if errors:
        labels = _LABELS[parsed.kind]
        for key, message in errors:
            parsed.problems.append(
                ImportProblem(parsed.filename, line, labels.get(key, key), message)
            )
        parsed.rejected_lines.add(line)
        return
    parsed.rows.append(Row(line=line, values=values))


Errors = list[tuple[str, str]]


def _names(raw: dict[str, str], errors: Errors) -> dict[str, str]:
    last, first = raw.get("last_name", ""), raw.get("first_name", "")
    other = raw.get("other_first_names", "")
    # "Prénoms" may hold all first names: the first is the usual one.
    if "," in first:
        first, _sep, rest = first.partition(",")
        first = clean(first)
        other = ", ".join(v for v in (clean(rest), other) if v)
    if not last:
        errors.append(("last_name", _("Le nom est vide.")))
    elif len(last) > 150:
        errors.append(("last_name", _("Le nom dépasse 150 caractères.")))
    if not first:
        errors.append(("first_name", _("Le prénom est vide.")))
    elif len(first) > 150:
        errors.append(("first_name", _("Le prénom dépasse 150 caractères.")))
    return {"last_name": last, "first_name": first, "other_first_names": other[:300]}


def _email(raw: dict[str, str], errors: Errors) -> str:
    email = raw.get("email", "").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                ("email", _("« %(value)s » n'est pas une adresse électronique.") % {"value": email})
            )
    return email


def _check_student(raw: dict[str, str], errors: Errors, today: dt.date) -> dict[str, Any]:
    values: dict[str, Any] = _names(raw, errors)
    school_id = raw.get("school_id", "")
    if not school_id:
        errors.append(("school_id", _("Le numéro élève est vide.")))
    elif len(school_id) > 64:
        errors.append(("school_id", _("Le numéro élève dépasse 64 caractères.")))
    values["school_id"] = school_id
    ine = raw.get("ine", "").upper().replace(" ", "")
    if ine and not INE_RE.match(ine):
        errors.append(
            (
                "ine",
                _(
                    "« %(value)s » n'est pas un INE : 11 caractères, 10 chiffres ou lettres "
                    "puis une lettre (ex. 070803070AJ)."
                )
                % {"value": raw.get("ine", "")},
            )
        )
    values["ine"] = ine or None
    raw_date = raw.get("birth_date", "")
    birth_date = parse_date(raw_date)
    if not raw_date:
        errors.append(("birth_date", _("La date de naissance est vide.")))
    elif birth_date is None:
        errors.append(
            (
                "birth_date",
                _("« %(value)s » n'est pas une date : écrivez jj/mm/aaaa (ex. 07/03/2013).")
                % {"value": raw_date},
            )
        )
    elif not dt.date(1900, 1, 1) <= birth_date <= today:
        errors.append(
            (
                "birth_date",
                _("La date de naissance %(value)s n'est pas plausible.") % {"value": raw_date},
            )
        )
    values["birth_date"] = birth_date
    school_class = raw.get("class", "")
    if not school_class:
        errors.append(("class", _("La classe est vide.")))
    elif len(school_class) > 50:
        errors.append(("class", _("Le nom de la classe dépasse 50 caractères.")))
    values["class"] = school_class
    return values


def _check_guardian(raw: dict[str, str], errors: Errors, today: dt.date) -> dict[str, Any]:
    values: dict[str, Any] = _names(raw, errors)
    school_id = raw.get("school_id", "")
    if not school_id:
        errors.append(("school_id", _("Le numéro élève est vide.")))
    values["school_id"] = school_id
    values["guardian_id"] = raw.get("guardian_id", "")[:64]
    relationship = _RELATIONSHIPS.get(normalize_header(raw.get("relationship", "")))
    if relationship is None:
        errors.append(
            (
                "relationship",
                _(
                    "Lien de parenté « %(value)s » inconnu : écrivez mère, père, tuteur, "
                    "famille, aide sociale ou autre."
                )
                % {"value": raw.get("relationship", "")},
            )
        )
    values["relationship"] = relationship
    responsibility = _RESPONSIBILITIES.get(normalize_header(raw.get("legal_responsibility", "")))
    if responsibility is None:
        errors.append(
            (
                "legal_responsibility",
                _(
                    "Responsabilité légale « %(value)s » non comprise : écrivez 1 (responsable "
                    "légal 1), 2 (responsable légal 2) ou 0 (sans responsabilité légale)."
                )
                % {"value": raw.get("legal_responsibility", "")},
            )
        )
    values["legal_responsibility"] = responsibility
    values["email"] = _email(raw, errors)
    mobile = raw.get("mobile", "")
    values["mobile"] = ""
    if mobile:
        try:
            values["mobile"] = mobile_e164(mobile)
        except ValidationError as exc:
            problem = _MOBILE_PROBLEMS.get(str(exc.code), _MOBILE_PROBLEMS[phones.INVALID])
            errors.append(("mobile", str(problem) % {"value": mobile}))
    postal_code = raw.get("postal_code", "").upper()
    if postal_code and not _POSTAL_RE.match(postal_code):
        errors.append(
            ("postal_code", _("« %(value)s » n'est pas un code postal.") % {"value": postal_code})
        )
    values["postal_code"] = postal_code
    return values


def _check_staff(raw: dict[str, str], errors: Errors, today: dt.date) -> dict[str, Any]:
    values: dict[str, Any] = _names(raw, errors)
    values["staff_id"] = raw.get("staff_id", "")[:64]
    profile = _PROFILES.get(normalize_header(raw.get("profile", "")))
    if profile is None:
        errors.append(
            (
                "profile",
                _("Profil « %(value)s » inconnu : écrivez enseignant ou personnel.")
                % {"value": raw.get("profile", "")},
            )
        )
    values["profile"] = str(profile) if profile else None
    values["function"] = raw.get("function", "")[:150]
    values["email"] = _email(raw, errors)
    classes = raw.get("classes", "")
    parts = _CLASS_SPLIT.split(classes) if _CLASS_SPLIT.search(classes) else classes.split()
    codes = sorted({clean(p) for p in parts if clean(p)})
    if any(len(code) > 50 for code in codes):
        errors.append(("classes", _("Un nom de classe dépasse 50 caractères.")))
    values["classes"] = codes
    return values


# The French label of each column, by kind (problems name the column by it).
_LABELS = {kind: {c.key: c.label for c in COLUMNS[kind]} for kind in KINDS}

_CHECKERS: dict[str, Callable[[dict[str, str], Errors, dt.date], dict[str, Any]]] = {
    STUDENTS: _check_student,
    GUARDIANS: _check_guardian,
    STAFF: _check_staff,
}
