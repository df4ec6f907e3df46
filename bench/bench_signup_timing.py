"""Does the sign-up page's answer time tell whether a guardian is known?

    python -m bench signup_timing

The method of ``bench_recovery_timing`` (whose server, client and statistics it uses): Préau
(``preau serve``, gunicorn, 2 workers × 2 threads) and a ``preau worker`` on their own
PostgreSQL database (``preau_bench_signup``, dropped and created here) and Redis database, with
PROVISIONED guardians (a ``responsable`` membership, a mobile). Over one keep-alive connection
it posts the "Je n'ai pas de compte" form (``/inscription/``) with the names and number of a
known guardian and with unknown ones, shuffled, each number and each name once (so the
per-number and per-name throttles never answer), each request from its own client address
(``X-Forwarded-For`` through a trusted proxy). It reports both distributions, the shift between
them (Hodges–Lehmann with a bootstrap 95 % interval), Mann–Whitney U and Kolmogorov–Smirnov.

A second run uses the task backend that runs tasks in the request (``ImmediateBackend``): the
page then looks the guardian up, writes the code and queues the SMS while it answers — the
control that shows the benchmark can see a difference when there is one.

The figures go into this benchmark's own section of bench/RESULTS.md. Bounded: about ``4 * N``
requests (``BENCH_SIGNUP_N``, default 300 per kind and mode).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

import psycopg

from bench import bench_recovery_timing as rt

DB_NAME = "preau_bench_signup"
DATABASE_URL = f"postgres://preau:preau@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/6"
N = int(os.environ.get("BENCH_SIGNUP_N", "300"))
WARMUP = 40
GUARDIANS = 2 * (N + WARMUP) + 10
RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench_signup_timing:begin -->", "<!-- bench_signup_timing:end -->"
PATH = "/inscription/"


def _env(data_dir: str, tasks_backend: str | None) -> dict[str, str]:
    env = rt._env(data_dir, tasks_backend)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "PREAU_CACHE_PREFIX": "preau_bench_signup",
        }
    )
    return env


def known_mobile(i: int) -> str:
    return f"06 12 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}"


def unknown_mobile(run: str, i: int) -> str:
    block = "13" if run == "a" else "14"
    return f"06 {block} {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}"


def prepare_database(env: dict[str, str]) -> None:
    with psycopg.connect(rt.PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    rt._preau(env, "migrate", "--verbosity", "0")
    code = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from preau.directory.models import Account, Establishment, Membership\n"
        "from preau.notify.phones import mobile_e164\n"
        "def mob(i): return mobile_e164("
        "f'06 12 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}')\n"
        "school = Establishment.objects.create(uai='0750654D', name='Collège Bench')\n"
        "later = timezone.now() + timedelta(days=92)\n"
        "accounts = Account.objects.bulk_create([Account(login=f'parent.bench{i}',"
        " first_name='Parent', last_name=f'Bench{i}', state='provisioned',"
        " activation_expires_at=later, password='!', mobile=mob(i))"
        f" for i in range({GUARDIANS})])\n"
        "Membership.objects.bulk_create([Membership(account=a, establishment=school,"
        " profile='responsable', school_year=2026) for a in accounts])\n"
    )
    rt._preau(env, "shell", "--command", code)


def measure(port: int, run: str, offset: int) -> dict[str, list[float]]:
    client = rt.Client(port)
    token = client.token(PATH)
    order = [("existing", i) for i in range(N + WARMUP)] + [
        ("unknown", i) for i in range(N + WARMUP)
    ]
    random.Random(f"signup{run}").shuffle(order)
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    counts = {"existing": 0, "unknown": 0}
    errors = 0
    for kind, i in order:
        if kind == "existing":
            form = {"last_name": f"Bench{offset + i}", "mobile": known_mobile(offset + i)}
        else:
            form = {"last_name": f"Inconnu{run}{i}", "mobile": unknown_mobile(run, i)}
        form |= {"csrfmiddlewaretoken": token, "first_name": "Parent"}
        status, elapsed = client.post(PATH, form)
        if status != 302:
            errors += 1
            continue
        counts[kind] += 1
        if counts[kind] > WARMUP:
            times[kind].append(elapsed)
    if errors:
        raise RuntimeError(f"sign-up: {errors} answers were not 302")
    return times


def run_mode(data_dir: str, label: str, backend: str | None, run: str, offset: int) -> rt.Row:
    env = _env(data_dir, backend)
    with rt.serving(env, worker=backend is None) as port:
        times = measure(port, run, offset)
    print(f"  {label}: done", flush=True)
    return rt.Row(label, "sign-up by SMS (names + mobile)", times["existing"], times["unknown"])


def main() -> None:
    started = time.strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="preau-bench-signup-") as data_dir:
        prepare_database(_env(data_dir, None))
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        rows = [run_mode(data_dir, "Préau (database task backend)", None, "a", 0)]
        # Other guardians for the control: each number receives one SMS per mode.
        rows.append(
            run_mode(data_dir, "control: tasks run in the request", rt.IMMEDIATE, "b", N + WARMUP)
        )
    load_after = os.getloadavg()[0]
    header = [
        "mode",
        "page",
        "known guardian: median ms (p10–p90, p99)",
        "unknown: median ms (p10–p90, p99)",
        "shift known − unknown, ms [95 % CI]",
        "Mann–Whitney p",
        "Kolmogorov–Smirnov",
    ]
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    print("\n".join(table))
    _update_results(_section(table, started, load_before, load_after))


def _section(table: list[str], started: str, load_before: float, load_after: float) -> str:
    return "\n".join(
        [
            BEGIN,
            "## Sign-up by SMS: response times for known and unknown guardians "
            "(`python -m bench signup_timing`, bench/bench_signup_timing.py)",
            "",
            f"Run of {started}: `preau serve` (gunicorn, 2 workers × 2 threads) and a "
            f"`preau worker` on PostgreSQL + Redis, {N} requests of each kind after {WARMUP} of "
            "warm-up, shuffled, one keep-alive connection, each number and name once, each "
            "request from its own address (X-Forwarded-For through a trusted proxy), so no "
            f"throttle answers. Load average {load_before:.2f} before, {load_after:.2f} after "
            "(the 2 cores are shared with other work).",
            "",
            *table,
            "",
            "The page counts the request in its throttles, stores it and hands it to a task; "
            "the guardian is looked up and the code or the identifier sent by the worker "
            "(tests/activation/test_signup.py checks that known and unknown guardians run the "
            "same SQL on the page). The control runs the same code with the tasks in the "
            "request: the lookup, the code and the outbox then show in the response time. A "
            "p-value far above 0.05 with a shift interval across zero means the measurement "
            "cannot tell a known guardian from an unknown one.",
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


if __name__ == "__main__":
    main()
