"""Import benchmark: 100,000 students and 170,000 guardians in 40 establishments, on PostgreSQL.

    python -m bench import           # or: make bench

Runs in a child process against its own database (``preau_bench``, dropped and created again;
``PREAU_BENCH_DATABASE_URL`` overrides it), never the ``preau`` database. It measures:

* the first import of every establishment's students then guardians file through
  :func:`import_run` (wall time, accounts/s, peak memory of the process from getrusage);
* a second import of the same files: wall time and the rows written, read from
  ``pg_stat_user_tables`` (inserts, updates, deletes) before and after — it must be zero;
* PostgreSQL's COPY of the same rows in the same run (the accounts alone, then every row the
  import wrote, into copies of the tables with their indexes), as the floor to compare with.

The figures go into this benchmark's own section of bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

STUDENTS = int(os.environ.get("PREAU_BENCH_STUDENTS", "100000"))
ESTABLISHMENTS = int(os.environ.get("PREAU_BENCH_ESTABLISHMENTS", "40"))
DEFAULT_URL = "postgres://preau:preau@127.0.0.1:5432/preau_bench"
RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench_import:begin -->", "<!-- bench_import:end -->"
LIMITS = {"import_s": 60.0, "reimport_s": 30.0, "peak_mib": 1024.0}


def _create_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if name in ("", "preau", "postgres"):
        raise SystemExit(f"refusing to use database {name!r} for a benchmark")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_counts() -> dict[str, int]:
    """Rows inserted, updated and deleted so far in the bench database (all user tables)."""
    from django.db import connection

    connection.close()  # a backend flushes its statistics when it ends
    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), "
            "coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables"
        )
        ins, upd, dele = cursor.fetchone()
    return {"inserted": int(ins), "updated": int(upd), "deleted": int(dele)}


def _copy_rate(tables: list[str]) -> tuple[int, float]:
    """COPY every row of ``tables`` out, then into a copy of each table (with its indexes)."""
    from django.db import connection

    rows = 0
    elapsed = 0.0
    with connection.cursor() as cursor:
        raw = cursor.connection
        for table in tables:
            buffer = bytearray()
            with raw.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buffer += chunk
            cursor.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            cursor.execute(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
            start = time.perf_counter()
            with raw.cursor().copy(f"COPY bench_copy_{table} FROM STDIN") as copy:
                copy.write(bytes(buffer))
            elapsed += time.perf_counter() - start
            cursor.execute(f"SELECT count(*) FROM bench_copy_{table}")
            rows += cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE bench_copy_{table}")
    return rows, elapsed


def child() -> None:
    """The measured process: Django set up on the bench database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from bench.population import generate, guardians_csv, students_csv
    from preau.directory.models import Account, Establishment, Membership
    from preau.provisioning.imports import import_run

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    schools = generate(students=STUDENTS, establishments=ESTABLISHMENTS)
    files = [(school, students_csv(school), guardians_csv(school)) for school in schools]
    generated_s = time.perf_counter() - start
    n_students = sum(len(s.students) for s in schools)
    n_links = sum(len(s.links) for s in schools)
    n_guardians = len({id(g) for s in schools for _student, g in s.links})
    establishments = [
        Establishment.objects.create(uai=s.uai, name=s.name, kind=s.kind, postal_code=s.postal_code)
        for s in schools
    ]
    rss_before = _rss_mib()

    def import_all() -> tuple[float, dict[str, int], list[str]]:
        totals = {"created": 0, "updated": 0, "unchanged": 0, "ended": 0, "rejected": 0}
        problems: list[str] = []
        t0 = time.perf_counter()
        for kind, index in (("students", 1), ("guardians", 2)):
            for establishment, entry in zip(establishments, files, strict=True):
                report = import_run(
                    actor=None,
                    establishment=establishment,
                    kind=kind,
                    data=entry[index],  # type: ignore[arg-type]
                    filename=f"{establishment.uai}-{kind}.csv",
                    school_year=2026,
                )
                for key in totals:
                    totals[key] += getattr(report, key)
                problems += [str(p) for p in report.problems[:3]]
        return time.perf_counter() - t0, totals, problems

    counts_0 = _write_counts()
    import_s, first, problems_1 = import_all()
    peak_import = _rss_mib()
    counts_1 = _write_counts()
    reimport_s, second, problems_2 = import_all()
    counts_2 = _write_counts()
    accounts = Account.objects.count()
    guardian_accounts = (
        Account.objects.filter(memberships__profile="responsable").distinct().count()
    )
    multi = (
        Membership.objects.filter(profile="responsable")
        .values("account_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    tables = [
        "directory_account",
        "directory_membership",
        "directory_membership_classes",
        "directory_guardianship",
        "directory_schoolclass",
        "audit_auditevent",
    ]
    copy_accounts_rows, copy_accounts_s = _copy_rate(["directory_account"])
    copy_all_rows, copy_all_s = _copy_rate(tables)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    result: dict[str, Any] = {
        "students": n_students,
        "guardians_generated": n_guardians,
        "guardian_lines": n_links,
        "establishments": len(schools),
        "generated_s": generated_s,
        "import_s": import_s,
        "reimport_s": reimport_s,
        "first": first,
        "second": second,
        "problems": problems_1[:5] + problems_2[:5],
        "accounts": accounts,
        "guardian_accounts": guardian_accounts,
        "guardians_in_several_establishments": multi,
        "rows_written_first": {k: counts_1[k] - counts_0[k] for k in counts_1},
        "rows_written_second": {k: counts_2[k] - counts_1[k] for k in counts_2},
        "rss_before_mib": rss_before,
        "peak_mib": peak_import,
        "peak_end_mib": _rss_mib(),
        "copy_accounts_rows": copy_accounts_rows,
        "copy_accounts_s": copy_accounts_s,
        "copy_all_rows": copy_all_rows,
        "copy_all_s": copy_all_s,
        "postgres": pg_version,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print("RESULT " + json.dumps(result), flush=True)


def _report(r: dict[str, Any]) -> str:
    accounts_created = r["first"]["created"]
    written_second = sum(r["rows_written_second"].values())
    ok = (
        r["import_s"] <= LIMITS["import_s"]
        and r["reimport_s"] <= LIMITS["reimport_s"]
        and r["peak_mib"] <= LIMITS["peak_mib"]
        and written_second == 0
    )
    first = r["rows_written_first"]
    return "\n".join(
        [
            BEGIN,
            "## Import (`python -m bench import`, bench/bench_import.py)",
            "",
            f"{r['students']:,} students and {r['guardians_generated']:,} guardians "
            f"({r['guardian_lines']:,} guardian lines) generated by bench/population.py in "
            f"{r['establishments']} establishments (realistic French names, homonyms, twins, "
            "siblings sharing guardians across a collège and a lycée), imported through "
            "`import_run` one file at a time (students files, then guardians files), on "
            f"{r['postgres']}, Python {r['python']}, {r['cpus']} cores. "
            f"Verdict against the floor (≤ {LIMITS['import_s']:.0f} s, "
            f"≤ {LIMITS['reimport_s']:.0f} s with zero rows written, "
            f"≤ {LIMITS['peak_mib']:.0f} MiB): **{'met' if ok else 'NOT met'}**.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| first import, 80 files | **{r['import_s']:.1f} s** — {accounts_created:,} accounts "
            f"created, **{accounts_created / r['import_s']:,.0f} accounts/s** |",
            f"| rows written by it (pg_stat_user_tables) | {first['inserted']:,} inserted, "
            f"{first['updated']:,} updated, {first['deleted']:,} deleted (accounts, memberships, "
            "class links, guardianships, classes, audit events) |",
            f"| re-import of the unchanged files | **{r['reimport_s']:.1f} s**, "
            f"{r['second']['unchanged']:,} people unchanged |",
            f"| rows written by the re-import | **{r['rows_written_second']['inserted']} inserted, "
            f"{r['rows_written_second']['updated']} updated, "
            f"{r['rows_written_second']['deleted']} deleted** |",
            f"| peak memory (maxrss) | {r['peak_mib']:.0f} MiB after the first import, "
            f"{r['peak_end_mib']:.0f} MiB at the end (the generated population and its CSV files "
            f"alone: {r['rss_before_mib']:.0f} MiB) |",
            f"| PostgreSQL COPY of the same account rows | {r['copy_accounts_rows']:,} rows in "
            f"{r['copy_accounts_s']:.2f} s = "
            f"**{r['copy_accounts_rows'] / r['copy_accounts_s']:,.0f} rows/s** |",
            f"| PostgreSQL COPY of every row the import wrote | {r['copy_all_rows']:,} rows "
            f"(audit included) in {r['copy_all_s']:.2f} s = "
            f"{r['copy_all_rows'] / r['copy_all_s']:,.0f} rows/s |",
            f"| accounts in the database | {r['accounts']:,} "
            f"({r['guardian_accounts']:,} guardians, "
            f"{r['guardians_in_several_establishments']:,} of them in two establishments) |",
            "",
            "The import writes new rows with COPY too (ids reserved from the sequences), so "
            "the gap to the floor is the Python work (decoding, checking, matching people, "
            "allocating logins, building rows) plus the foreign-key checks at commit, which the "
            "floor's copies (`CREATE TABLE … (LIKE … INCLUDING ALL)`: same indexes, no foreign "
            "keys) do not pay. Guardians are matched across establishments by names + e-mail "
            "or mobile, so the few generated without either get a second account in their "
            "second establishment (documented in docs/import-formats.md).",
            END,
        ]
    )


def _update_results(section: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _old, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main() -> None:
    url = os.environ.get("PREAU_BENCH_DATABASE_URL", DEFAULT_URL)
    _create_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PREAU_DATA_DIR": tempfile.mkdtemp(prefix="preau-bench-"),
        "DJANGO_SETTINGS_MODULE": "preau.settings",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--child"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"bench_import failed (exit {proc.returncode})")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    print(json.dumps(result, indent=2))
    section = _report(result)
    print(section)
    if STUDENTS == 100000 and ESTABLISHMENTS == 40:
        _update_results(section)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
