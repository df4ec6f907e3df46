"""Préau's sign-in page under 16 concurrent clients, for each candidate WSGI server.

    python -m bench server

Starts Préau with ``preau serve`` against its own PostgreSQL database (``preau_bench_server``,
dropped and created here; never ``preau``) and its own Redis database, then drives it with
``wrk`` (Debian's package) on loopback: 16 connections, one wrk thread, a fixed duration per
endpoint, after a short warm-up. Endpoints:

- ``/healthz``: a bare Django view behind the whole middleware stack (the baseline);
- ``GET /connexion``: the sign-in page (template, CSRF cookie);
- ``POST /connexion``: a full sign-in with a real Argon2id password (current defaults), a new
  session in PostgreSQL + Redis, ``last_login``, an audit row. All sign-ins succeed (64
  accounts in turn), so the throttles, which only count failures, never interfere.

The POST rate is compared with the bare Argon2 verify rate of two processes measured in the same
run (issue 4 wants a ratio of at least 0.8): just before and just after each sign-in measurement
(the server idle), since on a shared host the machine's speed drifts by several per cent within
minutes; the table gives the median of the measurements' ratios. On this machine wrk, PostgreSQL
and Redis share the two cores with the server, so the CPU time of the server's own processes per
request is also reported (from /proc): one verify's CPU time divided by a sign-in's is the share
of Argon2 in what an application node spends, the ratio it would reach with PostgreSQL and Redis
on other machines. The machine is shared with other work: each configuration is measured in
``ROUNDS`` rounds and the medians are printed, as a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.bench_argon2 import PROCESSES, Candidate, verify_parallel
from preau.conf import DEFAULTS

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://preau:preau@127.0.0.1:5432/postgres"
DB_NAME = "preau_bench_server"
DATABASE_URL = f"postgres://preau:preau@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/6"
CONNECTIONS = 16
DURATION = int(os.environ.get("BENCH_SERVER_SECONDS", "8"))
WARMUP = 2
# The machine is shared: every configuration is measured in each round, medians are reported.
ROUNDS = int(os.environ.get("BENCH_SERVER_ROUNDS", "3"))
ACCOUNTS = 64
# A substring of the configurations' labels to measure only those (all of them by default).
ONLY = os.environ.get("BENCH_SERVER_ONLY", "")
PASSWORD = "Tournesol-Cassiopee-42"  # noqa: S105 - the bench accounts
CSRF = "benchbenchbenchbenchbenchbench12"  # a 32-character CSRF secret, cookie and form alike


# Accounts whose hash costs almost nothing (64 KiB, t=1), signed in by a server configured with
# that cost: what a sign-in costs besides Argon2 (Django, PostgreSQL, Redis, the load generator).
CHEAP_ARGON2 = {"PREAU_ARGON2_MEMORY_KIB": "64", "PREAU_ARGON2_TIME_COST": "1"}


@dataclass(frozen=True)
class Config:
    label: str
    server: str
    workers: int
    threads: int
    cheap_argon2: bool = False
    ceiling: bool = False  # bench/ceiling: the same sign-in form, nothing stored


CONFIGS = [
    Config("gunicorn, 2 sync workers", "gunicorn", 2, 1),
    Config("gunicorn, 2 gthread workers × 4 threads", "gunicorn", 2, 4),
    Config("granian, 2 workers × 1 thread (WSGI)", "granian", 2, 1),
    Config("granian, 2 workers × 2 threads (WSGI)", "granian", 2, 2),
    Config("granian, 2 workers × 4 threads (WSGI)", "granian", 2, 4),
    Config("gunicorn, 2 sync workers, Argon2 at 64 KiB (overhead alone)", "gunicorn", 2, 1, True),
    Config(
        "granian, 2 workers × 1 thread, Argon2 at 64 KiB (overhead alone)", "granian", 2, 1, True
    ),
    Config(
        "granian, 2 workers × 1 thread, ceiling: Argon2 in a request that stores nothing",
        "granian",
        2,
        1,
        ceiling=True,
    ),
]


@dataclass
class Result:
    requests_per_second: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx responses and socket errors


LUA = """
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local csrf = os.getenv("BENCH_CSRF") or ""
local password = os.getenv("BENCH_PASSWORD") or ""
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS") or "1")
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local counter = 0

request = function()
  if method == "GET" then
    return wrk.format("GET", path)
  end
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. csrf .. "&next=%2F&username=" .. prefix ..
    (counter % accounts) .. "&password=" .. password
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "preau_csrftoken=" .. csrf,
  }, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "p99_us": %d, "bad": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "PREAU_CACHE_PREFIX": "preau_bench",
            "PREAU_SECURE_COOKIES": "0",
            "PREAU_DATA_DIR": data_dir,
            "SECRET_KEY": "bench-" + "k" * 50,
            "DEBUG": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def _preau(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "preau", *args], env=env, check=True)


