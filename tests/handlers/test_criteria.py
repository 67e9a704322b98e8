"""Questions about a KPI, from the user's side on the demo database (Yala, seed 002, 2025-06-10):
the levels in the document's words, the unit's figure and what the next level needs, and one KPI's
dates — never a report, never a stored figure."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from handlers.nlu import understand
from handlers.ports import NewSubmission

from .conftest import (
    ADMIN,
    BANGKOK,
    BETONG_OFFICER,
    COORD_PRASAN,
    KABANG_OFFICER,
    MUEANG_CHIEF,
    MUEANG_OFFICER,
    PROVINCE_CHIEF,
    TODAY,
)

TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"
THAI_NUMBER = re.compile(r"[๐-๙]+")


def stored(store, unit="yala-mueang"):
    return store.current(unit, TEAM) + store.current(unit, INDIVIDUAL)


def state(user):
    return f"console:{user}:{user}"


def figure(store, kpi, inputs, level, *, catalog=TEAM, unit="yala-mueang", person=MUEANG_OFFICER,
           period="round"):
    """A figure the unit reported earlier (set up directly: the questions are what is tested)."""
    store.add_submission(NewSubmission(
        person_id=person, unit_id=unit, catalog_id=catalog, kpi_id=kpi, period=period, inputs=inputs,
        level=level, channel="console", message_id="setup", sent_at=datetime(2025, 6, 1, 9, 0, tzinfo=BANGKOK)))


def levels_of(catalogs, catalog, kpi):
    return sorted(catalogs[catalog].kpi(kpi).rubric.levels, key=lambda lv: lv.level)


def ask(chat, store, user, text):
    """One question: one plain answer, nothing stored, no flow left open."""
    before = stored(store)
    [reply] = chat.say(user, text)
    assert stored(store) == before
    assert store.get_state(state(user)) is None, reply.text
    assert not reply.choices, reply.text
    return reply.text


# -- intents ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, intent", [
    ("เกณฑ์ ตชว.3", "criteria"),
    ("เกณฑ์การให้คะแนนเบิกจ่าย", "criteria"),
    ("ระดับ 5 ต้องทำอะไร", "criteria"),
    ("ระดับ 5 โคกหนองนาต้องทำอะไรบ้าง", "criteria"),
    ("คิดคะแนนยังไง", "criteria"),
    ("คิดคะแนน OTOP ยังไง", "criteria"),
    ("ต้องทำอีกเท่าไหร่ถึงระดับ 4", "criteria"),
    ("ตชว.1 ต้องได้กี่เปอร์เซ็นต์ถึงจะได้ระดับ 5", "criteria"),
    ("ต้องทำยังไงถึงจะได้ระดับ 5", "criteria"),
    ("ตชว.7 ส่งทุกวันที่เท่าไหร่", "deadlines"),
    ("ตชว.7 ต้องรายงานทุกวันที่เท่าไหร่", "deadlines"),
    ("OTOP ส่งวันไหน", "deadlines"),
    ("เบิกจ่ายตัดยอดวันไหน", "deadlines"),
    ("คะแนนปัจจุบัน", "score"),
    ("คะแนน เบตง", "score"),
    ("วิธีใช้", "help"),
    ("ส่งหลักฐานทำยังไง", "help"),
    ("จปฐ ผ่านเกณฑ์ 281 ครัวเรือน", "report"),
])
def test_questions_reach_their_intent(catalogs, text, intent):
    kpis = [(c, k) for c in (TEAM, INDIVIDUAL) for k in catalogs[c].kpis]
    assert understand(text, kpis, TODAY, list(catalogs[TEAM].units)).intent == intent


# -- criteria ----------------------------------------------------------------------------------------
def test_criteria_give_the_levels_the_units_figure_and_the_next_level(chat, store, catalogs):
    figure(store, "t1", {"percent": "92.5"}, 3)
    text = ask(chat, store, MUEANG_OFFICER, "เกณฑ์การให้คะแนนเบิกจ่าย")
    assert text.splitlines()[0].startswith("เกณฑ์การให้คะแนน ตัวชี้วัดที่ 1 ร้อยละของการใช้จ่ายเงินงบประมาณ (รายทีม")
    for lv in levels_of(catalogs, TEAM, "t1"):
        assert f"ระดับ {lv.level}: {lv.text}" in text  # the document's own words
    assert "ผลล่าสุดของเมืองยะลา (รอบการประเมินนี้): ระดับ 3" in text
    assert "ร้อยละการใช้จ่ายงบประมาณ: ร้อยละ 92.5" in text
    assert "ระดับ 4 ยังต้อง: ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก 2.50 จุดร้อยละ" in text


def test_a_level_asked_about_comes_first_with_what_it_needs(chat, store, catalogs):
    figure(store, "t1", {"percent": "92.5"}, 3)
    text = ask(chat, store, MUEANG_OFFICER, "ตชว.1 ต้องได้กี่เปอร์เซ็นต์ถึงจะได้ระดับ 5")
    lines = text.splitlines()
    assert "ร้อยละของการใช้จ่ายเงินงบประมาณ" in lines[0]
    assert lines[1] == "ระดับ 5: ร้อยละ ๑๐๐"
    assert "ระดับ 5 ยังต้อง: ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก 7.50 จุดร้อยละ" in text
    assert text.index("ระดับ 5:") < text.index("ระดับ 1:")
    assert "ระดับ 4: ไม่น้อยกว่าร้อยละ ๙๕" in text  # the other levels follow


def test_long_level_texts_are_shortened_but_keep_every_number(chat, store, catalogs):
    text = ask(chat, store, MUEANG_OFFICER, "คิดคะแนน OTOP ยังไง")
    assert "ระดับความสำเร็จของผลิตภัณฑ์ชุมชน OTOP" in text.splitlines()[0]
    lines = {int(m.group(1)): m.group(2) for m in re.finditer(r"^ระดับ (\d): (.*)$", text, re.M)}
    for lv in levels_of(catalogs, INDIVIDUAL, "i1"):
        assert len(lines[lv.level]) < len(" ".join(lv.text.split()))  # 330 characters each: shortened
        assert THAI_NUMBER.findall(lines[lv.level]) == THAI_NUMBER.findall(lv.text.replace("(วัดเป็นรายเดือนทุกวันที่ ๒๐)", ""))
    assert "วัดผล: วัดเป็นรายเดือนทุกวันที่ ๒๐" in text
    assert "เมืองยะลายังไม่ได้รายงานผลตัวชี้วัดนี้" in text


def test_a_compound_kpi_lists_every_condition_the_asked_level_still_needs(chat, store, catalogs):
    # กาบัง chose optional KPI 8 (โคก หนอง นา) in the demo
    figure(store, "i8", {"activities": "1", "channels": "2", "lessons": "0"}, 2, catalog=INDIVIDUAL, unit="yala-kabang",
           person=KABANG_OFFICER, period="2025-06")
    before = stored(store, "yala-kabang")
    [reply] = chat.say(KABANG_OFFICER, "ระดับ 5 โคกหนองนาต้องทำอะไรบ้าง")
    assert stored(store, "yala-kabang") == before and store.get_state(state(KABANG_OFFICER)) is None
    level5 = levels_of(catalogs, INDIVIDUAL, "i8")[4]
    assert reply.text.splitlines()[1] == f"ระดับ 5: {level5.text}"  # in full
    assert "ผลล่าสุดของกาบัง (เดือน มิ.ย. 2568): ระดับ 2" in reply.text
    needs = next(line for line in reply.text.splitlines() if line.startswith("ระดับ 5 ยังต้อง:"))
    assert "เผยแพร่ผ่านเพิ่มอีก 2 ช่องทาง" in needs and "ถอดบทเรียนเพิ่มอีก 1 บทเรียน" in needs


def test_a_kpi_the_unit_is_not_appraised_on_is_explained_not_reported(chat, store, catalogs):
    text = ask(chat, store, MUEANG_OFFICER, "ระดับ 5 โคกหนองนาต้องทำอะไรบ้าง")
    level5 = levels_of(catalogs, INDIVIDUAL, "i8")[4]
    assert f"ระดับ 5: {level5.text}" in text
    assert "ไม่อยู่ในข้อตกลงของเมืองยะลา" in text and "ตัวชี้วัดทางเลือก" in text


def test_tied_kpis_are_asked_back_and_the_pick_answers(chat, store, catalogs):
    [question] = chat.say(MUEANG_OFFICER, "เกณฑ์ ตชว.3")
    assert "ตัวชี้วัดไหน" in question.text
    labels = [c.label for c in question.choices]
    assert sorted(labels[:2]) == ["ตชว.3 หนี้ (รายทีม)", "ตชว.3 หนี้ (รายบุคคล)"] and labels[2] == "ยกเลิก"
    team = next(c for c in question.choices if "รายทีม" in c.label)
    [answer] = chat.say(MUEANG_OFFICER, team.label, choice=team.data)
    assert "ระดับความสำเร็จในการบริหารจัดการหนี้เกินกำหนดชำระกองทุนพัฒนาบทบาทสตรี" in answer.text
    for lv in levels_of(catalogs, TEAM, "t3"):
        assert f"ระดับ {lv.level}: {lv.text}" in answer.text
    assert store.get_state(state(MUEANG_OFFICER)) is None and stored(store) == []


@pytest.mark.parametrize("text, level", [
    ("เกณฑ์", None), ("คิดคะแนนยังไง", None), ("ระดับ 5 ต้องทำอะไร", 5), ("ต้องทำอีกเท่าไหร่ถึงระดับ 4", 4),
])
def test_no_kpi_named_asks_which_one_and_the_pick_answers(chat, store, text, level):
    figure(store, "t1", {"percent": "92.5"}, 3)
    [question] = chat.say(MUEANG_OFFICER, text)
    assert question.text == "ตัวชี้วัดไหนคะ"
    labels = [c.label for c in question.choices]
    assert len(labels) == 10 and labels[-1] == "ยกเลิก"  # the unit's 9 KPIs
    assert "ตชว.1 เบิกจ่าย (รายทีม)" in labels and "ตชว.1 OTOP (รายบุคคล)" in labels
    pick = next(c for c in question.choices if c.label == "ตชว.1 เบิกจ่าย (รายทีม)")
    [answer] = chat.say(MUEANG_OFFICER, pick.label, choice=pick.data)
    assert "ร้อยละของการใช้จ่ายเงินงบประมาณ" in answer.text and "ร้อยละ 92.5" in answer.text
    if level is None:
        assert "ระดับ 4 ยังต้อง: ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก 2.50 จุดร้อยละ" in answer.text
    else:
        assert answer.text.splitlines()[1].startswith(f"ระดับ {level}: ")
        gap = {5: "7.50", 4: "2.50"}[level]
        assert f"ระดับ {level} ยังต้อง: ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก {gap} จุดร้อยละ" in answer.text
    assert store.get_state(state(MUEANG_OFFICER)) is None
    assert [s.kpi_id for s in stored(store)] == ["t1"]  # only the figure set up before


def test_a_criteria_question_leaves_no_report_draft_and_stores_nothing(chat, store):
    for text in ("เกณฑ์ ตชว.1 เบิกจ่าย", "ระดับ 5 เบิกจ่ายต้องทำอะไร", "คิดคะแนน OTOP ยังไง"):
        ask(chat, store, MUEANG_OFFICER, text)
    assert stored(store) == []


@pytest.mark.parametrize("user", [MUEANG_OFFICER, MUEANG_CHIEF, PROVINCE_CHIEF, COORD_PRASAN, ADMIN])
def test_every_role_may_ask_for_criteria(chat, store, user):
    text = chat.text(user, "เกณฑ์ เบิกจ่าย")
    assert "ไม่มีสิทธิ์" not in text and "ไม่น้อยกว่าร้อยละ ๘๐" in text


def test_a_chief_asks_about_a_district_and_sees_its_own_targets(chat, store):
    figure(store, "i4", {"passed": "36"}, 4, catalog=INDIVIDUAL, unit="yala-betong", person=BETONG_OFFICER)
    text = chat.text(PROVINCE_CHIEF, "เกณฑ์ จปฐ เบตง")
    assert "ค่าเป้าหมายของเบตง" in text and "ระดับ 1 35" in text and "ระดับ 5 37" in text
    assert "ผลล่าสุดของเบตง (รอบการประเมินนี้): ระดับ 4" in text and "ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน" in text
    assert "ไม่มีสิทธิ์" in chat.text(MUEANG_OFFICER, "เกณฑ์ จปฐ เบตง")


# -- one KPI's dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["ตชว.7 ส่งทุกวันที่เท่าไหร่", "ตชว.7 ต้องรายงานทุกวันที่เท่าไหร่"])
def test_a_deadline_question_about_one_kpi_names_its_day_and_next_cutoff(chat, store, text):
    # เบตง chose optional KPI 7 (Click ชุมชน), measured on the 15th
    before = stored(store, "yala-betong")
    reply = chat.text(BETONG_OFFICER, text)
    assert stored(store, "yala-betong") == before and store.get_state(state(BETONG_OFFICER)) is None
    lines = reply.splitlines()
    assert lines[0].startswith("ตชว.7 Click ชุมชน (รายบุคคล): ") and "ทุกวันที่ ๑๕" in lines[0]
    assert lines[1].startswith("กำหนดส่งครั้งถัดไป: 15 มิ.ย. 2568") and "(ทุกวันที่ 15)" in lines[1]
    assert "13 มิ.ย. 2568" in lines[1]  # 15 June 2568 is a Sunday: send by Friday
    assert "OTOP" not in reply and "กำหนดส่งที่ใกล้จะถึง" not in reply  # not the full list


def test_deadline_questions_by_subject_word(chat, store):
    otop = ask(chat, store, MUEANG_OFFICER, "OTOP ส่งวันไหน")
    assert otop.startswith("ตชว.1 OTOP (รายบุคคล): วัดเป็นรายเดือนทุกวันที่ ๒๐")
    assert "กำหนดส่งครั้งถัดไป: 20 มิ.ย. 2568" in otop and "นวัตวิถี" not in otop
    budget = ask(chat, store, MUEANG_OFFICER, "เบิกจ่ายตัดยอดวันไหน")
    assert budget.startswith("ตชว.1 เบิกจ่าย (รายทีม)")
    assert "29 ส.ค. 2568" in budget and "ข้อมูล ณ 30 ก.ย. 2568: วันที่ตัดยอดการใช้จ่ายงบประมาณ" in budget
    assert "OTOP" not in budget


def test_a_deadline_question_about_a_kpi_outside_the_agreement_says_so(chat, store):
    text = ask(chat, store, MUEANG_OFFICER, "ตชว.7 ส่งทุกวันที่เท่าไหร่")
    assert "ทุกวันที่ ๑๕" in text and "ไม่อยู่ในข้อตกลงของเมืองยะลา" in text


def test_without_a_kpi_the_full_list_stays(chat):
    text = chat.text(MUEANG_OFFICER, "กำหนดส่ง")
    assert text.startswith("กำหนดส่งที่ใกล้จะถึง:") and "OTOP" in text and "เบิกจ่าย" in text
