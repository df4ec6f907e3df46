"""CAS ticket issuance + validation under 16 concurrent clients: Préau beside django-cas-server.

    python -m bench cas

Each client holds a signed-in SSO session and loops: ``GET /cas/login?service=…`` (a service
ticket, 302 to the service) then ``GET /cas/serviceValidate?service=…&ticket=…`` (the service
checks it). One cycle is one ticket issued and validated. Both servers run on this machine in
the same run, on PostgreSQL (their own databases ``preau_bench_cas`` and
``preau_bench_cas_peer``, dropped and created here; never ``preau``) with Redis (databases 7
and 8) for cache and sessions, under the same WSGI server (granian, 2 workers × 1 thread), and
are driven by ``wrk`` (16 threads, one connection each) on loopback for a bounded time.

django-cas-server is installed from PyPI by this benchmark into its own virtual environment
(``bench/out/cas_peer/venv``) with a project written here (settings, urls, wsgi); none of its
code is copied. The machine is shared: each server is measured in ``ROUNDS`` alternating rounds
and the medians are reported (throughput, p99 latency per request, CPU time of the server's
processes per cycle), then written to bench/RESULTS.md between the ``bench_cas`` markers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from bs4 import BeautifulSoup

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "cas_peer"
RESULTS = HERE / "RESULTS.md"
PG_ADMIN = "postgresql://preau:preau@127.0.0.1:5432/postgres"
PREAU_DB = "preau_bench_cas"
PEER_DB = "preau_bench_cas_peer"
PREAU_REDIS = "redis://127.0.0.1:6379/7"
PEER_REDIS = "redis://127.0.0.1:6379/8"
CLIENTS = 16
DURATION = int(os.environ.get("BENCH_CAS_SECONDS", "10"))
WARMUP = 2
ROUNDS = int(os.environ.get("BENCH_CAS_ROUNDS", "5"))
PASSWORD = "Tournesol-Cassiopee-42"  # noqa: S105 - the bench accounts
SERVICE = "http://bench.test/app"
PEER_VERSION = "django-cas-server==3.1.0"
WORKERS, THREADS = 2, 1

PEER_SETTINGS = f"""
SECRET_KEY = "bench-peer-" + "k" * 50
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "cas_server",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {{"context_processors": ["django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages"]}}}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "{PEER_DB}",
    "USER": "preau", "PASSWORD": "preau", "HOST": "127.0.0.1", "PORT": "5432",
    "CONN_MAX_AGE": 60}}}}
CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "{PEER_REDIS}"}}}}
# The same session storage as Préau's (database, cached in Redis).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""
PEER_URLS = """
from django.urls import include, path
urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
"""
PEER_WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""
PEER_SEED = f"""
from django.contrib.auth.models import User
from django.contrib.auth.hashers import make_password
from cas_server.models import ServicePattern
h = make_password({PASSWORD!r})
User.objects.bulk_create([User(username=f"bench{{i}}", password=h) for i in range({CLIENTS})])
ServicePattern.objects.create(pos=1, name="bench", pattern=r"^http://bench\\.test/.*$")
"""
PREAU_SEED = f"""
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from preau.directory.models import Account, Establishment, Membership, SchoolClass
from preau.portal.models import Category, Service, ServicePattern
school = Establishment.objects.create(uai="0750654D", name="Lycée", postal_code="75005")
klass = SchoolClass.objects.create(establishment=school, school_year=2026, code="3A")
h = make_password({PASSWORD!r})
for i in range({CLIENTS}):
    a = Account.objects.create(login=f"bench{{i}}", first_name="Bench", last_name=str(i),
        state="active", activated_at=timezone.now(), password=h)
    m = Membership.objects.create(account=a, establishment=school, profile="eleve",
        school_year=2026)
    m.classes.add(klass)
category, _ = Category.objects.get_or_create(name="Scolarité")
s = Service.objects.create(name="Bench", slug="bench", category=category)
ServicePattern.objects.create(service=s, kind="prefix", value="http://bench.test/")
"""

LUA = """
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local cookies = {}
  for c in string.gmatch(os.getenv("BENCH_COOKIES"), "[^,]+") do table.insert(cookies, c) end
  cookie = cookies[(id % #cookies) + 1]
  login = os.getenv("BENCH_LOGIN")
  validate = os.getenv("BENCH_VALIDATE")
  ticket = nil
  cycles = 0
  bad = 0
end
function request()
  if ticket == nil then
    return wrk.format("GET", login, {["Cookie"] = cookie})
  end
  return wrk.format("GET", validate .. "&ticket=" .. ticket)
end
function response(status, headers, body)
  if ticket == nil then
    local location = headers["Location"] or headers["location"] or ""
    ticket = string.match(location, "ticket=([%w%-]+)")
    if ticket == nil then bad = bad + 1 end
  else
    if string.find(body, "authenticationSuccess", 1, true) then
      cycles = cycles + 1
    else
      bad = bad + 1
    end
    ticket = nil
  end
end
function done(summary, latency, requests)
  local c, b = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("cycles")
    b = b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "cycles": %d, "bad": %d, "errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration / 1e6, c, b,
    e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50),
    latency:percentile(99)))
end
"""