def prepare_database(env: dict[str, str]) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    _preau(env, "migrate", "--verbosity", "0")
    for prefix, extra in (("bench", {}), ("cheap", CHEAP_ARGON2)):
        code = (
            "from django.contrib.auth.hashers import make_password\n"
            "from preau.directory.models import Account\n"
            f"h = make_password({PASSWORD!r})\n"
            f"Account.objects.bulk_create([Account(login=f'{prefix}{{i}}', first_name='Bench', "
            f"last_name=str(i), state='active', password=h) for i in range({ACCOUNTS})])\n"
        )
        _preau({**env, **extra}, "shell", "--command", code)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(config: Config, env: dict[str, str]) -> Iterator[tuple[int, int]]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "preau",
        "serve",
        "--server",
        config.server,
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    log = tempfile.TemporaryFile()
    if config.cheap_argon2:
        env = {**env, **CHEAP_ARGON2}
    if config.ceiling:
        env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.ceiling.settings",
            "BENCH_CEILING_HASH": _bench_hash(),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _status(port, "GET", "/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{config.label} did not start:\n{log.read().decode()}")
            time.sleep(0.2)
        yield port, process.pid  # its own session: the group id is its pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group this function started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _bench_hash() -> str:
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT password FROM directory_account WHERE login = 'bench0'"
        ).fetchone()
    if not row:
        raise RuntimeError("the bench accounts are missing")
    return str(row[0])


def _status(port: int, method: str, path: str, body: str = "", cookie: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location")
    conn.close()
    if method == "POST" and response.status == 302 and location != "/":
        raise RuntimeError(f"unexpected redirect to {location}")
    return response.status


def check_sign_in(port: int, prefix: str) -> None:
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": CSRF, "username": f"{prefix}0", "password": PASSWORD, "next": "/"}
    )
    status = _status(port, "POST", "/connexion", body, cookie=f"preau_csrftoken={CSRF}")
    if status != 302:
        raise RuntimeError(f"the bench sign-in answered {status}, not 302")


def wrk(
    port: int, method: str, path: str, seconds: int, script: Path, *, prefix: str = "bench"
) -> Result:
    env = dict(os.environ)
    env.update(
        {
            "BENCH_METHOD": method,
            "BENCH_PATH": path,
            "BENCH_CSRF": CSRF,
            "BENCH_PASSWORD": PASSWORD,
            "BENCH_ACCOUNTS": str(ACCOUNTS),
            "BENCH_PREFIX": prefix,
        }
    )
    completed = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return Result(
        requests_per_second=data["requests"] / data["seconds"],
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        bad=data["bad"],
    )


def _successes() -> int:
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM audit_auditevent WHERE action = 'signin.success'"
        ).fetchone()
    return int(row[0]) if row else 0


ENDPOINTS = [
    ("bare view (/healthz)", "GET", "/healthz"),
    ("GET /connexion", "GET", "/connexion"),
    ("POST /connexion (sign-in)", "POST", "/connexion"),
]


def _idle_seconds() -> float:
    """Idle + I/O-wait time of all the machine's cores since boot, from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the live processes of group ``pgid`` (the server's master and
    workers; they live for the whole run), read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # fields 14 and 15: utime, stime
    return total / ticks


def _cpu_by_command(names: tuple[str, ...]) -> dict[str, float]:
    """User + system CPU seconds of the live processes whose command is one of ``names``."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(names, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        for wanted in names:
            if name.startswith(wanted):
                fields = text.rsplit(")", 1)[1].split()
                totals[wanted] += (int(fields[11]) + int(fields[12])) / ticks
    return totals


STORES = ("postgres", "redis-server")


@dataclass
class Row:
    config: Config
    label: str
    method: str
    results: list[Result]
    server_cpu_ms: list[float]  # the server's CPU per request
    idle: list[float]  # the share of the cores' time left idle during the run
    store_cpu_ms: list[float]  # PostgreSQL's and Redis' CPU per request
    bare: list[float]  # sign-ins: the bare Argon2 rate around each measurement


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _measure(
    config: Config, env: dict[str, str], script: Path, rows: dict[str, Row], argon2: Candidate
) -> None:
    prefix = "cheap" if config.cheap_argon2 else "bench"
    endpoints = ENDPOINTS[-1:] if config.cheap_argon2 or config.ceiling else ENDPOINTS
    with serving(config, env) as (port, pgid):
        check_sign_in(port, prefix)
        for label, method, path in endpoints:
            wrk(port, method, path, WARMUP, script, prefix=prefix)
            # The bare Argon2 rate just before and just after the sign-ins (the server idle):
            # the machine's speed drifts by several per cent within minutes on a shared host.
            bracketed = method == "POST" and not config.cheap_argon2
            bare_before = verify_parallel(argon2)[0] if bracketed else 0.0
            before, cpu_before = _successes(), _group_cpu_seconds(pgid)
            idle_before, started = _idle_seconds(), time.monotonic()
            stores_before = _cpu_by_command(STORES)
            result = wrk(port, method, path, DURATION, script, prefix=prefix)
            stores_after = _cpu_by_command(STORES)
            store = sum(stores_after[k] - stores_before[k] for k in STORES)
            cpu = _group_cpu_seconds(pgid) - cpu_before
            idle = (_idle_seconds() - idle_before) / ((time.monotonic() - started) * _cores())
            if method == "POST":
                time.sleep(0.5)  # let in-flight sign-ins finish writing
                if not config.ceiling and _successes() - before < result.requests:
                    raise RuntimeError("fewer audited sign-ins than answered requests")
            row = rows.setdefault(
                f"{config.label}|{label}", Row(config, label, method, [], [], [], [], [])
            )
            if bracketed:
                row.bare.append((bare_before + verify_parallel(argon2)[0]) / 2)
            row.results.append(result)
            row.idle.append(idle)
            row.store_cpu_ms.append(1000 * store / max(result.requests, 1))
            row.server_cpu_ms.append(1000 * cpu / max(result.requests, 1))


