"""Run every benchmark module ``bench/bench_*.py`` (each exposes ``main()``), or those named.

python -m bench                 # all of them
python -m bench import letters  # bench_import.py and bench_letters.py
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [f"bench_{n.removeprefix('bench_')}" for n in argv] or names
    for name in wanted:
        if name not in names:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(names)}")
        print(f"=== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
