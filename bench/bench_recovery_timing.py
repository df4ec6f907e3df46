"""Do the "forgotten" pages' response times tell whether an account exists?

    python -m bench recovery_timing

Starts Préau (``preau serve``, gunicorn, 2 workers) and a ``preau worker`` against their own
PostgreSQL database (``preau_bench_recovery``, dropped and created here) and Redis database,
with accounts whose e-mail address is verified. Then, over one keep-alive connection, it posts
the forgotten-password page with existing and unknown identifiers, and the forgotten-identifier
page with existing and unknown addresses, the two kinds shuffled together, each value once
(so that the per-identifier throttle never answers), each request from its own client address
(``X-Forwarded-For`` through a trusted proxy, so that the per-address throttle does not either).

For each page it reports the distribution of response times for both kinds (median, mean,
percentiles), the shift between them (Hodges–Lehmann estimate with a bootstrap 95 % interval),
and two-sample tests: Mann–Whitney U (are the times of one kind systematically larger?) and
Kolmogorov–Smirnov (do the distributions differ at all?). A p-value far above 0.05 means the
measurement cannot tell the kinds apart.

The same measurement is made a second time with the task backend that runs tasks at once, in
the request (``ImmediateBackend``): the page then does the lookup and the sending while it
answers, which is what a page that is not built for this does. That run shows the benchmark can
see a difference when there is one (its power); the first one is Préau as deployed.

The figures go into this benchmark's own section of bench/RESULTS.md. Bounded: about
``4 * N`` requests per mode (``BENCH_RECOVERY_N``, default 500 per kind and page).
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import random
import re
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

PG_ADMIN = "postgresql://preau:preau@127.0.0.1:5432/postgres"
DB_NAME = "preau_bench_recovery"
DATABASE_URL = f"postgres://preau:preau@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/7"
N = int(os.environ.get("BENCH_RECOVERY_N", "500"))
WARMUP = 40
ACCOUNTS = 2 * (N + WARMUP) + 10
RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench_recovery_timing:begin -->", "<!-- bench_recovery_timing:end -->"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


def _env(data_dir: str, tasks_backend: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "PREAU_CACHE_PREFIX": "preau_bench_recovery",
            "PREAU_SECURE_COOKIES": "0",
            "PREAU_DATA_DIR": data_dir,
            "PREAU_TRUSTED_PROXIES": "127.0.0.1",
            "SECRET_KEY": "bench-" + "r" * 50,
            "EMAIL_URL": "dummymail://",
            "PREAU_SMS_BACKEND": "console",
            "DEBUG": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    env.pop("PREAU_ENV_FILE", None)
    if tasks_backend:
        env["PREAU_TASKS_BACKEND"] = tasks_backend
    else:
        env.pop("PREAU_TASKS_BACKEND", None)
    return env


def _preau(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "preau", *args], env=env, check=True)


def prepare_database(env: dict[str, str]) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    _preau(env, "migrate", "--verbosity", "0")
    code = (
        "from django.contrib.auth.hashers import make_password\n"
        "from django.utils import timezone\n"
        "from preau.directory.models import Account, Establishment, Membership\n"
        "school = Establishment.objects.create(uai='0750654D', name='Collège Bench')\n"
        "h = make_password('Tournesol#42b')\n"
        "now = timezone.now()\n"
        "accounts = Account.objects.bulk_create([Account(login=f'known.{i}', first_name='Bench',"
        " last_name=str(i), state='active', activated_at=now, password=h,"
        " email=f'known.{i}@example.fr', email_verified_at=now)"
        f" for i in range({ACCOUNTS})])\n"
        "Membership.objects.bulk_create([Membership(account=a, establishment=school,"
        " profile='eleve', school_year=2026) for a in accounts])\n"
    )
    _preau(env, "shell", "--command", code)


def _flush_cache() -> None:
    """Forget the throttles of a previous run (the bench's own Redis database)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group this function started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@contextlib.contextmanager
def serving(env: dict[str, str], *, worker: bool) -> Iterator[int]:
    port = _free_port()
    serve = [
        sys.executable, "-m", "preau", "serve", "--server", "gunicorn",
        "--workers", "2", "--threads", "2", "--bind", f"127.0.0.1:{port}",
    ]  # fmt: skip
    background = [sys.executable, "-m", "preau", "worker", "--interval", "0.2", "-v", "0"]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(_process(serve, env))
        if worker:
            stack.enter_context(_process(background, env))
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("preau serve did not start")
            time.sleep(0.2)
        yield port


# --- The client ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection, one session, its CSRF token; each POST from another address."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.address = 0

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path: str) -> str:
        self.conn.request("GET", path, headers={"Cookie": self._cookie_header()})
        response = self.conn.getresponse()
        body = response.read().decode()
        self._remember(response)
        return body

    def token(self, path: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(path))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, float]:
        self.address += 1
        a = self.address
        forwarded = f"10.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"
        body = urllib.parse.urlencode(data)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": self._cookie_header(),
            "X-Forwarded-For": forwarded,
        }
        start = time.perf_counter()
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        self._remember(response)
        return response.status, elapsed