@dataclass
class Target:
    label: str
    command: list[str]
    env: dict[str, str]
    cwd: Path | None
    login_path: str  # the form
    ticket_path: str  # /…/login?service=…
    validate_path: str  # /…/serviceValidate?service=… (the ticket is appended)
    cookie_name: str
    signin_path: str


@dataclass
class Measure:
    cycles_per_second: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_cycle: float
    bad: int
    load: float  # the machine's 1-minute load average at the end (other work included)


def _recreate(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _granian(module: str, port: int) -> list[str]:
    return [
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--blocking-threads",
        str(THREADS),
        "--backpressure",
        str(CLIENTS),
        "--no-ws",
        module,
    ]


def prepare_preau(data_dir: str) -> Target:
    _recreate(PREAU_DB)
    _redis_flush(PREAU_REDIS)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://preau:preau@127.0.0.1:5432/{PREAU_DB}",
        "REDIS_URL": PREAU_REDIS,
        "PREAU_CACHE_PREFIX": "preau_bench_cas",
        "PREAU_SECURE_COOKIES": "0",
        "PREAU_DATA_DIR": data_dir,
        "SECRET_KEY": "bench-" + "k" * 50,
        "DJANGO_SETTINGS_MODULE": "preau.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
    }
    python = [sys.executable, "-m", "preau"]
    subprocess.run([*python, "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run([*python, "shell", "--command", PREAU_SEED], env=env, check=True)
    port = _free_port()
    return Target(
        label="Préau",
        command=[sys.executable, *_granian("preau.wsgi:application", port)],
        env=env,
        cwd=None,
        login_path=f"http://127.0.0.1:{port}/connexion",
        ticket_path=f"/cas/login?service={SERVICE}",
        validate_path=f"/cas/serviceValidate?service={SERVICE}",
        cookie_name="preau_session",
        signin_path="/connexion",
    )


def prepare_peer() -> Target:
    OUT.mkdir(parents=True, exist_ok=True)
    venv = OUT / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            PEER_VERSION,
            "psycopg[binary]",
            "redis",
            "granian",
        ],
        check=True,
    )
    (OUT / "peer_settings.py").write_text(PEER_SETTINGS)
    (OUT / "peer_urls.py").write_text(PEER_URLS)
    (OUT / "peer_wsgi.py").write_text(PEER_WSGI)
    _recreate(PEER_DB)
    _redis_flush(PEER_REDIS)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"DJANGO_SETTINGS_MODULE": "peer_settings", "PYTHONPATH": str(OUT)})
    admin = [str(python), "-m", "django"]
    subprocess.run([*admin, "migrate", "--verbosity", "0"], env=env, cwd=OUT, check=True)
    subprocess.run([*admin, "shell", "--command", PEER_SEED], env=env, cwd=OUT, check=True)
    port = _free_port()
    return Target(
        label="django-cas-server 3.1.0",
        command=[str(python), *_granian("peer_wsgi:application", port)],
        env=env,
        cwd=OUT,
        login_path=f"http://127.0.0.1:{port}/cas/login",
        ticket_path=f"/cas/login?service={SERVICE}",
        validate_path=f"/cas/serviceValidate?service={SERVICE}",
        cookie_name="sessionid",
        signin_path="/cas/login",
    )


def _base(target: Target) -> str:
    return target.login_path.split("/", 3)[0] + "//" + target.login_path.split("/", 3)[2]


