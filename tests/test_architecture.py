"""The house rules, checked on the source (DESIGN.md "Rooms inside the floors"); plain AST scans, no imports.

- Floors: scoring/ imports nothing from handlers/ or bot/; handlers/ nothing from bot/.
- Rooms: bot/channels/ never imports bot/store/, bot/cli/, bot/exports/ or bot/reminders/; only bot/run/ and bot/cli/ import bot.run.
- SQL (``.execute(``, ``executemany(``, SELECT/INSERT/UPDATE/DELETE in a string) only under bot/store/.
- No import circles between our modules (imports inside functions count; ``if TYPE_CHECKING:`` ones do not).
- No ``from x import _private`` across modules, no private modules of libraries (``telegram._utils``).
- handlers/ports.py's ``Store`` declares every method the conversation (handlers/**) calls on its store,
  and bot/store's SqliteStore implements every declared method with the declared parameters.

The allow-lists below hold what still breaks a rule while it is being moved; they only shrink: a test
also fails when an entry no longer breaks its rule, so a fixed file leaves the list at once.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scoring", "handlers", "bot")

# -- allow-lists: each entry names who is moving it; the lead empties them -----------------------------
SQL_OUTSIDE_STORE: set[str] = set()
IMPORTS_BOT_RUN = {  # a channel or the engine reaching the runtime instead of a small protocol
    ("bot.reminders.engine", "bot.run.runtime"),  # helper C (reminders engine)
}
PRIVATE_LIBRARY_IMPORTS: set[tuple[str, str]] = set()


# -- the source as modules and imports ------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(encoding="utf-8"), str(modules()[name]))


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs (module level or inside functions), skipping ``if TYPE_CHECKING:`` blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking_only(child):
            for other in child.orelse:
                yield from _import_nodes(other)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _import_nodes(child)


def _base(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` reads from."""
    if not node.level:
        return node.module or ""
    package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


@cache
def imports(name: str) -> tuple[tuple[str, str | None], ...]:
    """(module imported, name taken from it or None) for each import in module ``name``; a
    ``from pkg import sub`` of a submodule counts as importing ``pkg.sub``."""
    found: list[tuple[str, str | None]] = []
    for node in _import_nodes(tree(name)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
            continue
        base = _base(name, node)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.append((sub, None) if sub in modules() else (base, alias.name))
    return tuple(found)


def _ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _in(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


def edges() -> Iterator[tuple[str, str, str | None]]:
    for name in modules():
        for target, taken in imports(name):
            yield name, target, taken


# -- the floors and rooms -------------------------------------------------------------------------------
@pytest.mark.parametrize(("room", "forbidden"), [
    ("scoring", ("handlers", "bot")),
    ("handlers", ("bot",)),
    ("bot.channels", ("bot.store", "bot.cli", "bot.exports", "bot.reminders")),  # adapters: the message model only
])
def test_a_room_imports_only_what_it_may(room, forbidden):
    wrong = sorted(f"{src} imports {dst}" for src, dst, _ in edges()
                   if _in(src, room) and any(_in(dst, f) for f in forbidden))
    assert wrong == []


def test_only_run_and_cli_import_bot_run():
    wrong = {(src, dst) for src, dst, _ in edges()
             if _in(dst, "bot.run") and not (_in(src, "bot.run") or _in(src, "bot.cli"))}
    assert sorted(wrong - IMPORTS_BOT_RUN) == []
    assert sorted(IMPORTS_BOT_RUN - wrong) == [], "fixed: remove these from IMPORTS_BOT_RUN"


# -- SQL only in the store ------------------------------------------------------------------------------
_SQL_CALL = re.compile(r"\.execute\(|executemany\(")
_SQL_WORDS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM")


def _runs_sql(name: str) -> bool:
    if _SQL_CALL.search(modules()[name].read_text(encoding="utf-8")):
        return True
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and any(w in n.value for w in _SQL_WORDS)
               for n in ast.walk(tree(name)))


def test_sql_only_under_bot_store():
    offenders = {modules()[name].relative_to(ROOT).as_posix() for name in modules()
                 if not _in(name, "bot.store") and _runs_sql(name)}
    assert sorted(offenders - SQL_OUTSIDE_STORE) == []
    assert sorted(SQL_OUTSIDE_STORE - offenders) == [], "fixed: remove these from SQL_OUTSIDE_STORE"


def test_the_sql_check_sees_sql():
    probe = ast.parse('db.execute("SELECT 1")')
    assert any(isinstance(n, ast.Constant) and "SELECT " in n.value for n in ast.walk(probe))
    assert _SQL_CALL.search('store.db.execute("x")') and _SQL_CALL.search("conn.executemany(q, rows)")


# -- no circles, no private names -----------------------------------------------------------------------
def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), on our modules only."""
    graph = {name: sorted({dst for dst, _ in imports(name) if dst in modules() and dst != name})
             for name in modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(groups)


def test_no_import_circles():
    assert _cycles() == []


def test_no_private_names_imported_across_modules():
    wrong = sorted(f"{src}: from {dst} import {taken}" for src, dst, taken in edges()
                   if taken is not None and taken.startswith("_") and not taken.startswith("__"))
    assert wrong == []


def test_no_private_library_modules():
    found = {(src, dst) for src, dst, _ in edges()
             if not _ours(dst) and any(part.startswith("_") for part in dst.split(".")[1:])}
    assert sorted(found - PRIVATE_LIBRARY_IMPORTS) == []
    assert sorted(PRIVATE_LIBRARY_IMPORTS - found) == [], "fixed: remove these from PRIVATE_LIBRARY_IMPORTS"


# -- ports.Store is what the conversation calls ---------------------------------------------------------
def _store_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters annotated ``Store`` (besides the usual name ``store``)."""
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    return {a.arg for a in args if a.annotation is not None and "Store" in ast.unparse(a.annotation)}