@dataclass
class Page:
    label: str
    path: str
    field: str

    def value(self, kind: str, i: int, run: str) -> str:
        if self.field == "query":
            return f"known.{i}" if kind == "existing" else f"nobody.{run}.{i}"
        return f"known.{i}@example.fr" if kind == "existing" else f"nobody.{run}.{i}@example.fr"


PAGES = [
    Page("forgotten password (identifier)", "/mot-de-passe-oublie/", "query"),
    Page("forgotten identifier (e-mail)", "/identifiant-oublie/", "contact"),
]


def measure(port: int, page: Page, run: str, offset: int) -> dict[str, list[float]]:
    client = Client(port)
    token = client.token(page.path)
    # Each existing identifier once per page and mode: ``offset`` keeps modes apart.
    order = [("existing", i) for i in range(N + WARMUP)] + [
        ("unknown", i) for i in range(N + WARMUP)
    ]
    random.Random(f"{run}{page.path}").shuffle(order)
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    counts = {"existing": 0, "unknown": 0}
    errors = 0
    for kind, i in order:
        index = offset + i if kind == "existing" else i
        status, elapsed = client.post(
            page.path, {"csrfmiddlewaretoken": token, page.field: page.value(kind, index, run)}
        )
        if status != 302:
            errors += 1
            continue
        counts[kind] += 1
        if counts[kind] > WARMUP:
            times[kind].append(elapsed)
    if errors:
        raise RuntimeError(f"{page.label}: {errors} answers were not 302")
    return times


# --- Statistics ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float]:
    """U of ``a`` and the two-sided p-value (normal approximation, tie correction)."""
    combined = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(combined)
    ties = 0.0
    i = 0
    while i < len(combined):
        j = i
        while j + 1 < len(combined) and combined[j + 1][0] == combined[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = rank
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(r for r, (_v, g) in zip(ranks, combined, strict=True) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u1 - mu) / sigma if sigma else 0.0
    return u1, math.erfc(abs(z) / math.sqrt(2))


def kolmogorov_smirnov(a: list[float], b: list[float]) -> tuple[float, float]:
    """D statistic and its asymptotic two-sided p-value."""
    a_sorted, b_sorted = sorted(a), sorted(b)
    i = j = 0
    d = 0.0
    while i < len(a_sorted) and j < len(b_sorted):
        x = min(a_sorted[i], b_sorted[j])
        while i < len(a_sorted) and a_sorted[i] <= x:
            i += 1
        while j < len(b_sorted) and b_sorted[j] <= x:
            j += 1
        d = max(d, abs(i / len(a_sorted) - j / len(b_sorted)))
    en = math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (en + 0.12 + 0.11 / en) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(max(p, 0.0), 1.0)


def hodges_lehmann(a: list[float], b: list[float]) -> float:
    return statistics.median(x - y for x in a for y in b)


def shift_interval(a: list[float], b: list[float], rounds: int = 400) -> tuple[float, float]:
    """Bootstrap 95 % interval of the difference of medians (a − b)."""
    rng = random.Random(7)
    diffs = sorted(
        statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
        for _ in range(rounds)
    )
    return diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]


