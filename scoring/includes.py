"""`include:` in a KPI: take a KPI of another catalog file, then apply this KPI's own keys.

One document often prints one detail sheet for several agreements (002:L113-127, L264-268; 004 §6.4
reuses the division sheets at unit level). Writing the sheet once keeps one source: a catalog of the
other agreement includes it and states only what differs (number, weight, group, notes).

Guarantees:
- Runs on the plain YAML values, before validation: the merged KPI is validated like any other.
- A key given next to `include` replaces the included key entirely (lists and mappings are not merged):
  `notes: [...]` replaces the sheet's notes, `weights: {}` drops division weight tables, `weight: null`
  drops a weight.
- A `targets: {file: ...}` of the included KPI keeps pointing at its file (made relative to the
  including catalog's folder when both are in one folder, absolute otherwise).
- An included KPI may not itself include (no chains, no cycles). Problems name the including file
  and the line of its `include:`.
- Each source file is read once per process and (path, modification time, size); callers get a copy.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path as FsPath
from typing import Any

from .errors import Problem
from .yamlread import Path, line_of, read_yaml

_CACHE: dict[tuple[str, int, int], tuple[Any, list[Problem]]] = {}


def _read(path: FsPath) -> tuple[Any, list[Problem]]:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    hit = _CACHE.get(key)
    if hit is None:
        data, _lines, problems = read_yaml(path.read_text(encoding="utf-8"), str(path))
        hit = _CACHE[key] = (data, problems)
    return copy.deepcopy(hit[0]), list(hit[1])


def _problem(file: str, line: int | None, th: str, en: str) -> Problem:
    return Problem(file, line, th, en, code="include")


def resolve_includes(data: Any, lines: dict[Path, int], base: FsPath | None, file: str,
                     problems: list[Problem]) -> None:
    """Replace every `{include: {file, kpi}, ...}` item of `kpis` by the merged KPI, in place."""
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), list):
        return
    for index, item in enumerate(data["kpis"]):
        if not isinstance(item, dict) or "include" not in item:
            continue
        line = line_of(lines, ("kpis", index, "include"))
        spec = item.pop("include")
        if not (isinstance(spec, dict) and isinstance(spec.get("file"), str) and isinstance(spec.get("kpi"), str)
                and set(spec) == {"file", "kpi"}):
            problems.append(_problem(file, line, "include ต้องเป็น {file: ไฟล์แค็ตตาล็อก, kpi: รหัสตัวชี้วัด}",
                                     "include must be {file: catalog file, kpi: KPI id}"))
            continue
        path = (base / spec["file"]) if base else FsPath(spec["file"])
        try:
            source, source_problems = _read(path)
        except OSError:
            problems.append(_problem(file, line, f"เปิดไฟล์ {spec['file']} ไม่ได้", f"cannot open {spec['file']}"))
            continue
        if source_problems:
            problems.extend(source_problems)
            continue
        kpis = source.get("kpis") if isinstance(source, dict) else None
        found = next((k for k in kpis or [] if isinstance(k, dict) and k.get("id") == spec["kpi"]), None)
        if found is None:
            problems.append(_problem(file, line, f"ไม่มีตัวชี้วัด “{spec['kpi']}” ใน {spec['file']}",
                                     f"no KPI {spec['kpi']!r} in {spec['file']}"))
            continue
        if "include" in found:
            problems.append(_problem(file, line, f"ตัวชี้วัด “{spec['kpi']}” ใน {spec['file']} ใช้ include อยู่แล้ว",
                                     f"KPI {spec['kpi']!r} of {spec['file']} itself includes (no chains)"))
            continue
        targets = found.get("targets")
        if isinstance(targets, dict) and isinstance(targets.get("file"), str):
            table = path.parent / targets["file"]
            here = base.resolve() if base else FsPath.cwd()
            if path.parent.resolve() != here:
                targets["file"] = os.path.abspath(table)
        data["kpis"][index] = {**found, **item}
