"""`kpibot level` start to finish, as a coordinator types it: the wall time of the subprocess call.

Target (issue 11): under 0.5 s a call on this machine. Before issue 11 a call by catalog id took
1.3-1.7 s wall (1.2 s CPU) on a quiet machine and 2.7 s at load 4.7: every call parsed all 12
catalogs with PyYAML's pure-Python loader and imported the chat understanding and the store for
commands it did not run. After: 0.25-0.3 s wall quiet (0.3 s CPU), 0.55-0.85 s at load 4-5. Now the catalog is found by its `id:` line and composed
with libyaml, and only the command's own module is imported. The figures: the median and the
slowest of a few calls (by catalog id, the slow path before), what the same call costs in process
(catalog load only), and the YAML reading of all catalogs with libyaml against the pure-Python
loader (ratio).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
CALLS = (  # (label, argv after `kpibot`)
    ("002 team KPI 1 by id", ["level", "yala-2568-r2-district-team", "1", "95"]),
    ("004 d3u for ยะลา by id", ["level", "dsdw-2566-r2-department", "d3u", "5000", "--unit", "ยะลา"]),
)
RUNS = 5


def _command() -> list[str]:
    """The installed `kpibot` script (what a coordinator runs), else the module."""
    script = Path(sys.executable).parent / "kpibot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli.main"]


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU time hardly depends on what else the machine runs."""
    env = {**os.environ, "PYTHAINLP_READ_ONLY": "1"}
    cpu, start = _cpu_children(), time.perf_counter()
    done = subprocess.run([*_command(), *argv], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"cli bench: kpibot {' '.join(argv)} failed:\n{done.stderr}")
    return elapsed, _cpu_children() - cpu


def _read_all(loader: type) -> float:
    files = sorted((ROOT / "data" / "catalogs").glob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    start = time.perf_counter()
    for text in texts:
        yaml.compose(text, Loader=loader)
    return time.perf_counter() - start


def main() -> None:
    load = os.getloadavg()[0]
    for label, argv in CALLS:
        _wall(argv)  # warm the file cache and the .pyc files
        runs = [_wall(argv) for _ in range(RUNS)]
        times = sorted(w for w, _c in runs)
        median, cpu = statistics.median(times), statistics.median(c for _w, c in runs)
        verdict = "ok" if median < TARGET_S else "SLOW"
        print(f"cli: kpibot level ({label}): median {median:.2f} s wall ({cpu:.2f} s CPU), slowest "
              f"{times[-1]:.2f} s of {RUNS} calls; target < {TARGET_S} s: {verdict} ({median / TARGET_S:.0%} of it)")
    if load > (os.cpu_count() or 1):
        print(f"cli: load average {load:.1f} on {os.cpu_count()} cores while measuring: wall times are inflated "
              f"(CPU time is the steadier figure)")

    from scoring.loader import find_catalog

    start = time.perf_counter()
    find_catalog("dsdw-2566-r2-department")
    print(f"cli: find_catalog by id (004 r2, 47 KB, its target table too): "
          f"{(time.perf_counter() - start) * 1000:.0f} ms in process")
    fast = getattr(yaml, "CSafeLoader", None)
    slow = _read_all(yaml.SafeLoader)
    if fast is None:
        print(f"cli: YAML of all catalogs: {slow * 1000:.0f} ms (PyYAML without libyaml: no C loader)")
        return
    quick = _read_all(fast)
    print(f"cli: YAML of all 12 catalogs: libyaml {quick * 1000:.0f} ms, pure Python {slow * 1000:.0f} ms "
          f"({slow / quick:.1f}x)")


if __name__ == "__main__":
    main()
