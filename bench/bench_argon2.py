"""Cost of one Argon2id verification for candidate parameters, and verifications/s on 2 cores.

    python -m bench argon2

For each candidate: the median and 95th percentile time of one verify on one core (what a person
waits for at sign-in), and how many verifies per second two processes sustain together (what one
2-core application node can absorb during the 8 a.m. rush). Prints a Markdown table for
bench/RESULTS.md. Bounded: about 4 s per candidate.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import secrets
import statistics
import time
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret, verify_secret

PASSWORD = b"Tournesol-Cassiopee-42"
LATENCY_SAMPLES = 25
THROUGHPUT_SECONDS = 3.0
PROCESSES = 2


@dataclass(frozen=True)
class Candidate:
    label: str
    memory_kib: int
    time_cost: int
    parallelism: int


CANDIDATES = [
    Candidate("OWASP minimum: 19 MiB, t=2, p=1", 19 * 1024, 2, 1),
    Candidate("OWASP: 46 MiB, t=1, p=1", 46 * 1024, 1, 1),
    Candidate("OWASP: 12 MiB, t=3, p=1", 12 * 1024, 3, 1),
    Candidate("19 MiB, t=3, p=1", 19 * 1024, 3, 1),
    Candidate("30 MiB, t=2, p=1", 30 * 1024, 2, 1),
    Candidate("34 MiB, t=2, p=1", 34 * 1024, 2, 1),
    Candidate("64 MiB, t=3, p=4", 64 * 1024, 3, 4),
    Candidate("Django's default: 100 MiB, t=2, p=8", 102400, 2, 8),
]


def _hash(c: Candidate) -> bytes:
    return hash_secret(
        PASSWORD,
        secrets.token_bytes(16),
        time_cost=c.time_cost,
        memory_cost=c.memory_kib,
        parallelism=c.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _latencies(c: Candidate) -> list[float]:
    encoded = _hash(c)
    verify_secret(encoded, PASSWORD, Type.ID)  # warm the allocator
    samples = []
    for _ in range(LATENCY_SAMPLES):
        start = time.perf_counter()
        verify_secret(encoded, PASSWORD, Type.ID)
        samples.append(time.perf_counter() - start)
    return samples


def _verify_for(args: tuple[Candidate, float]) -> tuple[int, float]:
    """Verify for ``seconds``; return the count and the CPU time this process spent."""
    c, seconds = args
    encoded = _hash(c)
    count = 0
    cpu_start = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        verify_secret(encoded, PASSWORD, Type.ID)
        count += 1
    return count, time.process_time() - cpu_start


def verify_parallel(c: Candidate, processes: int = PROCESSES) -> tuple[float, float]:
    """(verifications per second, CPU milliseconds per verification) of ``processes`` processes
    verifying side by side: the CPU time is what a verification costs when the other cores
    verify too (they share the memory bus and the last-level cache)."""
    with mp.get_context("spawn").Pool(processes) as pool:
        pool.map(_verify_for, [(c, 0.2)] * processes)  # start-up and warm-up
        start = time.perf_counter()
        results = pool.map(_verify_for, [(c, THROUGHPUT_SECONDS)] * processes)
        elapsed = time.perf_counter() - start
    count = sum(n for n, _ in results)
    cpu = sum(t for _, t in results)
    return count / elapsed, 1000 * cpu / max(count, 1)


def verifies_per_second(c: Candidate, processes: int = PROCESSES) -> float:
    """Verifications per second by ``processes`` processes verifying side by side."""
    return verify_parallel(c, processes)[0]


def main() -> None:
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    print()
    print(
        "| parameters | one verify, median | p95 | verifies/s, 2 processes "
        "| CPU per verify, both cores busy | memory at 16 at once |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for c in CANDIDATES:
        samples = sorted(_latencies(c))
        median = statistics.median(samples) * 1000
        p95 = samples[int(len(samples) * 0.95) - 1] * 1000
        rate, cpu_ms = verify_parallel(c)
        memory = 16 * c.memory_kib / 1024
        print(
            f"| {c.label} | {median:.1f} ms | {p95:.1f} ms | {rate:.0f} | {cpu_ms:.1f} ms "
            f"| {memory:.0f} MiB |",
            flush=True,
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