@contextlib.contextmanager
def serving(target: Target) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        target.command,
        env=target.env,
        cwd=target.cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(target.login_path, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{target.label} did not start:\n{log.read().decode()[-3000:]}")
            time.sleep(0.3)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sign_in_all(target: Target) -> list[str]:
    """One signed-in session per client; each is checked to give a ticket."""
    base = _base(target)
    cookies = []
    for i in range(CLIENTS):
        browser = requests.Session()
        page = browser.get(base + target.signin_path, timeout=10)
        form = BeautifulSoup(page.text, "html.parser").find("form", {"method": "post"})
        if form is None:
            raise RuntimeError(f"{target.label}: no sign-in form")
        data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
        data.update(username=f"bench{i}", password=PASSWORD)
        browser.post(base + target.signin_path, data=data, timeout=30)
        value = browser.cookies.get(target.cookie_name)
        if not value:
            raise RuntimeError(f"{target.label}: bench{i} could not sign in")
        answer = browser.get(base + target.ticket_path, allow_redirects=False, timeout=10)
        if "ticket=ST-" not in answer.headers.get("Location", ""):
            raise RuntimeError(f"{target.label}: no ticket for bench{i}: {answer.status_code}")
        cookies.append(f"{target.cookie_name}={value}")
    return cookies


def _group_cpu_seconds(pgid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def wrk(target: Target, cookies: list[str], script: Path, seconds: int) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_COOKIES": ",".join(cookies),
        "BENCH_LOGIN": target.ticket_path,
        "BENCH_VALIDATE": target.validate_path,
    }
    command = [
        "wrk",
        "-t",
        str(CLIENTS),
        "-c",
        str(CLIENTS),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        _base(target),
    ]
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCH "))
    return dict(json.loads(line.removeprefix("BENCH ")))


def measure(
    target: Target, process: subprocess.Popen[bytes], cookies: list[str], script: Path
) -> Measure:
    wrk(target, cookies, script, WARMUP)
    cpu_before = _group_cpu_seconds(process.pid)
    result = wrk(target, cookies, script, DURATION)
    cpu = _group_cpu_seconds(process.pid) - cpu_before
    cycles = max(result["cycles"], 1)
    return Measure(
        cycles_per_second=result["cycles"] / result["seconds"],
        requests_per_second=result["requests"] / result["seconds"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        cpu_ms_per_cycle=cpu * 1000 / cycles,
        bad=int(result["bad"] + result["errors"]),
        load=os.getloadavg()[0],
    )


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _postgres_version() -> str:
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def report(measures: dict[str, list[Measure]]) -> str:
    preau = measures["Préau"]
    peer = measures["django-cas-server 3.1.0"]
    ratio = _median([m.cycles_per_second for m in preau]) / max(
        _median([m.cycles_per_second for m in peer]), 1e-9
    )
    p99 = _median([m.p99_ms for m in preau])
    verdict = "met" if ratio >= 3 and p99 < 50 else "NOT met"
    lines = [
        "<!-- bench_cas:begin -->",
        "## CAS tickets (`python -m bench cas`, bench/bench_cas.py)",
        "",
        f"16 clients, each with a signed-in SSO session, loop on `GET /cas/login?service=…` "
        f"(ticket issued, 302) then `GET /cas/serviceValidate` (ticket validated): one cycle is "
        f"one ticket issued and validated. Both servers on this machine in the same run, "
        f"PostgreSQL {_postgres_version()} (own databases) and Redis (cache and cached_db "
        f"sessions), granian {WORKERS} workers × {THREADS} thread, wrk 16 threads × 1 "
        f"connection for {DURATION} s after {WARMUP} s of warm-up; medians of {ROUNDS} "
        f"alternating rounds. The peer is django-cas-server 3.1.0 installed from PyPI into its "
        f"own virtual environment by the benchmark. Target: ≥ 3× the peer's throughput and "
        f"p99 < 50 ms. **Verdict: {verdict} ({ratio:.2f}×, p99 {p99:.1f} ms).** "
        f"With 16 clients on 2 single-threaded workers a request waits for the others "
        f"(Little's law: mean latency = 16 / requests per second), so p99 follows throughput and "
        f"the CPU other work takes from the 2 cores during a round (load average below).",
        "",
        "| server | cycles/s | requests/s | p50 per request | p99 per request | server CPU per "
        "cycle | failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, rows in measures.items():
        lines.append(
            f"| {label} | {_median([m.cycles_per_second for m in rows]):.0f} "
            f"| {_median([m.requests_per_second for m in rows]):.0f} "
            f"| {_median([m.p50_ms for m in rows]):.1f} ms "
            f"| {_median([m.p99_ms for m in rows]):.1f} ms "
            f"| {_median([m.cpu_ms_per_cycle for m in rows]):.2f} ms "
            f"| {sum(m.bad for m in rows)} |"
        )
    lines += [
        "",
        "Rounds (cycles/s, p99, load average of the 2-core machine at the end of the round): "
        + "; ".join(
            f"{label} "
            + ", ".join(
                f"{m.cycles_per_second:.0f} ({m.p99_ms:.0f} ms, {m.load:.1f})" for m in rows
            )
            for label, rows in measures.items()
        )
        + ".",
        "<!-- bench_cas:end -->",
    ]
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"<!-- bench_cas:begin -->.*?<!-- bench_cas:end -->\n", re.S)
    text = (
        pattern.sub(lambda _m: section, text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + section)
    )
    RESULTS.write_text(text)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cas-") as data_dir:
        script = Path(data_dir) / "cas.lua"
        script.write_text(LUA)
        targets = [prepare_preau(data_dir), prepare_peer()]
        measures: dict[str, list[Measure]] = {t.label: [] for t in targets}
        for round_number in range(ROUNDS):
            for target in targets:
                with serving(target) as process:
                    cookies = sign_in_all(target)
                    result = measure(target, process, cookies, script)
                measures[target.label].append(result)
                print(
                    f"round {round_number + 1} {target.label}: {result.cycles_per_second:.0f} "
                    f"cycles/s, p99 {result.p99_ms:.1f} ms, {result.cpu_ms_per_cycle:.2f} ms "
                    f"CPU/cycle, {result.bad} failed, load {result.load:.1f}",
                    flush=True,
                )
        section = report(measures)
        print(section)
        write_results(section)
        for name in (PREAU_DB, PEER_DB):
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
