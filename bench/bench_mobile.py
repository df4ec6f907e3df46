"""The mobile API (``/api/mobile/v1/``) on PostgreSQL + Redis, against a floor of the same run.

    python -m bench mobile

Starts Préau with ``preau serve`` (granian, 2 workers × 1 thread: its default with Redis)
against its own PostgreSQL database (``preau_bench_mobile``, dropped and created here; never
``preau``) and Redis database 7, then drives it with ``wrk`` (Debian's package) on loopback:
16 wrk threads with one connection each, a fixed duration per endpoint after a short warm-up:

- ``GET /healthz``: a bare Django view behind the whole middleware stack (the floor, as in
  bench/bench_server.py);
- ``GET /api/mobile/v1/me`` and ``GET /api/mobile/v1/services`` with a bearer access token:
  each connection walks over the 64 access tokens of 64 devices (32 pupils with a class, 32
  guardians with one or two confirmed children, in a collège and a lycée), so every request
  looks its device up, spends its request budget in Redis and reads the person's rows;
- ``POST /api/mobile/v1/token``: a refresh. Each one rotates the refresh token, so wrk's Lua
  ``response()`` reads the new one from the JSON answer and sends it next on that connection
  (one connection per wrk thread: one Lua state per connection). A refresh token sent twice
  revokes its device, and wrk stops with requests in flight whose answers it never reads, so
  every wrk run starts from devices never refreshed before.

Accounts, devices and tokens are made in the bench's database by Préau's own services
(``grant_create`` then ``device_pair``, as the typed-code flow does), so the tokens are real
and stored as Préau's keyed digests. The server reads a settings module written by this
benchmark: Préau's settings with ``PREAU["MOBILE"]["DEVICE_REQUESTS"]`` raised (120 a minute
per device would answer 429 after the first second) and ``ACCESS_SECONDS`` at an hour (the
tokens made at set-up outlive the run); nothing else changes.

The machine is shared: each endpoint is measured in ``ROUNDS`` rounds (a fresh server each
round), the medians are reported with the ratio of each endpoint's rate to the floor's of the
same round, and the CPU time the server's processes (and the bench database's PostgreSQL
backends + Redis) spent per request, read from /proc. The section is written to
bench/RESULTS.md between the ``bench_mobile`` markers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_ADMIN = "postgresql://preau:preau@127.0.0.1:5432/postgres"
DB_NAME = "preau_bench_mobile"
DATABASE_URL = f"postgres://preau:preau@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/7"
CONNECTIONS = 16  # wrk threads, one connection each (one Lua state per connection)
DURATION = int(os.environ.get("BENCH_MOBILE_SECONDS", "8"))
WARMUP = int(os.environ.get("BENCH_MOBILE_WARMUP", "2"))
ROUNDS = int(os.environ.get("BENCH_MOBILE_ROUNDS", "5"))
ACCOUNTS = 64
WORKERS, THREADS = 2, 1
API = "/api/mobile/v1"
# Fresh refresh tokens for each wrk run (warm-up and measure), plus one for each round's check.
REFRESH_DEVICES = ROUNDS * (2 * CONNECTIONS + 1)
MOBILE_OVERRIDES = {"DEVICE_REQUESTS": 1_000_000_000, "ACCESS_SECONDS": 3600}
SETTINGS_MODULE = "bench_mobile_settings"
SETTINGS = f"""\
# Written by bench/bench_mobile.py: Préau's settings, the device budget out of the way.
from preau.settings import *  # noqa: F403

