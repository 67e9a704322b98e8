"""The chat score card and `kpibot score` give the same totals, in the same words (issue 11).

Figures checked by hand from the documents: 001 individual (Σข 90, 001:L67, L76-L78, L87, L88, L98) and
003 team KPI 4 without the unit's case (003:L64).
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import yaml

from bot.cli.main import main
from handlers.ports import NewSubmission, Unit
from scoring.evaluate import evaluate
from scoring.thaidate import BANGKOK

from .conftest import Chat

DAY = date(2024, 6, 10)  # FY2567 round 2, the round of seed 001
IND_001 = "chonburi-2567-r2-individual"
TEAM_003 = "buriram-2565-r2-team"


def _unit_with_agreement(store, unit_id: str, name: str, catalog: str, fy: int, start: date, end: date,
                         cases: dict[str, str] | None = None) -> int:
    store.put_unit(Unit(unit_id, name, "district"))
    person = store.add_person("ผู้ทดสอบ", "reporter", unit_id)
    store.link_identity(person.id, "console", str(person.id))
    store.assign_agreement(catalog, unit_id, fy, 2, start, end, cases=cases)
    return person.id


def _report(store, person: int, unit_id: str, catalog: str, figures: dict[str, dict], catalogs, day: date,
            cases: dict[str, str] | None = None) -> None:
    for i, (kpi_id, inputs) in enumerate(figures.items()):
        level = evaluate(catalogs[catalog].kpi(kpi_id), inputs, case=(cases or {}).get(kpi_id)).level
        store.add_submission(NewSubmission(person, unit_id, catalog, kpi_id, "round", inputs, level, "console",
                                           f"m{i}", datetime.combine(day, time(9, i), BANGKOK)))


def _cli_lines(capsys, tmp_path: Path, catalog: str, unit: str, figures: dict[str, dict],
               cases: dict[str, str] | None = None) -> list[str]:
    path = tmp_path / "inputs.yaml"
    path.write_text(yaml.safe_dump({"unit": unit, "kpis": figures, "cases": cases or {}}, allow_unicode=True),
                    encoding="utf-8")
    assert main(["score", catalog, "--inputs", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    return out[2 + next(i for i, line in enumerate(out[2:]) if not line[:1].isdigit()):]  # after the table


def _card_totals(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[1 + max(i for i, line in enumerate(lines) if line.startswith("ตชว.")):]


# KPI 2 "ไม่น้อยกว่าร้อยละ 6" → 5; KPI 6 download 95 → 3; KPI 7 ร้อยละ 85 with the awareness step → 5
FIGURES_001 = {"i2": {"percent": "6"}, "i6": {"posts": "1", "channels": "2", "download": "95"},
               "i7": {"percent": "85", "steps": ["awareness"]}}


def test_001_card_and_cli_agree_on_raw_and_normalised_totals(store, catalogs, capsys, tmp_path):
    person = _unit_with_agreement(store, "chonburi-kohsichang", "เกาะสีชัง", IND_001, 2567,
                                  date(2024, 4, 1), date(2024, 9, 30))
    _report(store, person, "chonburi-kohsichang", IND_001, FIGURES_001, catalogs, DAY)
    card = Chat(store, catalogs, DAY).text(person, "คะแนนปัจจุบัน")
    assert "ตชว.1 " in card and "ยังไม่รายงาน (น้ำหนัก 10)" in card  # its own KPI-1 row (i1k, L67)
    totals = _card_totals(card)
    # Σค = 20×5 + 10×3 + 10×5 = 180; Σข = 90; raw 180 / 5 = 36.00; against 90: 180 × 100 / 90 / 5 = 40.00
    # (ต้องปรับปรุง, below 60); best: KPIs 1, 3, 4, 5 (50) at 5 → 430 / 5 = 86.00, 430 × 100 / 90 / 5 = 95.56
    assert totals[0] == "รวม 36.00 คะแนน (ผลรวม ค = 180 ÷ 5 จากน้ำหนักรวม 90) เฉลี่ย 1.80/5"
    assert totals[1] == "คิดเทียบน้ำหนักที่มี 40.00 คะแนน (ระดับต้องปรับปรุง คิดเทียบน้ำหนักที่มี)"
    assert "90" in totals[2] and totals[2].endswith("ค่ะ")
    assert "สูงสุดที่ยังเป็นไปได้ 86.00 คะแนน (คิดเทียบน้ำหนักที่มี 95.56 ระดับคุณภาพ)" in totals[3]
    assert _cli_lines(capsys, tmp_path, IND_001, "เกาะสีชัง", FIGURES_001) == totals


FIGURES_003 = {"t2": {"percent": "96"}, "t4": {"recovered": "40", "funds_percent": "40"}}


def test_003_team_card_without_the_units_case_says_which_case_as_the_cli_does(store, catalogs, capsys, tmp_path):
    person = _unit_with_agreement(store, "buriram-mueang", "เมืองบุรีรัมย์", TEAM_003, 2565,
                                  date(2022, 4, 1), date(2022, 9, 30))
    day = date(2022, 6, 10)
    _report(store, person, "buriram-mueang", TEAM_003, FIGURES_003, catalogs, day)
    card = Chat(store, catalogs, day).text(person, "คะแนนปัจจุบัน")
    assert "ตชว.4 " in card and "รอระบุกรณี (น้ำหนัก 15)" in card
    totals = _card_totals(card)
    # KPI 2 (L59, ๑๕) "มากกว่าร้อยละ ๙๕": 96 → 5, ค = 75; KPI 4 (๑๕) does not count without its case
    assert totals[0] == "รวม 15.00 คะแนน (ระดับต้องปรับปรุง) เฉลี่ย 0.75/5 · ผลรวม ค = 75"
    assert "(รหัส defaulted)" in totals[1] and "(รหัส normal)" in totals[1]
    assert totals[2].startswith("คะแนนเท่าที่มี ยังไม่ครบ (ยังไม่รายงาน 6 ตัวชี้วัด · รอระบุกรณี 1 ตัวชี้วัด)")
    assert _cli_lines(capsys, tmp_path, TEAM_003, "เมืองบุรีรัมย์", FIGURES_003) == totals


def test_003_team_card_with_the_units_case_counts_kpi4(store, catalogs, capsys, tmp_path):
    person = _unit_with_agreement(store, "buriram-mueang", "เมืองบุรีรัมย์", TEAM_003, 2565,
                                  date(2022, 4, 1), date(2022, 9, 30), cases={"t4": "normal"})
    day = date(2022, 6, 10)
    _report(store, person, "buriram-mueang", TEAM_003, FIGURES_003, catalogs, day, {"t4": "normal"})
    card = Chat(store, catalogs, day).text(person, "คะแนนปัจจุบัน")
    totals = _card_totals(card)
    # KPI 4, normal case (L64): 40 ≥ ๒๐ at level 3, level 4 needs the debt report → 3, ค = 45; Σค = 75 + 45
    assert totals[0] == "รวม 24.00 คะแนน (ระดับต้องปรับปรุง) เฉลี่ย 1.20/5 · ผลรวม ค = 120"
    assert "รอระบุกรณี" not in card
    assert _cli_lines(capsys, tmp_path, TEAM_003, "เมืองบุรีรัมย์", FIGURES_003, {"t4": "normal"}) == totals