@dataclass
class Row:
    mode: str
    page: str
    existing: list[float]
    unknown: list[float]

    def cells(self) -> list[str]:
        ms = 1000

        def dist(v: list[float]) -> str:
            return (
                f"{statistics.median(v) * ms:.2f} ({percentile(v, 0.1) * ms:.2f}–"
                f"{percentile(v, 0.9) * ms:.2f}, p99 {percentile(v, 0.99) * ms:.2f})"
            )

        _u, p_mw = mann_whitney(self.existing, self.unknown)
        d, p_ks = kolmogorov_smirnov(self.existing, self.unknown)
        low, high = shift_interval(self.existing, self.unknown)
        return [
            self.mode,
            self.page,
            dist(self.existing),
            dist(self.unknown),
            f"{hodges_lehmann(self.existing, self.unknown) * ms:+.3f} "
            f"[{low * ms:+.3f}, {high * ms:+.3f}]",
            f"{p_mw:.3g}",
            f"D={d:.3f}, p={p_ks:.3g}",
        ]


def run_mode(data_dir: str, label: str, backend: str | None, run: str, offset: int) -> list[Row]:
    env = _env(data_dir, backend)
    rows = []
    # The control runs tasks in the request: no worker (it refuses a non-database backend).
    with serving(env, worker=backend is None) as port:
        for page in PAGES:
            times = measure(port, page, run, offset)
            rows.append(Row(label, page.label, times["existing"], times["unknown"]))
            print(f"  {label} / {page.label}: done", flush=True)
    return rows


def main() -> None:
    started = time.strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="preau-bench-recovery-") as data_dir:
        prepare_database(_env(data_dir, None))
        _flush_cache()
        rows = run_mode(data_dir, "Préau (database task backend)", None, "a", 0)
        # Other accounts for the control: each address receives two messages per mode, below
        # the per-contact throttle.
        rows += run_mode(data_dir, "control: tasks run in the request", IMMEDIATE, "b", N + WARMUP)
    load_after = os.getloadavg()[0]
    header = [
        "mode",
        "page",
        "existing: median ms (p10–p90, p99)",
        "unknown: median ms (p10–p90, p99)",
        "shift existing − unknown, ms [95 % CI]",
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
            "## Recovery pages: response times of existing vs unknown accounts "
            "(`python -m bench recovery_timing`, bench/bench_recovery_timing.py)",
            "",
            f"Run of {started}: `preau serve` (gunicorn, 2 workers × 2 threads) and a "
            f"`preau worker` on PostgreSQL 15 + Redis, {N} requests of each kind per page after "
            f"{WARMUP} of warm-up, shuffled, one keep-alive connection, each value once, each "
            "request from its own address (X-Forwarded-For through a trusted proxy), so no "
            f"throttle answers. Load average {load_before:.2f} before, {load_after:.2f} after "
            "(the 2 cores are shared with other work).",
            "",
            *table,
            "",
            "Préau's pages store the request and hand it to a task; the account is looked up and "
            "the mail sent by the worker, so the page's work does not depend on the account "
            "(tests/recovery/test_requests_and_secrets.py checks that both kinds run the same "
            "SQL). The control row runs the same code with the tasks in the request: the lookup "
            "and the sending then show in the response time, and the tests see it — that is "
            "the benchmark's power. A Mann–Whitney or Kolmogorov–Smirnov p-value far above 0.05, "
            "with a shift interval across zero, means the measurement cannot tell an existing "
            "account from an unknown one.",
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
