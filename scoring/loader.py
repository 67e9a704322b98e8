"""Load catalog files: YAML -> validated Catalog, or a CatalogError with file:line problems.

`find_catalog` loads only the file asked for: by path, by file name, or by id, where the id is
found by reading each file's top-level `id:` line (a few microseconds a file) instead of parsing
every catalog. With libyaml (scoring/yamlread.py) one catalog loads in 10-60 ms on this machine,
so a `kpibot level` call is bounded by Python's and pydantic's start, not by the catalogs
(bench/cli_bench.py prints the figures).
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from .errors import CatalogError, Problem
from .includes import resolve_includes
from .model import Catalog
from .yamlread import line_of, read_yaml

_TH = {
    "missing": "ขาดช่อง “{field}” ซึ่งต้องมี",
    "extra_forbidden": "ไม่รู้จักช่อง “{field}” (สะกดผิดหรือไม่)",
    "literal_error": "ค่าของ “{field}” ต้องเป็นหนึ่งใน {expected}",
    "string_pattern_mismatch": "ค่าของ “{field}” มีรูปแบบไม่ถูกต้อง (ใช้อักษรอังกฤษตัวเล็ก ตัวเลข และ _)",
}


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(ทั้งไฟล์)"


def _problem(file: str, lines: dict, err: dict) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic reports union/discriminator steps and aliases; keep the path into the YAML tree
    line = line_of(lines, loc)
    ctx = err.get("ctx") or {}
    if err["type"] == "kpibot":
        th, en = ctx["th"], ctx["en"]
    else:
        template = _TH.get(err["type"], "ค่าของ “{field}” ไม่ถูกต้อง: {msg}")
        th = template.format(field=_field(loc), expected=ctx.get("expected", ""), msg=err["msg"])
        en = f"{_field(loc)}: {err['msg']}"
    return Problem(file, line, th, en, code=err["type"])


def _resolve_tables(data: Any, base: FsPath | None, file: str, problems: list[Problem]) -> None:
    """`targets: {file: ../tables/x.yaml, ...}` merges a shared target table into a KPI."""
    if not isinstance(data, dict):
        return
    for kpi in data.get("kpis") or []:
        targets = kpi.get("targets") if isinstance(kpi, dict) else None
        if not isinstance(targets, dict) or "file" not in targets:
            continue
        rel = targets.pop("file")
        path = (base / rel) if base else FsPath(rel)
        try:
            table_text = path.read_text(encoding="utf-8")
        except OSError:
            problems.append(Problem(file, None, f"เปิดไฟล์ตาราง {rel} ไม่ได้", f"cannot open table file {rel}"))
            continue
        table, _lines, table_problems = read_yaml(table_text, str(path))
        problems.extend(table_problems)
        if isinstance(table, dict):
            kpi["targets"] = {**table, **targets}


def parse_catalog(text: str, file: str = "<catalog>", base_dir: FsPath | None = None) -> Catalog:
    data, lines, problems = read_yaml(text, file)
    if problems and data is None:
        raise CatalogError(problems)
    resolve_includes(data, lines, base_dir, file, problems)  # before tables: an included KPI may name one
    _resolve_tables(data, base_dir, file, problems)
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem(file, lines, e) for e in exc.errors())
        raise CatalogError(problems) from None
    if problems:
        raise CatalogError(problems)
    return catalog


def load_catalog(path: str | FsPath) -> Catalog:
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError([Problem(str(path), None, f"เปิดไฟล์ไม่ได้: {exc.strerror}",
                                    f"cannot open file: {exc.strerror}")]) from None
    return parse_catalog(text, str(path), path.parent)


def catalog_dir() -> FsPath:
    """data/catalogs of this checkout (the catalogs ship with the source)."""
    return FsPath(__file__).resolve().parent.parent / "data" / "catalogs"


_LOADED: dict[tuple, dict[str, Catalog]] = {}


def _stamp(directory: FsPath) -> tuple:
    """What the catalogs of a folder are read from: its YAML files and the shared tables, by size and mtime."""
    files = sorted(directory.glob("*.yaml")) + sorted((directory.parent / "tables").glob("*.yaml"))
    return (str(directory.resolve()),) + tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def load_all(directory: str | FsPath | None = None) -> dict[str, Catalog]:
    """Every catalog of a folder by id. Parsed once per process while no file changes (a new dict each
    call; the catalogs themselves are never modified after loading)."""
    directory = FsPath(directory) if directory else catalog_dir()
    key = _stamp(directory)
    hit = _LOADED.get(key)
    if hit is None:
        catalogs = [load_catalog(p) for p in sorted(directory.glob("*.yaml"))]
        hit = {c.id: c for c in catalogs}
        if len(_LOADED) > 8:
            _LOADED.clear()
        _LOADED[key] = hit
    return dict(hit)


_TOP_ID = re.compile(r"^id:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)


def declared_id(text: str) -> str | None:
    """The catalog id a file declares on its top-level `id:` line, read without parsing the YAML."""
    match = _TOP_ID.search(text)
    return match.group(1) if match else None


def find_catalog(ref: str) -> Catalog | None:
    """A catalog by file path, by file name in data/catalogs, or by id; None when there is none.

    Only the matching file is parsed. A file whose `id:` line cannot be read that way (flow style)
    is still found: when no file declares the id, every catalog is loaded as before.
    """
    path = FsPath(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_catalog(path)
    files = sorted(catalog_dir().glob("*.yaml"))
    for candidate in files:
        if candidate.stem == ref:
            return load_catalog(candidate)
    for candidate in files:
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        if declared_id(text) == ref:
            catalog = parse_catalog(text, str(candidate), candidate.parent)
            if catalog.id == ref:
                return catalog
    if any(declared_id(p.read_text(encoding="utf-8")) is None for p in files):
        return load_all().get(ref)
    return None
