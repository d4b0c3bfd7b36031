"""Time loading and SHACL-validating the whole graph.

Each run builds a fresh in-memory store from the repository's files and
validates it, in this process; the median of ``--runs`` runs is reported beside
the minimum and maximum, so one noisy run cannot decide the figure.

    python -m bench.load --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.validate import validate_store

TARGET_SECONDS = 1.5


def measure_once() -> tuple[float, float, int]:
    """Seconds to load, seconds to validate, and the quads loaded, for one fresh build."""
    settings = get_settings()
    started = time.perf_counter()
    store = build_store(settings)
    loaded = time.perf_counter()
    report = validate_store(store, settings)
    validated = time.perf_counter()
    if not report.conforms:
        raise SystemExit("the graph does not conform; run `ilrs validate` first")
    return loaded - started, validated - loaded, store.count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    measure_once()  # warm-up: imports and pyshacl's first-use caches are not what we measure
    loads, validations, totals = [], [], []
    for run in range(1, args.runs + 1):
        load, validate, quads = measure_once()
        loads.append(load)
        validations.append(validate)
        totals.append(load + validate)
        print(f"run {run}/{args.runs}: load {load:.3f} s  validate {validate:.3f} s  ({quads} quads)", file=sys.stderr)
    median = statistics.median(totals)
    print(f"load      median {statistics.median(loads):.3f} s")
    print(f"validate  median {statistics.median(validations):.3f} s")
    print(f"total     median {median:.3f} s  (min {min(totals):.3f}, max {max(totals):.3f}, {args.runs} runs)")
    print(f"target    < {TARGET_SECONDS:.1f} s: {'met' if median < TARGET_SECONDS else 'NOT met'}")
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
