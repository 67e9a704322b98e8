"""Issue 14 in the chat, as a chief checks it: the province at a glance, the missing list, risk, trend,
charts and files (the real renderers of bot/exports behind handlers.ports.Renderer)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from bot.cli.demo import build
from bot.exports.renderer import ExportRenderer
from handlers.conversation import Conversation
from handlers.views.appraisal import missing_items, ranking

from .conftest import MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF, TODAY, Chat

DISTRICTS = ("กรงปินัง", "กาบัง", "ธารโต", "บันนังสตา", "เบตง", "เมืองยะลา", "ยะหา", "รามัน")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, catalogs):
    path = tmp_path_factory.mktemp("chief")
    store = build(str(path / "demo.sqlite3"), str(path / "evidence"), TODAY)  # with a few months of figures
    yield store
    store.close()


@pytest.fixture()
def chief(demo, catalogs):
    chat = Chat(demo, catalogs)
    chat.conversation = Conversation(demo, catalogs, ExportRenderer())
    return chat


def test_province_at_a_glance_ranks_districts_with_bands_and_then_its_own_card(chief, demo, catalogs):
    glance, own = chief.say(PROVINCE_CHIEF, "คะแนนปัจจุบัน")
    rows = ranking(demo, catalogs, demo.unit("yala"), TODAY)
    ranked = re.findall(r"^(\d+)\. (\S+) · ", glance.text, re.M)
    assert [name for _, name in ranked] == [r.unit for r in rows] and len(ranked) == 8
    assert "ยะลา" not in [name for _, name in ranked]  # never the parent among its children
    first = glance.text.splitlines()[3]
    assert f"ทีม {rows[0].team:.2f} {rows[0].team_band}" in first and f"บุคคล {rows[0].individual:.2f}" in first
    assert own.text.startswith("คะแนนปัจจุบัน ยะลา · ข้อตกลงของจังหวัดเอง")


def test_the_overview_never_ranks_the_province(chief):
    text = chief.text(PROVINCE_CHIEF, "คะแนนทุกอำเภอ")
    assert text.startswith("ภาพรวมคะแนน จังหวัดยะลา") and not re.search(r"^\d+\. ยะลา ", text, re.M)
    assert "เฉลี่ย" not in text


def test_a_district_chief_sees_the_district_card(chief):
    (card,) = chief.say(MUEANG_CHIEF, "คะแนนปัจจุบัน")
    assert card.text.startswith("คะแนนปัจจุบัน เมืองยะลา")


def test_missing_is_complete_grouped_in_three_parts_with_who(chief, demo, catalogs):
    replies = chief.say(PROVINCE_CHIEF, "ยังไม่ส่ง")
    text = "\n".join(r.text for r in replies)
    units = [demo.unit("yala-" + x) for x in ("mueang",)]
    assert units
    items = missing_items(demo, catalogs, [u for u in demo.units() if u.id != "yala"] + [demo.unit("yala")], TODAY)
    assert f"{len(items):,} รายการ" in replies[0].text
    assert text.count(" • ") == len(items)  # every item, none cut
    assert "▸ เมืองยะลา — นางสาวสุภาพร ใจดี" in text
    parts = [p for p in ("■ เลยกำหนด", "■ ภายใน 7 วัน", "■ ภายหลัง") if p in text]
    assert parts and [text.index(p) for p in parts] == sorted(text.index(p) for p in parts)
    assert "มิ.ย. 2568" in text and all(len(r.text) <= 3_600 for r in replies)


def test_a_long_missing_list_is_split_then_sent_as_excel(store, catalogs):
    chat = Chat(store, catalogs)  # no figures at all: many items
    chat.conversation = Conversation(store, catalogs, ExportRenderer())
    replies = chat.say(PROVINCE_CHIEF, "ยังไม่ส่ง")
    items = missing_items(store, catalogs, store.units(), TODAY)
    if len(replies) == 1 and replies[0].document:
        wb = openpyxl.load_workbook(io.BytesIO(replies[0].document))
        assert "รายการค้างส่ง" in wb.sheetnames
        rows = [r for r in wb["รายการค้างส่ง"].iter_rows(values_only=True) if r and r[0] in DISTRICTS + ("ยะลา",)]
        assert len(rows) == len(items)
    else:
        assert 1 < len(replies) <= 3 and sum(r.text.count(" • ") for r in replies) == len(items)
    plain = Chat(store, catalogs).say(PROVINCE_CHIEF, "ยังไม่ส่ง")  # no renderer: every message, never cut
    assert sum(r.text.count(" • ") for r in plain) == len(items)
    assert all(len(r.text) <= 3_600 for r in plain) and len(plain) > 1


def test_risk_lists_low_or_falling_levels_and_soon_items(chief):
    text = chief.text(PROVINCE_CHIEF, "ตัวชี้วัดไหนเสี่ยง")
    assert text.startswith("ตัวชี้วัดที่น่าเป็นห่วง")
    assert re.search(r"ระดับ \d ลดลงจากระดับ \d|ต่ำกว่าระดับ 3", text) and "ใกล้กำหนด" in text
    mine = chief.text(MUEANG_OFFICER, "ตัวชี้วัดไหนเสี่ยง")
    assert "เบตง" not in mine


def test_trend_month_by_month_with_a_chart(chief):
    (reply,) = chief.say(PROVINCE_CHIEF, "แนวโน้ม ตชว.1 เบตง")
    assert reply.text.startswith("แนวโน้ม ตชว.1 OTOP (รายบุคคล) · เบตง")
    assert "เม.ย. 2568:" in reply.text and "มิ.ย. 2568:" in reply.text and "ระดับ 3 ≥ 11" in reply.text
    assert reply.image[:4] == b"\x89PNG"
    each = chief.text(PROVINCE_CHIEF, "แนวโน้ม ตชว.1")  # the province's own is empty: its districts
    assert all(f"▸ {d}:" in each for d in DISTRICTS)


def test_charts_on_request(chief):
    (rank,) = chief.say(PROVINCE_CHIEF, "กราฟอันดับ")
    assert rank.image[:4] == b"\x89PNG" and rank.text.startswith("อันดับคะแนนจังหวัดยะลา")
    levels = chief.say(MUEANG_OFFICER, "กราฟ")
    assert len(levels) == 2 and all(r.image[:4] == b"\x89PNG" for r in levels)
    (trend,) = chief.say(MUEANG_OFFICER, "กราฟ ตชว.1")
    assert trend.image[:4] == b"\x89PNG" and "OTOP" in trend.text


def test_excel_and_pdf_files(chief):
    (xlsx,) = chief.say(PROVINCE_CHIEF, "ขอไฟล์ excel")
    assert xlsx.document_name.endswith(".xlsx") and "2568" in xlsx.document_name
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.document))
    summary = [c for row in wb["สรุปอันดับ"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert all(d in summary for d in DISTRICTS)
    (pdf,) = chief.say(PROVINCE_CHIEF, "ขอ pdf เบตง")
    assert pdf.document[:4] == b"%PDF" and pdf.document_name.endswith(".pdf") and "betong" in pdf.document_name
    (own,) = chief.say(MUEANG_OFFICER, "ขอ pdf เบตง")  # a reporter: their own unit only
    assert own.document is None and "ไม่มีสิทธิ์" in own.text


def test_without_a_renderer_the_answer_is_text(demo, catalogs):
    chat = Chat(demo, catalogs)
    assert "ส่งได้ทาง Telegram" in chat.text(PROVINCE_CHIEF, "กราฟ")
    assert all(r.document is None for r in chat.say(PROVINCE_CHIEF, "ขอไฟล์ excel"))


def test_in_a_group_phones_stay_private(chief, demo):
    from datetime import datetime, time

    from handlers.messages import Incoming
    from scoring.thaidate import BANGKOK

    demo.link_identity(PROVINCE_CHIEF, "telegram", "tg9")
    msg = Incoming(channel="telegram", sender="tg9", chat="G1", text="ยังไม่ส่ง", is_group=True,
                   sent_at=datetime.combine(TODAY, time(11, 0), BANGKOK), message_id="g1")
    text = "\n".join(r.text for r in chief.conversation.handle(msg))
    assert "โทร " not in text and "เบอร์โทรไม่แสดงในกลุ่ม" in text


def test_the_change_since_last_month_is_shown(store, catalogs):
    from datetime import date

    may = Chat(store, catalogs, today=date(2025, 5, 20))
    may.say(2, "รายงาน ตชว.1 เบิกจ่าย 100%")  # กาบัง's officer
    may.say(2, "ยืนยัน")
    june = Chat(store, catalogs)
    june.say(2, "แก้ไข 80%")
    june.say(2, "ยืนยัน")
    text = june.text(PROVINCE_CHIEF, "คะแนนทุกอำเภอ")
    line = text.splitlines()[text.splitlines().index(next(x for x in text.splitlines() if ". กาบัง" in x)) + 1]
    assert "▼" in line, text


def test_past_three_messages_the_missing_list_is_an_excel_file(store, catalogs, monkeypatch):
    from handlers.views import missing

    monkeypatch.setattr(missing, "MAX_MESSAGES", 1)  # the demo's 115 items fill 3 messages
    chat = Chat(store, catalogs)
    chat.conversation = Conversation(store, catalogs, ExportRenderer())
    (reply,) = chat.say(PROVINCE_CHIEF, "ยังไม่ส่ง")
    items = missing_items(store, catalogs, store.units(), TODAY)
    assert f"{len(items):,} รายการ" in reply.text and "ไฟล์ Excel" in reply.text and len(reply.text) < 600
    assert reply.document_name.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(reply.document))
    rows = [r for r in wb["รายการค้างส่ง"].iter_rows(values_only=True) if r and r[0] in DISTRICTS + ("ยะลา",)]
    assert len(rows) == len(items)


def _department(store, catalogs):
    """The demo province under a department, beside a second province of two districts; an admin at the
    department. Returns the admin's id."""
    from handlers.ports import Unit
    from scoring.rounds import round_of

    store.put_unit(Unit("cdd", "กรมการพัฒนาชุมชน", "department", None, {}))
    store.put_unit(Unit("yala", "ยะลา", "province", "cdd", {"staff": 14}))
    store.put_unit(Unit("pattani", "ปัตตานี", "province", "cdd", {"staff": 12}))
    current = round_of(TODAY)
    for uid, name in (("pattani-mueang", "เมืองปัตตานี"), ("pattani-nongchik", "หนองจิก")):
        store.put_unit(Unit(uid, name, "district", "pattani", {"staff": 3}))
        for catalog_id in ("yala-2568-r2-district-team", "yala-2568-r2-district-individual"):
            chosen = {"choice": "i7"} if catalog_id.endswith("individual") else {}
            store.assign_agreement(catalog_id, uid, current.fiscal_year, current.number, current.start,
                                   current.end, chosen=chosen)
    admin = store.add_person("ผู้ดูแลระบบ กรม", "admin", "cdd")
    store.link_identity(admin.id, "console", str(admin.id))
    return admin.id