def main() -> None:
    if not _which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    argon2 = Candidate(
        "defaults",
        int(os.environ.get("PREAU_ARGON2_MEMORY_KIB", DEFAULTS["ARGON2_MEMORY_KIB"])),
        int(os.environ.get("PREAU_ARGON2_TIME_COST", DEFAULTS["ARGON2_TIME_COST"])),
        int(os.environ.get("PREAU_ARGON2_PARALLELISM", DEFAULTS["ARGON2_PARALLELISM"])),
    )
    with tempfile.TemporaryDirectory(prefix="preau-bench-server-") as data_dir:
        env = _env(data_dir)
        prepare_database(env)
        script = Path(data_dir) / "bench.lua"
        script.write_text(LUA)
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
        print(
            f"Argon2id m={argon2.memory_kib} KiB t={argon2.time_cost} p={argon2.parallelism}; "
            f"{CONNECTIONS} connections, {DURATION} s per endpoint after {WARMUP} s of warm-up; "
            f"{ROUNDS} rounds, medians shown"
        )
        rates: list[float] = []
        cpu_costs: list[float] = []
        rows: dict[str, Row] = {}
        for round_number in range(1, ROUNDS + 1):
            rate, cpu_ms = verify_parallel(argon2)
            rates.append(rate)
            cpu_costs.append(cpu_ms)
            for config in CONFIGS:
                if ONLY not in config.label:
                    continue
                _measure(config, env, script, rows, argon2)
            print(
                f"round {round_number}: Argon2 {rates[-1]:.1f} verifies/s, "
                f"{cpu_costs[-1]:.1f} ms of CPU each, load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
        verify_rate = _median(rates)
        argon2_ms = _median(cpu_costs)
        print(
            f"\nbare Argon2 verify, {PROCESSES} processes: {verify_rate:.1f}/s (rounds: "
            f"{', '.join(f'{r:.0f}' for r in rates)}); one verify: {argon2_ms:.1f} ms of CPU "
            "(both cores verifying)\n"
        )
        print(
            "| server | endpoint | requests/s | p99 | errors | server CPU per request | "
            "PostgreSQL + Redis CPU per request | idle cores | bare Argon2 around it | "
            "sign-ins / Argon2 rate | Argon2 share of the server's CPU |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        per_round: list[str] = []
        for row in rows.values():
            rps = _median([r.requests_per_second for r in row.results])
            p99 = _median([r.p99_ms for r in row.results])
            cpu_ms = _median(row.server_cpu_ms)
            bad = sum(r.bad for r in row.results)
            ratio = share = bare = ""
            if row.bare:
                # Each measurement against the bare rate taken around it; the median of those.
                ratios = [
                    r.requests_per_second / b for r, b in zip(row.results, row.bare, strict=True)
                ]
                ratio = f"{_median(ratios):.2f}"
                bare = f"{_median(row.bare):.1f}/s"
                share = f"{argon2_ms / cpu_ms:.2f}"
                per_round.append(
                    f"{row.config.label}: "
                    + ", ".join(
                        f"{r.requests_per_second:.1f}/{b:.1f} = {r.requests_per_second / b:.2f}"
                        for r, b in zip(row.results, row.bare, strict=True)
                    )
                    + " (against the round's first sample: "
                    + ", ".join(
                        f"{r.requests_per_second / rate:.2f}"
                        for r, rate in zip(row.results, rates, strict=False)
                    )
                    + ")"
                )
            print(
                f"| {row.config.label} | {row.label} | {rps:,.0f} | {p99:.1f} ms | {bad} | "
                f"{cpu_ms:.2f} ms | {_median(row.store_cpu_ms):.2f} ms | {_median(row.idle):.0%} "
                f"| {bare} | {ratio} | {share} |"
            )
        print("\nsign-ins/s / bare Argon2 rate around them, round by round:")
        for line in per_round:
            print(f"- {line}")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _cores() -> int:
    return os.cpu_count() or 1


def _which(name: str) -> bool:
    return any(
        (Path(d) / name).is_file() for d in os.environ.get("PATH", "").split(os.pathsep) if d
    )


if __name__ == "__main__":
    main()
