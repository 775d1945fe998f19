"""Widget latency benchmark (issue 18): every live control of every lesson notebook, kernel-side.

Run: ``.venv/bin/python benchmarks/bench_widgets.py [--notebook NN ...] [--values K] [--baseline JSON]``

For each notebook (``notebooks/*.ipynb``, or the ones named by ``--notebook 00 05``, or paths):

1. execute it in a fresh kernel with nbclient, in the environment the stored outputs are made in
   (:data:`tutorial_lib.authoring.EXECUTION_ENV`: one native thread, no progress bars);
2. in that kernel, list the live controls (:func:`tutorial_lib.widgets.live_controls`: every
   control in ipywidgets' widget registry with a ``value`` observer, so ``interact`` widgets
   and :class:`~tutorial_lib.widgets.LiveWidget` alike);
3. move each control, one at a time, to ``K`` values spread over what it offers
   (:func:`~tutorial_lib.widgets.control_values`, the first and last included), then back to
   where it started, and time each assignment ``control.value = v`` with ``perf_counter``:
   traitlets runs the observers synchronously, so that is the time from the value change until
   the observers have solved and redrawn (for ``interact`` + inline backend: the figure is built
   and PNG-encoded; for ``LiveWidget``: the state is computed and the image re-encoded). The
   browser's share (message transport, decoding the picture) is not included.

A move whose observer raises, or shows a traceback (``interact`` prints its callback's errors),
or leaves a ``LiveWidget`` with an error, is counted as an error. A control passes the budget
when its median move is <= 150 ms and its slowest <= 500 ms; a notebook when all its controls do.

The first visit of a value is timed (a cached state makes only the return move, or a second
``--repeats`` pass, cheap). The machine is shared: timings are noisy, compare runs side by side
(``--baseline`` prints the ratio to a saved run per notebook).

Results go to ``benchmarks/results/bench_widgets.json`` (one entry per notebook, replaced when
that notebook is measured again), or to ``--output``.
"""
from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_widgets.json"
BUDGET_MEDIAN_MS = 150.0
BUDGET_SLOWEST_MS = 500.0
MARKER = "BENCH_WIDGETS_JSON "


def _measure_in_kernel(n_values, repeats):
    """Runs INSIDE the notebook's kernel (its source is sent there); prints one JSON line."""
    import json
    import time

    import ipywidgets
    from IPython import get_ipython

    from tutorial_lib.widgets import control_values, live_controls, live_widgets

    shell = get_ipython()
    tracebacks = []
    shown = shell.showtraceback

    def count_traceback(*args, **kwargs):  # interact reports its callback's errors this way
        tracebacks.append(1)

    from ipywidgets.widgets.widget import _instances

    def owner_of(control):
        for widget in list(_instances.values()):
            if isinstance(widget, ipywidgets.interactive) and control in widget.kwargs_widgets:
                return "interact(" + getattr(widget.f, "__name__", "?") + ")", None
        for live in live_widgets():
            for c in live.controls.values():
                if c is control:
                    return "LiveWidget(" + getattr(live.state, "__name__", "?") + ")", live
        return "observe", None

    report = []
    shell.showtraceback = count_traceback
    try:
        for control in live_controls():
            owner, live = owner_of(control)
            entry = {"control": f"{control.description or '?'} ({type(control).__name__})", "owner": owner,
                     "times_ms": [], "errors": []}
            start = control.value
            try:
                offered = control_values(control, n_values + 1)
            except (TypeError, ValueError) as exc:
                entry["skipped"] = f"{type(exc).__name__}: {exc}"
                report.append(entry)
                continue
            targets = [v for v in offered if v != start][:n_values] + [start]
            for _ in range(repeats):
                for value in targets:
                    n_before = len(tracebacks)
                    t0 = time.perf_counter()
                    try:
                        control.value = value
                    except Exception as exc:  # an observer raised
                        entry["errors"].append(f"{value!r}: {type(exc).__name__}: {exc}")
                    entry["times_ms"].append((time.perf_counter() - t0) * 1e3)
                    if len(tracebacks) > n_before:
                        entry["errors"].append(f"{value!r}: the observer showed a traceback")
                    if live is not None and live.last_error_ is not None:
                        entry["errors"].append(f"{value!r}: {type(live.last_error_).__name__}: {live.last_error_}")
            entry["values"] = [repr(v) for v in targets]
            report.append(entry)
    finally:
        shell.showtraceback = shown
    print("BENCH_WIDGETS_JSON " + json.dumps(report))


def _kernel_code(n_values, repeats):
    return (textwrap.dedent(inspect.getsource(_measure_in_kernel))
            + f"\n_measure_in_kernel({int(n_values)}, {int(repeats)})\n")


