"""Read YAML into plain values, keeping the line of every key and item.

Floats become Decimal from their written text (93.50 keeps two decimals);
duplicate keys are errors. Lines are 1-based.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from .errors import Problem

Path = tuple[Any, ...]


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def read_yaml(text: str, file: str) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Return (data, lines by path, problems)."""
    problems: list[Problem] = []
    lines: dict[Path, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
        if n.tag == "tag:yaml.org,2002:float":
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