def test_a_department_ranks_provinces_on_their_districts_and_drills_down(store, catalogs):
    from decimal import Decimal

    from scoring.bands import band_of

    from .test_appraisal import report

    admin = _department(store, catalogs)
    report(store, catalogs, "pattani-mueang", "yala-2568-r2-district-team", "t1", "round", {"percent": "100"},
           TODAY, person=admin)
    chat = Chat(store, catalogs)
    (glance,) = chat.say(admin, "คะแนนปัจจุบัน")  # the department has no agreement of its own
    ranked = re.findall(r"^(\d+)\. (\S+) · (เฉลี่ย \d+ อำเภอ)", glance.text, re.M)
    assert [(name, n) for _, name, n in ranked] == [("ปัตตานี", "เฉลี่ย 2 อำเภอ"), ("ยะลา", "เฉลี่ย 8 อำเภอ")]
    assert "กรมการพัฒนาชุมชน" not in [name for _, name, _ in ranked]  # never the parent among its children
    rows = {r.unit: r for r in ranking(store, catalogs, store.unit("cdd"), TODAY)}
    districts = ranking(store, catalogs, store.unit("pattani"), TODAY)
    team = (sum(r.team for r in districts) / len(districts)).quantize(Decimal("0.01"))
    assert rows["ปัตตานี"].team == team == Decimal("25.00") and rows["ปัตตานี"].team_band == band_of(team).th
    assert rows["ปัตตานี"].missing == sum(r.missing for r in districts)
    assert rows["ยะลา"].team == Decimal("0.00")  # its districts' figures, not the province's own agreement
    drilled = chat.say(admin, "คะแนนปัจจุบัน ปัตตานี")
    assert drilled[0].text.startswith("ภาพรวมคะแนน จังหวัดปัตตานี")
    assert re.findall(r"^\d+\. (\S+) · ", drilled[0].text, re.M) == ["เมืองปัตตานี", "หนองจิก"]
    every = chat.text(admin, "คะแนนทุกอำเภอ")  # one ranking per parent: the provinces, then each province's
    assert every.startswith("ภาพรวมคะแนน กรมการพัฒนาชุมชน") and "ภาพรวมคะแนน จังหวัดยะลา" in every
    assert not re.search(r"^\d+\. (กรมการพัฒนาชุมชน|ยะลา|ปัตตานี) · ส่งครบ", every, re.M)