def store_calls(source: str) -> set[str]:
    """Attributes used on a store in ``source``: ``store.x``, ``self.store.x``, ``ctx.store.x``, a parameter
    annotated Store, and ``getattr``/``hasattr(store, "x")`` (asking a store what it can do is a call too)."""
    module = ast.parse(source)
    names = {"store"}
    for fn in ast.walk(module):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            names |= _store_names(fn)

    def is_store(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in names) or (
            isinstance(node, ast.Attribute) and node.attr == "store")

    used = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and is_store(node.value):
            used.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and node.args and is_store(node.args[0])):
            second = node.args[1] if len(node.args) > 1 else None
            used.add(second.value if isinstance(second, ast.Constant) else f"<{node.func.id}>")
    return used


def _declared() -> set[str]:
    from handlers.ports import Store

    return {m for m in vars(Store) if not m.startswith("_")}


def test_every_store_call_of_the_conversation_is_declared_in_ports():
    used: dict[str, set[str]] = {}
    for name, path in modules().items():
        if _in(name, "handlers"):
            for attr in store_calls(path.read_text(encoding="utf-8")):
                used.setdefault(attr, set()).add(path.relative_to(ROOT).as_posix())
    assert {attr: sorted(files) for attr, files in used.items() if attr not in _declared()} == {}
    assert len(used) >= 15  # the scan sees the conversation's calls


def test_the_store_call_scan_catches_an_undeclared_call():
    source = ("def f(self, ctx, db: Store):\n    self.store.unit('x'); ctx.store.db.execute('')\n"
              "    db.vacuum(); hasattr(store, 'create_link_code')\n")
    assert store_calls(source) == {"unit", "db", "vacuum", "create_link_code"}
    assert {"db", "vacuum"} - _declared() == {"db", "vacuum"}


def test_sqlite_store_implements_every_declared_method():
    from bot.store.sqlite import SqliteStore
    from handlers.ports import Store

    wrong = []
    for member in sorted(_declared()):
        implemented = getattr(SqliteStore, member, None)
        if implemented is None:
            wrong.append(f"{member}: missing")
            continue
        declared = inspect.signature(getattr(Store, member)).parameters
        actual = inspect.signature(implemented).parameters
        for param in declared.values():
            got = actual.get(param.name)
            if got is None or got.kind != param.kind or (got.default is inspect.Parameter.empty) != (
                    param.default is inspect.Parameter.empty):
                wrong.append(f"{member}({param.name})")
    assert wrong == []
