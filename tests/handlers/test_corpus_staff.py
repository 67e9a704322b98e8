"""The staff corpus (corpus_staff.yaml): 699 messages as field officers, chiefs and coordinators type
them, labelled from the KPI documents independently of the understanding code.

A message is fully right when its intent, KPI (or KPIs), every stated input, period, unit, day count and
"ask back" all match its labels. The suite holds the measured accuracy as a floor (it may only rise) and
holds two safety properties without exception: a message that is not a report never becomes a report
with figures placed, and a figure is never placed in an input whose unit contradicts the label's.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.nlu import understand, warm_up
from scoring.loader import load_all

HERE = Path(__file__).parent
# corpus file -> floor of "fully right" (it may only rise). Each later corpus was written by someone who had not
# read the understanding code, to measure it on messages it was not tuned on. First readings: corpus_staff_2.yaml
# (200 messages) 82.0 %, corpus_staff_3.yaml (250, with seed 004) 82.4 %, corpus_staff_4.yaml (200, with 004 round
# 2 and a chief's section) 73.5 %. Then the general fixes their misses showed: 98.5 %, 92.4 %, 90.0 %;
# corpus_staff.yaml (699): 98.3 %. corpus_staff_5.yaml (200, five senders new to the corpora, incl. 002's province
# agreement): 79.0 % on first reading, 80.5 % after fixing its two unsafe readings (a donation, a target). Then the
# general causes its misses showed (a subject word two KPIs share asked back, a word that labels the previous KPI's
# input, the KPI words the catalogs lacked, photos shared elsewhere, everyday words for help/mute/snooze/cancel/
# missing/trend, units named by a per-unit target table, ranks and deadline dates that are no figures or periods,
# a slash list of figures in different units): corpus_staff.yaml 99.4 %, _2 99.5 %, _3 97.2 %, _4 95.0 %, _5 98.5 %.
# corpus_staff_6.yaml (160, four senders new to the corpora: พานทอง, บ่อทอง, กรงปินัง, คูเมือง; seeds 001-003):
# 92.5 % on first reading (1 needless ask, 1 unsafe reading: a time of day "บ่ายสาม" placed as a figure); then
# 99.375 % after fixing a time of day in words, "แปรรูป"/"รูปแบบ" read as photos, "เงียบเตือน", the day of a
# date-input KPI read as chat, a snapshot date's figure ("ณ 1 ต.ค. 64 …") as the base one, a KPI's word as its
# own figure's unit ("ข่าว 16 ข่าว จปฐ. …"), "ปชส. ความ…" read as ส.ค., a threshold after a figure ("ต่ำกว่า 5
# แล้ว"), "ใครยังไม่ได้มาเอา" read as missing, a month in a request about the bot, and a figure typed with the
# sender's own unit name only ("ของพานทองตอนนี้ 87"): the other five corpora unchanged.
# corpus_staff_7.yaml (150, three senders new to the corpora: พมจ.เชียงใหม่ (004 r2), พมจ.สงขลา (004 r1), the Yala
# provincial KPI coordinator (002 province)): 87.3 % on first reading (3 needless asks, 1 unsafe reading: a
# correction "58 ครัวเรือน ไม่ใช่ 85 … แก้ให้ด้วย" read as a new report; 1 label corrected: 004 r1 d4 has no
# inputs); then 99.33 % after fixing "แก้ให้ด้วย", the province เลย read in "ได้เลย", questions on the evidence
# a KPI needs read as sending it, "ยังไม่มีข้อมูล"/"ยังไม่มีใครกรอก" as missing, "หลุดเกณฑ์" read as criteria,
# "เชิญทุกท่าน" read as invite, "ของ ก.พ."/"e-learning ก.พ." read as February, a named system after จาก read
# as a base ("จาก e-report 4.0"), "รวมทั้งจังหวัดเป็น" as a total, "ครบ 2 ครั้ง 35 ราย" (ครั้ง read as the
# label of 35), "ยินดีกับ" as chat, photos in the chat group with a KPI word, the aliases "MSO Logbook" and
# "ไฟลด": corpus_staff_4.yaml 96.0 % (was 95.0), the other five unchanged.
# corpus_staff_8.yaml (180, five senders new to the corpora on seeds 000, 001, 003: จัตุรัส, เมืองชลบุรี, เกาะจันทร์,
# พุทไธสง, ละหานทราย): 94.4 % on first reading, no needless ask, 1 unsafe reading (a savings-circle payment
# "ค่าแชร์ 1,000" placed as posts). corpus_staff_9.yaml (170, five senders new: Yala's provincial work groups on the
# 002 group sets, Yala's deputy chief, DSDW ภูเก็ต (004 r1) and นครสวรรค์ (004 r2), a DSDW department division):
# 90.0 % on first reading, 4 needless asks, 1 unsafe reading (an event's dates "5-7 ก.ย." placed as channels).
# Then, after the general causes their misses showed (a colleague addressed by name, event notices, praise passed
# on, lost things, money among colleagues, a place in chat named as no unit, "แก้ว" read as แก้, "ยกเลิกการปิด
# เตือน" read as mute, "ยังไม่ได้กรอก"/"ว่างตัวไหน"/"อำเภอไหนไม่ส่ง" as missing, "สอนหน่อย" as help, a sender's own
# "เดี๋ยวส่ง pdf ให้" as export, a scale's maximum "เต็ม 10" as a figure, "ปชส.ความ" as ส.ค., done for a KPI a
# reviewer levels, the department's budget words): corpus_staff_8.yaml 97.8 %, _9 97.6 % (2 needless asks);
# corpus_staff_7.yaml 100 %, the other six unchanged. corpus_staff_10.yaml (150, five senders new: เกษตรสมบูรณ์,
# หนองใหญ่, เมืองยะลา in August, บ้านกรวด, DSDW สุรินทร์; hurried phone typing without spaces, figures in words,
# several KPIs line by line): 96.0 % on first reading, 1 needless ask (a masked phone number "038-166-xxx ต่อ 14");
# then 98.0 % after "อาทิตย์นึง" as 7 days, files sent "ทางไลน์" as shared elsewhere, and the masked phone.
FLOORS = {"corpus_staff.yaml": 0.99, "corpus_staff_2.yaml": 0.995, "corpus_staff_3.yaml": 0.97,
          "corpus_staff_4.yaml": 0.96, "corpus_staff_5.yaml": 0.985, "corpus_staff_6.yaml": 0.99,
          "corpus_staff_7.yaml": 0.99, "corpus_staff_8.yaml": 0.985, "corpus_staff_9.yaml": 0.975,
          "corpus_staff_10.yaml": 0.975, "corpus_staff_11.yaml": 0.975,
          "corpus_staff_12.yaml": 0.95, "corpus_staff_13.yaml": 0.91}
CORPUS_FILE = os.environ.get("CORPUS_FILE", "corpus_staff.yaml")  # tools re-use read/want/compare on either
CORPUS = yaml.safe_load((HERE / CORPUS_FILE).read_text(encoding="utf-8"))


def _cases(corpus: dict[str, Any] | None = None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    corpus = corpus if corpus is not None else CORPUS
    return [(section, m) for section in corpus["sections"] for m in section["messages"]]


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def read(section: dict[str, Any], message: dict[str, Any], catalogs) -> dict[str, Any]:
    """What the bot understood, in the labels' terms."""
    ids = section["catalogs"]
    # as the conversation does: only the KPIs that apply to the sender's unit (001 KPI 1 has a เกาะสีชัง row)
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis if k.applies(section["unit"])]
    units = [section["unit"]] + [u for cid in ids for u in catalogs[cid].units]
    today = section["today"] if isinstance(section["today"], date) else date.fromisoformat(section["today"])
    u = understand(message["t"], kpis, today, units)
    got: dict[str, Any] = {"intent": u.intent, "ask": u.ask, "period": u.period,
                           "unit": u.unit if u.unit != section["unit"] else None}
    if len(u.reports) >= 2:
        got["reports"] = [(d.kpi.kpi_id, _plain(d.inputs)) for d in u.reports]
    else:
        got["kpi"] = u.kpi.kpi_id if u.kpi is not None else None
        got["inputs"] = _plain(u.reports[0].inputs) if u.reports else {}
    if message.get("days") is not None:
        got["days"] = u.days
    return got