def test_a_cached_ranking_row_always_equals_a_fresh_one(store, catalogs):
    from datetime import date, datetime

    from handlers.views import appraisal
    from scoring.thaidate import BANGKOK

    from .test_appraisal import report

    team = "yala-2568-r2-district-team"
    province = store.unit("yala")

    def fresh():
        appraisal._ROWS.clear()
        return appraisal.ranking(store, catalogs, province, TODAY)

    steps = [lambda: report(store, catalogs, "yala-mueang", team, "t1", "round", {"percent": "85"}, date(2025, 5, 20)),
             lambda: report(store, catalogs, "yala-mueang", team, "t1", "round", {"percent": "95"}, TODAY),
             lambda: report(store, catalogs, "yala-betong", team, "t2", "round", {"percent": "70"}, TODAY),
             lambda: store.retract(store.current("yala-mueang", team, "t1")[0].id, MUEANG_OFFICER, "console", "u",
                                   datetime(2025, 6, 3, 9, tzinfo=BANGKOK)),
             lambda: store.retract(store.history("yala-mueang", team, "t1")[0].id, MUEANG_OFFICER, "console",
                                   "u2", datetime(2025, 5, 25, 9, tzinfo=BANGKOK))]
    appraisal.ranking(store, catalogs, province, TODAY)  # the cache filled before any figure
    for step in steps:
        step()
        cached = appraisal.ranking(store, catalogs, province, TODAY)
        assert cached == fresh()
        assert appraisal.ranking(store, catalogs, province, TODAY) == cached  # now from the cache


