"""2,000 credential letters, codes issued, on PostgreSQL (target: ≤ 20 s).

    python -m bench letters

Uses its own database ``preau_bench_letters`` (dropped and created again at each run; the server
and role come from PREAU_BENCH_PG_URL, default postgres://preau:preau@127.0.0.1:5432). The
measurement runs in a child process so that its Django settings point at that database whatever
other benchmarks ran in this process. The school: 36 classes, 1,000 students and 1,000 guardians
(a quarter of them with two children), every account pending, so each letter issues a code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DB_NAME = "preau_bench_letters"
STUDENTS = 1000
GUARDIANS = 1000
CLASSES = 36

FIRST_NAMES = [
    "Léa", "Lucas", "Chloé", "Hugo", "Inès", "Nathan", "Zoé", "Gabriel", "Manon", "Adam",
    "Gaëlle", "Noé", "Łukasz", "Maëlys", "Yasmine", "Jean-Baptiste", "Anaïs", "Thị Ánh", "Éloïse",
    "François", "Océane", "Mohamed", "Camille", "Raphaël",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Nguyễn", "Le Goff", "D'Artagnan", "Müller", "Benali", "Lefèvre", "Fontaine",
    "Chevalier", "Rousseau", "Da Silva", "Kowalski", "Traoré", "Garnier", "Faure",
]  # fmt: skip


def _base_url() -> str:
    return os.environ.get("PREAU_BENCH_PG_URL", "postgres://preau:preau@127.0.0.1:5432").rstrip("/")


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{_base_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def main() -> None:
    _recreate_database()
    env = {
        **os.environ,
        "DATABASE_URL": f"{_base_url()}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "preau.settings",
        "PREAU_DATA_DIR": tempfile.mkdtemp(prefix="preau-bench-letters-"),
    }
    env.pop("PREAU_ENV_FILE", None)
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "bench.bench_letters", "--child"], env=env, cwd=root, check=True
    )


# --- The child: Django set up against the bench database -------------------------------------


def _seed() -> Any:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from preau.directory.models import (
        Account,
        Establishment,
        Guardianship,
        Membership,
        SchoolClass,
    )

    with transaction.atomic():
        school = Establishment.objects.create(
            uai="0750654D", name="Collège Jean Moulin", kind="college", city="Paris"
        )
        codes = [f"{6 - i // 9}{'ABCDEFGHI'[i % 9]}" for i in range(CLASSES)]
        classes = SchoolClass.objects.bulk_create(
            SchoolClass(establishment=school, school_year=2025, code=code) for code in codes
        )

        def person(prefix: str, i: int) -> Account:
            return Account(
                login=f"{prefix}{i:05d}",
                first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(i * 7) % len(LAST_NAMES)],
                password=make_password(None),  # unusable, as an import leaves it
                state=Account.State.PROVISIONED,
            )

        students = Account.objects.bulk_create(person("eleve.", i) for i in range(STUDENTS))
        guardians = Account.objects.bulk_create(person("parent.", i) for i in range(GUARDIANS))
        student_memberships = Membership.objects.bulk_create(
            Membership(account=a, establishment=school, profile="eleve", school_year=2025)
            for a in students
        )
        Membership.objects.bulk_create(
            Membership(account=a, establishment=school, profile="responsable", school_year=2025)
            for a in guardians
        )
        through = Membership.classes.through
        through.objects.bulk_create(
            through(membership_id=m.pk, schoolclass_id=classes[i % CLASSES].pk)
            for i, m in enumerate(student_memberships)
        )
        links = [(g, students[i % STUDENTS]) for i, g in enumerate(guardians)]
        links += [(g, students[(i + 1) % STUDENTS]) for i, g in enumerate(guardians) if i % 4 == 0]
        Guardianship.objects.bulk_create(
            Guardianship(guardian=g, student=s, establishment=school) for g, s in links
        )
    return school


def _child() -> None:
    import resource

    import django

    django.setup()
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    school = _seed()

    import io
    import random

    import pypdf

    from preau.provisioning import services

    render_seconds = 0.0
    real_render = services.letters_render

    def timed_render(**kwargs: Any) -> bytes:
        nonlocal render_seconds
        start = time.perf_counter()
        try:
            return real_render(**kwargs)
        finally:
            render_seconds += time.perf_counter() - start

    services.letters_render = timed_render  # type: ignore[assignment]

    runs = []
    for label in ("first print", "reprint"):
        render_seconds = 0.0
        start = time.perf_counter()
        result = services.letters_generate(actor=None, establishment=school)
        total = time.perf_counter() - start
        runs.append((label, total, render_seconds, result))

    reader = pypdf.PdfReader(io.BytesIO(result.pdf))
    pages = len(reader.pages)
    assert pages == result.letters == STUDENTS + GUARDIANS, (pages, result.letters)
    # The codes of the last print sign in (three letters picked at random).
    for index in random.sample(range(pages), 3):
        text = reader.pages[index].extract_text()
        lines = [line.strip().replace("\u2019", "'") for line in text.splitlines()]
        login = lines[lines.index("Identifiant") + 1]
        code = lines[lines.index("Code d'activation") + 1]
        assert authenticate(None, username=login, password=code) is not None, login

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"letters per run: {result.letters} ({STUDENTS} students, {GUARDIANS} guardians)")
    for label, total, rendering, res in runs:
        print(
            f"{label:12s} {total:6.2f} s  ({res.letters / total:6.0f} letters/s; "
            f"codes issued {res.codes_issued}; PDF drawing {rendering:.2f} s, "
            f"selection + codes + audit {total - rendering:.2f} s; "
            f"PDF {len(res.pdf) / 1024 / 1024:.1f} MiB)"
        )
    print(f"peak RSS {peak_mib:.0f} MiB; 3 random codes from the PDF signed in")
    worst = max(total for _label, total, _r, _res in runs)
    print(f"target ≤ 20 s for 2,000 letters: {'met' if worst <= 20 else 'MISSED'}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        _child()
    else:
        main()