PREAU = {{**PREAU, "MOBILE": {{**PREAU.get("MOBILE", {{}}), **{MOBILE_OVERRIDES!r}}}}}  # noqa: F405
"""


@dataclass(frozen=True)
class Endpoint:
    label: str
    mode: str  # "plain" (no token), "bearer" (the 64 access tokens), "refresh" (chained)
    path: str


ENDPOINTS = [
    Endpoint("`GET /healthz` (floor)", "plain", "/healthz"),
    Endpoint(f"`GET {API}/me`", "bearer", f"{API}/me"),
    Endpoint(f"`GET {API}/services`", "bearer", f"{API}/services"),
    Endpoint(f"`POST {API}/token` (refresh, rotated)", "refresh", f"{API}/token"),
]

LUA = """
local mode = os.getenv("BENCH_MODE")
local path = os.getenv("BENCH_PATH")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do
    table.insert(tokens, t)
  end
  -- bearer: connection i starts at token 4i and takes the next one at each request, so the
  -- 16 connections use distinct devices at any time and each device gets its share.
  index = id * math.max(1, math.floor(#tokens / 16))
  token = tokens[(id % math.max(1, #tokens)) + 1]
  bad = 0
  refreshed = 0
end

function request()
  if mode == "bearer" then
    index = index + 1
    local t = tokens[(index % #tokens) + 1]
    return wrk.format("GET", path, {["Authorization"] = "Bearer " .. t})
  elseif mode == "refresh" then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"},
      '{"refresh_token":"' .. token .. '"}')
  end
  return wrk.format("GET", path)
end

-- Defined for the refresh only: wrk then keeps the bodies, which the other modes do not read.
if mode == "refresh" then
  function response(status, headers, body)
    local new = status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
    if new then
      token = new
      refreshed = refreshed + 1
    else
      bad = bad + 1
    end
  end
end

function done(summary, latency, requests)
  local r, b = 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("refreshed")
    b = b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "bytes": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "status_errors": %d, "bad": %d, "refreshed": %d}\\n',
    summary.requests, summary.duration / 1e6, summary.bytes, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status, b, r))
end
"""


# --- Set-up: the database, the people, their devices (run in a Django subprocess) ------------


def seed() -> None:
    """Run by ``prepare`` in a subprocess with the bench's settings: two establishments, 32
    pupils, 32 guardians, the services of "Mes services", and paired devices through Préau's
    services. Writes their tokens as JSON to ``$BENCH_MOBILE_OUT``."""
    import django

    django.setup()
    from django.utils import timezone

    from preau.directory.models import Account, Guardianship, Membership

    schools, classes = _seed_directory()
    _seed_services(schools)
    active = {"state": Account.State.ACTIVE, "activated_at": timezone.now(), "last_name": "Bench"}
    pupils, guardians = [], []
    for i in range(ACCOUNTS // 2):
        pupil = Account.objects.create_user(f"eleve.bench{i}", first_name=f"Élève{i}", **active)
        school = schools[i % 2]
        membership = Membership.objects.create(
            account=pupil, establishment=school, profile="eleve", school_year=2026
        )
        membership.classes.add(classes[school.pk][i % len(classes[school.pk])])
        pupils.append((pupil, school))
    for i in range(ACCOUNTS // 2):
        guardian = Account.objects.create_user(
            f"parent.bench{i}", first_name=f"Parent{i}", **active
        )
        # Every fourth family has a second child, in the other establishment.
        for child, school in [pupils[i]] + ([pupils[i + 1]] if i % 4 == 0 else []):
            Membership.objects.get_or_create(
                account=guardian, establishment=school, profile="responsable", school_year=2026
            )
            Guardianship.objects.create(
                guardian=guardian,
                student=child,
                establishment=school,
                confirmation=Guardianship.Confirmation.CONFIRMED,
            )
        guardians.append(guardian)
    people = [(p, "eleve") for p, _school in pupils] + [(g, "responsable") for g in guardians]
    devices = [
        {"login": a.login, "profile": profile, "access": _pair(a, "Téléphone").access_token}
        for a, profile in people
    ]
    refresh = [
        _pair(people[k % len(people)][0], "Tablette").refresh_token
        for k in range(int(os.environ["BENCH_MOBILE_REFRESH_DEVICES"]))
    ]
    Path(os.environ["BENCH_MOBILE_OUT"]).write_text(
        json.dumps({"devices": devices, "refresh": refresh})
    )


def _pair(account: Any, name: str) -> Any:
    """A new device of ``account`` as the typed-code flow pairs it: its ``TokenPair``."""
    from preau.mobile.models import PairingGrant
    from preau.mobile.services import device_pair, grant_create

    issued = grant_create(actor=account, account=account)
    return device_pair(
        kind=PairingGrant.Kind.CODE,
        identifier=issued.grant.identifier,
        secret=issued.code,
        name=name,
        platform="android",
    )


def _seed_directory() -> tuple[list[Any], dict[int, list[Any]]]:
    from preau.directory.models import Establishment, SchoolClass
    from preau.directory.validators import uai_check_letter

    schools, classes = [], {}
    for digits, name, kind, codes in (
        ("0750654", "Collège Jean Moulin", "college", ("6A", "5B", "4C", "3D")),
        ("0750655", "Lycée Victor Hugo", "lycee", ("2A", "1G2", "TG3")),
    ):
        school = Establishment.objects.create(
            uai=digits + uai_check_letter(digits), name=name, kind=kind, postal_code="75005"
        )
        schools.append(school)
        classes[school.pk] = [
            SchoolClass.objects.create(establishment=school, school_year=2026, code=code)
            for code in codes
        ]
    return schools, classes


def _seed_services(schools: list[Any]) -> None:
    """Eight tiles as a school's "Mes services" holds them: some for every profile, some for
    pupils or guardians only, one for the lycée only, PRONOTE with the UAI in its address."""
    from preau.portal.models import Category, Service, ServicePattern

    categories = {c.name: c for c in Category.objects.all()}
    rows = (
        ("PRONOTE", "Scolarité", "https://{uai}.index-education.net/pronote/", [], None),
        ("Vie scolaire", "Scolarité", "https://vie-scolaire.example.fr/", [], None),
        ("Messagerie", "Communication", "https://messagerie.example.fr/", [], None),
        ("Agenda", "Communication", "https://agenda.example.fr/", [], None),
        ("CDI", "Ressources", "https://cdi.example.fr/", ["eleve"], None),
        ("Manuels numériques", "Ressources", "https://manuels.example.fr/", ["eleve"], None),
        ("Cantine", "Vie de l'établissement", "https://cantine.example.fr/", ["responsable"], None),
        ("Orientation", "Scolarité", "https://orientation.example.fr/", [], schools[1]),
    )
    for order, (name, category, url, profiles, only) in enumerate(rows):
        service = Service.objects.create(
            name=name,
            slug=f"bench-{order}",
            category=categories[category],
            launch_url=url,
            allowed_profiles=profiles,
            description=f"{name} de l’établissement",
            order=order,
        )
        for value in sorted({service.launch_url_for(school) for school in schools}):
            ServicePattern.objects.create(service=service, kind="prefix", value=value)
        if only is not None:
            service.establishments.add(only)


def _env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "PREAU_CACHE_PREFIX": "preau_bench_mobile",
            "PREAU_SECURE_COOKIES": "0",
            "PREAU_DATA_DIR": data_dir,
            "SECRET_KEY": "bench-" + "k" * 50,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [data_dir, str(REPO), env.get("PYTHONPATH")])
            ),
            "DEBUG": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


@dataclass
class People:
    devices: list[dict[str, str]]  # login, profile, access token
    refresh: list[str]  # refresh tokens of other devices, each for one wrk connection


def prepare(env: dict[str, str], data_dir: str) -> People:
    import redis

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    Path(data_dir, f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
    python = [sys.executable, "-m", "preau"]
    subprocess.run([*python, "migrate", "--verbosity", "0"], env=env, check=True)
    out = Path(data_dir) / "people.json"
    seed_env = {
        **env,
        "BENCH_MOBILE_OUT": str(out),
        "BENCH_MOBILE_REFRESH_DEVICES": str(REFRESH_DEVICES),
    }
    code = "from bench.bench_mobile import seed; seed()"
    subprocess.run([sys.executable, "-c", code], env=seed_env, check=True, cwd=REPO)
    data = json.loads(out.read_text())
    return People(devices=data["devices"], refresh=data["refresh"])


# --- The server and its checks ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(port: int, method: str, path: str, *, token: str = "", body: Any = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}: {text[:500]}")
    return json.loads(text)


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    port = _free_port()
    command = [sys.executable, "-m", "preau", "serve", "--server", "granian"]
    command += ["--workers", str(WORKERS), "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}"]
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _call(port, "GET", "/healthz")
                break
            except (OSError, RuntimeError):
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"preau serve did not start:\n{log.read().decode()[-3000:]}")
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


def check(port: int, people: People, refresh_token: str) -> None:
    """The answers are the real ones before anything is timed: a guardian sees a child, a
    pupil a class, both their tiles; a refresh gives a refresh token that works in turn."""
    for device in people.devices[:: ACCOUNTS // 4]:
        me = _call(port, "GET", f"{API}/me", token=device["access"])
        tiles = sum(
            len(g["services"])
            for g in _call(port, "GET", f"{API}/services", token=device["access"])
        )
        if device["profile"] == "responsable" and not me["children"]:
            raise RuntimeError(f"{device['login']}: no child in /me: {me}")
        if device["profile"] == "eleve" and not me["memberships"][0]["classes"]:
            raise RuntimeError(f"{device['login']}: no class in /me: {me}")
        if tiles < 4:
            raise RuntimeError(f"{device['login']}: {tiles} tiles only in /services")
    token = refresh_token
    for _ in range(2):
        token = _call(port, "POST", f"{API}/token", body={"refresh_token": token})["refresh_token"]


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Sample:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # socket errors, non-2xx/3xx answers, refreshes without a new token
    bytes_per_response: float
    server_cpu_ms: float  # the server's processes, per request
    store_cpu_ms: float  # the bench database's PostgreSQL backends + Redis, per request
    idle: float  # share of the cores' time left idle
    refreshed: int = 0


@dataclass
class Row:
    endpoint: Endpoint
    samples: list[Sample] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # rate / the floor's rate, per round
    cpu_ratios: list[float] = field(default_factory=list)  # server CPU / the floor's, per round


def wrk(
    port: int, endpoint: Endpoint, tokens: list[str], seconds: int, script: Path
) -> dict[str, Any]:
    env = dict(os.environ)
    env.update(
        {"BENCH_MODE": endpoint.mode, "BENCH_PATH": endpoint.path, "BENCH_TOKENS": ",".join(tokens)}
    )
    completed = subprocess.run(
        [
            "wrk",
            "--threads",
            str(CONNECTIONS),
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(script),
            f"http://127.0.0.1:{port}{endpoint.path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("BENCH "))
    return dict(json.loads(line.removeprefix("BENCH ")))


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the live processes of group ``pgid`` (the server's master and
    workers, alive for the whole round), read from /proc."""
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


def _store_cpu_seconds() -> float:
    """CPU time of the PostgreSQL backends connected to the bench's database (their title names
    it; the server keeps its connections for the round) and of the machine's Redis."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            if name.startswith("postgres"):
                title = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
                if f" {DB_NAME} " not in title:
                    continue
            elif not name.startswith("redis-server"):
                continue
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _idle_seconds() -> float:
    """Idle + I/O-wait time of all the machine's cores since boot, from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def _used_refresh_tokens() -> int:
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM mobile_devicetoken WHERE kind = 'refresh' AND used_at IS NOT NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def measure(
    port: int, pgid: int, endpoint: Endpoint, tokens: Iterator[list[str]], script: Path
) -> Sample:
    wrk(port, endpoint, next(tokens), WARMUP, script)
    run_tokens = next(tokens)
    used_before = _used_refresh_tokens() if endpoint.mode == "refresh" else 0
    cpu_before, store_before = _group_cpu_seconds(pgid), _store_cpu_seconds()
    idle_before, started = _idle_seconds(), time.monotonic()
    data = wrk(port, endpoint, run_tokens, DURATION, script)
    store = _store_cpu_seconds() - store_before
    cpu = _group_cpu_seconds(pgid) - cpu_before
    idle = (_idle_seconds() - idle_before) / ((time.monotonic() - started) * (os.cpu_count() or 1))
    requests = max(int(data["requests"]), 1)
    if endpoint.mode == "refresh":
        time.sleep(0.5)  # the requests in flight when wrk stopped
        stored = _used_refresh_tokens() - used_before
        if stored < data["refreshed"]:
            raise RuntimeError(f"{data['refreshed']} refreshes answered, {stored} stored")
    return Sample(
        requests_per_second=data["requests"] / data["seconds"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=int(data["requests"]),
        bad=int(data["errors"] + data["status_errors"] + data["bad"]),
        bytes_per_response=data["bytes"] / requests,
        server_cpu_ms=1000 * cpu / requests,
        store_cpu_ms=1000 * store / requests,
        idle=idle,
        refreshed=int(data["refreshed"]),
    )


def _token_sets(endpoint: Endpoint, people: People, pool: Iterator[str]) -> Iterator[list[str]]:
    """The tokens of each wrk run: the access tokens every time, or 16 refresh tokens never
    used (a run's last ones may have been spent by requests whose answers wrk did not read)."""
    while True:
        if endpoint.mode == "refresh":
            yield [next(pool) for _ in range(CONNECTIONS)]
        elif endpoint.mode == "bearer":
            yield [d["access"] for d in people.devices]
        else:
            yield []


def run_round(
    env: dict[str, str], people: People, pool: Iterator[str], script: Path, rows: dict[str, Row]
) -> None:
    with serving(env) as (port, pgid):
        check(port, people, next(pool))
        floor: Sample | None = None
        for endpoint in ENDPOINTS:
            sample = measure(port, pgid, endpoint, _token_sets(endpoint, people, pool), script)
            floor = floor or sample  # the first endpoint
            row = rows.setdefault(endpoint.label, Row(endpoint))
            row.samples.append(sample)
            row.ratios.append(sample.requests_per_second / floor.requests_per_second)
            row.cpu_ratios.append(sample.server_cpu_ms / max(floor.server_cpu_ms, 1e-9))
            print(
                f"  {endpoint.label}: {sample.requests_per_second:,.0f}/s, p99 "
                f"{sample.p99_ms:.1f} ms, server CPU {sample.server_cpu_ms:.2f} ms, "
                f"{sample.bad} bad",
                flush=True,
            )


# --- Report -----------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    import redis

    redis_version = redis.Redis.from_url(REDIS_URL).info().get("redis_version", "?")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, PostgreSQL {row[0] if row else '?'}, "
        f"Redis {redis_version}, Python {platform.python_version()}, "
        f"{wrk_version.stdout.split(' [', 1)[0].strip() or 'wrk'}"
    )


def report(
    rows: dict[str, Row], started: str, load_before: float, load_after: float, revoked: int
) -> str:
    lines = [
        "<!-- bench_mobile:begin -->",
        "## Mobile API (`python -m bench mobile`, bench/bench_mobile.py)",
        "",
        f"Run of {started}: `preau serve` (granian, {WORKERS} workers × {THREADS} thread, the "
        f"default with Redis) on PostgreSQL (database `{DB_NAME}`) and Redis (db 7), driven by "
        f"wrk on loopback ({CONNECTIONS} threads × 1 connection), {DURATION} s per endpoint after "
        f"{WARMUP} s of warm-up, {ROUNDS} rounds (a fresh server each round), medians shown. "
        f"Machine: {_machine()}. Load average {load_before:.2f} before, {load_after:.2f} after "
        "(the 2 cores are shared with other work).",
        "",
        f"{ACCOUNTS} accounts (32 pupils in a class, 32 guardians with one or two confirmed "
        "children; a collège and a lycée; 8 services, some per profile or establishment), each "
        "with a device paired by Préau's services (`grant_create`, `device_pair`): the bearer "
        "requests walk over their 64 access tokens. The refresh chains on each connection the "
        "token each answer returns (wrk's Lua `response()`), and every wrk run starts from "
        "devices never refreshed; the refreshes answered were checked against the refresh tokens "
        f"marked used in the database, and {revoked} device(s) were revoked (a refresh token "
        "sent twice) at the end. "
        "**The per-device budget was raised for the run**: the server reads a settings module "
        'written by the benchmark, Préau\'s settings with, in `PREAU["MOBILE"]`, '
        + ", ".join(f"`{k}` = {v:,}" for k, v in MOBILE_OVERRIDES.items())
        + " (by default 120 requests a minute per device: 64 devices would "
        "get 128 requests a second in all, then 429s; the access tokens made at set-up live an "
        "hour instead of 10 minutes). The ratio is the endpoint's rate over the floor's in the "
        "same round (median of the rounds); CPU per request from /proc (the server's processes; "
        "the PostgreSQL backends of the bench database and the Redis server).",
        "",
        "| endpoint | requests/s | ratio to /healthz | p50 | p99 | server CPU per request "
        "| server CPU / the floor's | PostgreSQL + Redis CPU per request | idle cores "
        "| response size | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        s = row.samples
        lines.append(
            f"| {row.endpoint.label} | {_median([x.requests_per_second for x in s]):,.0f} "
            f"| {_median(row.ratios):.3f} | {_median([x.p50_ms for x in s]):.1f} ms "
            f"| {_median([x.p99_ms for x in s]):.1f} ms "
            f"| {_median([x.server_cpu_ms for x in s]):.2f} ms "
            f"| {_median(row.cpu_ratios):.1f}× "
            f"| {_median([x.store_cpu_ms for x in s]):.2f} ms "
            f"| {_median([x.idle for x in s]):.0%} "
            f"| {_median([x.bytes_per_response for x in s]):,.0f} B | {sum(x.bad for x in s)} |"
        )
    lines += [
        "",
        "Rounds (requests/s, ratio to the floor): "
        + "; ".join(
            f"{row.endpoint.label.split(' (')[0]} "
            + ", ".join(
                f"{x.requests_per_second:,.0f} ({r:.3f})"
                for x, r in zip(row.samples, row.ratios, strict=True)
            )
            for row in rows.values()
        )
        + ".",
        "<!-- bench_mobile:end -->",
    ]
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    """Replace the section between its markers, else put it after the CAS section (or at the
    end). Only this section is touched."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"<!-- bench_mobile:begin -->.*?<!-- bench_mobile:end -->\n", re.S)
    anchor = "<!-- bench_cas:end -->\n"
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    elif anchor in text:
        text = text.replace(anchor, anchor + "\n" + section, 1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def _revoked() -> int:
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM mobile_device WHERE revoked_at IS NOT NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    if not any(
        (Path(d) / "wrk").is_file() for d in os.environ.get("PATH", "").split(os.pathsep) if d
    ):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="preau-bench-mobile-") as data_dir:
        env = _env(data_dir)
        people = prepare(env, data_dir)
        script = Path(data_dir) / "mobile.lua"
        script.write_text(LUA)
        pool = iter(people.refresh)
        rows: dict[str, Row] = {}
        print(f"load average before: {load_before:.2f}; {ROUNDS} rounds of {DURATION} s")
        for number in range(1, ROUNDS + 1):
            print(f"round {number}:", flush=True)
            run_round(env, people, pool, script, rows)
        revoked = _revoked()
        section = report(rows, started, load_before, os.getloadavg()[0], revoked)
        print(section)
        write_results(section)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