def want(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"intent": message["intent"], "ask": bool(message.get("ask")),
                           "period": str(message["period"]) if message.get("period") else None,
                           "unit": message.get("unit")}
    if message.get("reports"):
        out["reports"] = [(r["kpi"], _plain(r.get("inputs") or {})) for r in message["reports"]]
    else:
        out["kpi"] = message.get("kpi")
        out["inputs"] = _plain(message.get("inputs") or {}) if message["intent"] in ("report", "correct") else {}
    if message.get("days") is not None:
        out["days"] = message["days"]
    return out


def _plain(inputs: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in inputs.items():
        try:
            out[k] = format(Decimal(str(v)).normalize(), "f")
        except ArithmeticError:
            out[k] = str(v)
    return out


def compare(got: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The labels that differ (inputs are only compared for reports and corrections)."""
    diff = []
    for key, value in wanted.items():
        if key == "inputs" and wanted["intent"] not in ("report", "correct"):
            continue
        if key == "kpi" and wanted["intent"] not in ("report", "correct", "criteria", "deadlines", "evidence"):
            continue
        if got.get(key) != value:
            diff.append(f"{key}: {got.get(key)!r} != {value!r}")
    return diff


def test_corpus_is_large_and_varied():
    cases = _cases()
    assert len(cases) >= 600
    assert sum(1 for _s, m in cases if m["intent"] != "report" or m.get("ask")) >= 100
    assert len({s["name"] for s in CORPUS["sections"]}) >= 3


def _level(catalogs, section: dict[str, Any], kpi_id: str, inputs: dict[str, str]) -> int | None:
    """The level a card would show for these inputs (None when they are not enough to score)."""
    from scoring.evaluate import evaluate

    kpi = next((catalogs[c].kpi(kpi_id) for c in section["catalogs"] if catalogs[c].kpi(kpi_id)), None)
    if kpi is None or kpi.rubric.steps or kpi.rubric.reviewer:
        return None
    try:
        return evaluate(kpi, dict(inputs), unit=section["unit"]).level
    except Exception:  # noqa: BLE001 - missing inputs: the card would ask for them first
        return None


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_floor_and_safety(catalogs, name):
    wrong: list[str] = []
    unsafe: list[str] = []
    needless = 0
    wrong_level: list[str] = []
    cases = _cases(yaml.safe_load((HERE / name).read_text(encoding="utf-8")))
    for section, message in cases:
        got, wanted = read(section, message, catalogs), want(message)
        diff = compare(got, wanted)
        if got["ask"] and not wanted["ask"]:
            needless += 1
        # a card shows a level only for a report whose inputs are all there (else it asks for the rest first)
        if wanted["intent"] == "report" and wanted.get("kpi") and got.get("kpi") == wanted["kpi"] \
                and got["intent"] in ("report", "correct") and set(got.get("inputs") or {}) >= set(wanted["inputs"]) \
                and got.get("inputs") != wanted.get("inputs") and not got["ask"]:
            mine = _level(catalogs, section, wanted["kpi"], got["inputs"])
            truth = _level(catalogs, section, wanted["kpi"], wanted["inputs"])
            if mine is not None and truth is not None and mine != truth:
                wrong_level.append(f"{message['t']!r}: level {mine} shown, {truth} right")
        if diff:
            wrong.append(f"{message['t']!r}: " + "; ".join(diff))
        if wanted["intent"] != "report" and got["intent"] == "report" and (got.get("inputs") or got.get("reports")):
            unsafe.append(f"{message['t']!r} is not a report but figures were placed: {got}")
    right = 1 - len(wrong) / len(cases)
    print(f"\nstaff corpus: {right:.1%} fully right ({len(cases) - len(wrong)}/{len(cases)}), "
          f"needless questions back {needless / len(cases):.1%}, cards with a wrong level {len(wrong_level)}")
    assert not unsafe, "\n".join(unsafe)
    assert not wrong_level, "\n".join(wrong_level)
    assert right >= FLOORS[name], "\n".join(wrong)
