"""Prints how long the receipt hash takes with the chosen Argon2id parameters and neighbours.

Run: .venv/bin/python bench/receipt_hash.py   (figures for the README and services/receipts.py)
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAPORTO_SECRET", "bench")

from argon2.low_level import Type, hash_secret_raw  # noqa: E402

from services import receipts  # noqa: E402


def timed(fn, runs=15) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    code = receipts.new_code()
    chosen = timed(lambda: receipts.hash_code(code))
    print(f"chosen: time_cost={receipts.TIME_COST} memory={receipts.MEMORY_COST_KIB // 1024} MiB "
          f"parallelism={receipts.PARALLELISM}: {chosen:.1f} ms (median of 15)")
    for t, m in ((2, 19 * 1024), (3, 19 * 1024), (3, 32 * 1024), (2, 64 * 1024)):
        ms = timed(lambda t=t, m=m: hash_secret_raw(code.encode(), b"0" * 16, time_cost=t,
                                                    memory_cost=m, parallelism=1, hash_len=32,
                                                    type=Type.ID), runs=7)
        print(f"   alternative t={t} m={m // 1024} MiB: {ms:.1f} ms")


if __name__ == "__main__":
    main()