def measure_notebook(path: Path, n_values=6, repeats=1, timeout=600) -> dict:
    """Execute ``path`` and measure all its live controls; a dict ready for JSON."""
    from nbclient import NotebookClient

    from tutorial_lib.authoring import EXECUTION_ENV

    for key, value in EXECUTION_ENV.items():
        os.environ.setdefault(key, value)
    nb = nbformat.read(path, as_version=4)
    measuring = nbformat.v4.new_code_cell(_kernel_code(n_values, repeats))
    # nbclient needs store_widget_state (its default) to route Output-widget messages.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            allow_errors=False, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    n_cells = len(nb.cells)
    nb.cells.append(measuring)
    t0 = time.perf_counter()
    with client.setup_kernel():
        kernel_start_s = time.perf_counter() - t0   # slow only when the shared machine's disk is
        t0 = time.perf_counter()
        for index, cell in enumerate(nb.cells[:n_cells]):
            client.execute_cell(cell, index)
        elapsed = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.execute_cell(measuring, n_cells)
        measuring_s = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in measuring.outputs if o.get("output_type") == "stream")
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"{path.name}: the measuring cell printed no result:\n{text[-2000:]}")
    controls = json.loads(line[len(MARKER):])
    for entry in controls:
        times = entry["times_ms"]
        if times:
            entry["median_ms"] = statistics.median(times)
            entry["slowest_ms"] = max(times)
            entry["within_budget"] = (entry["median_ms"] <= BUDGET_MEDIAN_MS
                                      and entry["slowest_ms"] <= BUDGET_SLOWEST_MS and not entry["errors"])
    measured = [e for e in controls if e["times_ms"]]
    all_times = [t for e in measured for t in e["times_ms"]]
    return {
        "notebook": path.name,
        "path": _display_path(path),
        "controls": len(controls),
        "measured_controls": len(measured),
        "moves": len(all_times),
        "median_ms": statistics.median(all_times) if all_times else None,
        "slowest_ms": max(all_times) if all_times else None,
        "worst_control_median_ms": max((e["median_ms"] for e in measured), default=None),
        "errors": sum(len(e["errors"]) for e in controls),
        "within_budget": bool(measured) and all(e["within_budget"] for e in measured)
                         and len(measured) == len(controls),
        "kernel_start_s": round(kernel_start_s, 2),
        "execute_s": round(elapsed, 2),
        "measure_s": round(measuring_s, 2),
        "per_control": controls,
        "measured_at": datetime.datetime.now().isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "load_average_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:  # a notebook outside the repository (e.g. an older version of a lesson)
        return str(path)


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _resolve(args) -> list[Path]:
    paths = [Path(p).resolve() for p in args.paths]
    for nn in args.notebook or []:
        found = sorted((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))
        if not found:
            raise SystemExit(f"--notebook {nn}: no notebooks/{nn}_*.ipynb")
        paths += found
    return paths or sorted((ROOT / "notebooks").glob("*.ipynb"))


def _fmt(ms):
    return "-" if ms is None else f"{ms:.0f}"


def print_report(results, baseline=None):
    base = {r["notebook"]: r for r in (baseline or {}).get("notebooks", [])}
    print(f"budget per control: median <= {BUDGET_MEDIAN_MS:.0f} ms, slowest <= {BUDGET_SLOWEST_MS:.0f} ms "
          f"(kernel-side, value change -> observers solved and redrawn)")
    head = (f"{'notebook':32s} {'controls':>8s} {'moves':>5s} {'median ms':>9s} {'slowest ms':>10s} "
            f"{'errors':>6s}  budget")
    if base:
        head += "      baseline median/slowest ms  ratio (median)"
    print(head)
    for r in results:
        line = (f"{r['notebook']:32s} {r['controls']:8d} {r['moves']:5d} {_fmt(r['median_ms']):>9s} "
                f"{_fmt(r['slowest_ms']):>10s} {r['errors']:6d}  {'met' if r['within_budget'] else 'NOT met'}")
        b = base.get(r["notebook"])
        if b and b.get("median_ms") and r.get("median_ms"):
            line += (f"   {_fmt(b['median_ms']):>8s} / {_fmt(b['slowest_ms']):<8s}"
                     f"  x{r['median_ms'] / b['median_ms']:.2f}")
        print(line)
        for e in r["per_control"]:
            if "skipped" in e:
                print(f"    {e['control']:40s} skipped: {e['skipped']}")
                continue
            print(f"    {e['control'] + ' in ' + e['owner']:58s} median {_fmt(e['median_ms']):>5s} ms, "
                  f"slowest {_fmt(e['slowest_ms']):>5s} ms  {'ok' if e['within_budget'] else 'OVER BUDGET'}"
                  + (f"  errors: {e['errors'][:2]}" if e["errors"] else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebook files (default: notebooks/*.ipynb)")
    parser.add_argument("--notebook", nargs="+", metavar="NN", help="measure notebooks/NN_*.ipynb only")
    parser.add_argument("--values", type=int, default=6, help="values per control (plus the return move)")
    parser.add_argument("--repeats", type=int, default=1, help="passes over the values (later ones hit caches)")
    parser.add_argument("--baseline", type=Path, help="a saved JSON to compare with, side by side")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON file (default {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    if args.values < 1 or args.repeats < 1:
        parser.error("--values and --repeats must be positive")
    results = []
    for path in _resolve(args):
        print(f"measuring {path.name} ...", flush=True)
        results.append(measure_notebook(path, args.values, args.repeats))
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    print_report(results, baseline)

    saved = json.loads(args.output.read_text()) if args.output.exists() else {}
    by_name = {r.get("path", r["notebook"]): r for r in saved.get("notebooks", [])}
    by_name.update({r["path"]: r for r in results})
    saved.update({
        "benchmark": "benchmarks/bench_widgets.py",
        "budget": {"median_ms": BUDGET_MEDIAN_MS, "slowest_ms": BUDGET_SLOWEST_MS},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "notebooks": [by_name[k] for k in sorted(by_name)],
    })
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(saved, indent=1) + "\n")
    print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
