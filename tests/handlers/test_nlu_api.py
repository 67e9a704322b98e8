"""The understand() API as the conversation layer uses it, purity, and `kpibot parse`."""

from __future__ import annotations

import argparse
import ast
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.cli import parse as parse_cli
from handlers.nlu import understand
from scoring.loader import load_all

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 6, 10)
TEAM = "yala-2568-r2-district-team"


def _kpis(*ids: str):
    catalogs = load_all()
    return [(cid, k) for cid in ids for k in catalogs[cid].kpis]


def test_report_in_one_message():
    u = understand("รายงาน ตชว.1 เบิกจ่าย ๙๒.๕% พ.ค. 68 ครับ", _kpis(TEAM), TODAY)
    assert u.intent == "report" and not u.ambiguous
    assert (u.kpis[0].catalog_id, u.kpis[0].kpi_id, u.kpis[0].number, u.kpis[0].how) == (TEAM, "t1", "1", "number")
    assert u.values[0].value == Decimal("92.5") and u.values[0].percent
    assert u.inputs == {"percent": Decimal("92.5")}
    assert u.period == "2025-05"
    assert u.kpi is u.kpis[0]


def test_no_kpis_given():
    u = understand("รายงาน 90%", [], TODAY)
    assert u.intent == "report" and u.kpis == [] and u.values[0].value == 90


def test_unknown_kpi_number_is_noted():
    u = understand("ตชว.12 90%", _kpis(TEAM), TODAY)
    assert u.kpis == [] and "unknown_kpi_number:12" in u.notes


def test_invite_role_in_notes():
    u = understand("เชิญ พัฒนาการอำเภอ เบตง", [], TODAY, units=["เบตง", "ยะหา"])
    assert u.intent == "invite" and u.unit == "เบตง" and "role:chief" in u.notes


def test_nlu_is_pure():
    """handlers/nlu imports scoring, pythainlp and rapidfuzz only: never bot/, a channel SDK or sqlite."""
    forbidden = ("bot", "telegram", "linebot", "sqlite3", "sqlite_utils", "aiohttp")
    for path in (ROOT / "handlers" / "nlu").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    parse_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr()


def test_parse_cli_thai(capsys):
    code, out = _run(["parse", "ข้อ 3 ร้อยละ 92.5", "--today", "2025-06-10", "--catalog", TEAM,
                      "--catalog", "yala-2568-r2-district-individual"], capsys)
    assert code == 0
    assert "เจตนา: รายงานผล (report)" in out.out
    assert "กำกวม" in out.out and "t3" in out.out and "i3" in out.out


def test_parse_cli_json(capsys):
    code, out = _run(["parse", "เบิกจ่าย พ.ค. 68 92.5%", "--json", "--today", "2025-06-10", "--catalog", TEAM],
                     capsys)
    data = json.loads(out.out)
    assert code == 0 and data["intent"] == "report" and data["kpis"][0]["kpi"] == "t1"
    assert data["period"] == "2025-05" and data["inputs"] == {"percent": "92.5"}
    assert data["values"] == [{"value": "92.5", "percent": True, "text": "92.5%"}]


def test_parse_cli_unknown_catalog(capsys):
    code, out = _run(["parse", "x", "--catalog", "nope"], capsys)
    assert code == 2 and "nope" in out.err
