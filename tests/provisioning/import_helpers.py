"""Small builders for import tests: CSV bytes and a zero-write check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from preau.directory.models import Establishment
from preau.provisioning.imports import ImportReport, import_run

STUDENTS_HEADER = ["Numéro élève", "INE", "Nom", "Prénom", "Date de naissance", "Classe"]
GUARDIANS_HEADER = [
    "Numéro élève",
    "Nom",
    "Prénom",
    "Lien de parenté",
    "Responsabilité légale",
    "Courriel",
    "Téléphone mobile",
    "Code postal",
]
STAFF_HEADER = ["Nom", "Prénom", "Profil", "Fonction", "Courriel", "Classes enseignées"]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [";".join(header), *(";".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def run(
    establishment: Establishment, kind: str, header: list[str], rows: list[list[str]], **kw: Any
) -> ImportReport:
    kw.setdefault("school_year", 2026)
    return import_run(
        actor=None,
        establishment=establishment,
        kind=kind,
        data=csv_bytes(header, rows),
        filename=f"{kind}.csv",
        **kw,
    )


WRITE_RE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def no_writes() -> Iterator[None]:
    """Fail when any INSERT, UPDATE or DELETE reaches the database inside the block."""
    with CaptureQueriesContext(connection) as queries:
        yield
    writes = [q["sql"] for q in queries.captured_queries if WRITE_RE.match(q["sql"])]
    assert writes == [], writes