def test_a_department_chief_sees_every_province_and_district_below(store, catalogs):
    """Not only an admin: the chief of a department drills down and is told what the country still owes."""
    from handlers.permissions import units_in_scope

    _department(store, catalogs)
    chief = store.add_person("อธิบดี ทดสอบ", "chief", "cdd")
    store.link_identity(chief.id, "console", str(chief.id))
    names = {u.name for u in units_in_scope(store, chief)}
    assert {"กรมการพัฒนาชุมชน", "ยะลา", "ปัตตานี", "เมืองปัตตานี", "หนองจิก", "เบตง"} <= names
    chat = Chat(store, catalogs)
    (glance,) = chat.say(chief.id, "คะแนนปัจจุบัน")
    assert sorted(re.findall(r"^\d+\. (\S+) · ", glance.text, re.M)) == ["ปัตตานี", "ยะลา"]  # provinces ranked
    drilled = chat.text(chief.id, "คะแนนปัจจุบัน ปัตตานี")
    assert drilled.startswith("ภาพรวมคะแนน จังหวัดปัตตานี") and "หนองจิก" in drilled
    missing = chat.text(chief.id, "ยังไม่ส่ง")
    assert "ส่งครบทุกตัวชี้วัดแล้ว" not in missing and ("หนองจิก" in missing or "ไฟล์" in missing)
    district_chief = store.add_person("หัวหน้า หนองจิก", "chief", "pattani-nongchik")
    assert {u.id for u in units_in_scope(store, district_chief)} == {"pattani-nongchik"}  # a district: itself
