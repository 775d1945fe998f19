"""Cost of the sandboxed checks (issue 12: extra cost per case <= 50 ms, a sheet checks in seconds).

Run:  .venv/bin/python benchmarks/bench_checks.py [--repeats 7]

For every function question of every chapter, the reference itself is checked as the student's
answer, side by side in this process:

* baseline -- the thread fallback (``TUTORIAL_LIB_SANDBOX=thread``): the student's function is called
  in this process, as the engine did before the sandbox;
* sandbox  -- the default fork sandbox (one child per question, killed at the limit).

Printed: min and median wall time of each over the repeats, and the extra cost per case of the sandbox
(min over min). The process imports every chapter (a real sheet kernel imports one, so it forks a smaller
process). The machine is shared: compare the two columns, not the absolute times.
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import time

os.environ.setdefault("TUTORIAL_LIB_PROGRESS", "0")

from tutorial_lib.checks import FunctionQuestion, _sandbox, sheet_questions  # noqa: E402

CHAPTERS = [f"ch{i:02d}" for i in range(8)]


def _time(question, answer, mode, repeats):
    os.environ[_sandbox.SANDBOX_ENV] = mode
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = question.evaluate(answer)
        times.append(time.perf_counter() - start)
        assert result.passed, (question.qid, mode, result.message)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for chapter in CHAPTERS:
        importlib.import_module(f"tutorial_lib.checks.{chapter}")
    print(f"{'question':10s} {'cases':>5s} {'baseline min/med ms':>20s} {'sandbox min/med ms':>20s} "
          f"{'extra/case ms':>13s}")
    worst, totals = 0.0, {}
    for chapter in CHAPTERS:
        for q in sheet_questions(chapter):
            if not isinstance(q, FunctionQuestion):
                continue
            n = len(q.cases())
            base = _time(q, q._reference, "thread", args.repeats)
            sand = _time(q, q._reference, "fork", args.repeats)
            extra = (sand[0] - base[0]) / n * 1e3
            worst = max(worst, extra)
            totals[chapter] = totals.get(chapter, 0.0) + sand[1]
            print(f"{q.qid:10s} {n:5d} {base[0] * 1e3:9.1f} /{base[1] * 1e3:8.1f} "
                  f"{sand[0] * 1e3:9.1f} /{sand[1] * 1e3:8.1f} {extra:13.1f}")
    os.environ.pop(_sandbox.SANDBOX_ENV, None)
    print(f"largest extra cost per case: {worst:.1f} ms (target <= 50 ms)")
    print("function questions of a sheet, sandboxed (median): "
          + ", ".join(f"{ch} {t:.2f} s" for ch, t in totals.items()))


if __name__ == "__main__":
    main()
