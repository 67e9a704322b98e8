"""Issue 14, "ดูหลักฐาน ตชว.1": what is stored for a KPI, asked in chat, checked from the user's side."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image

from handlers.nlu import understand
from scoring.thaidate import BANGKOK

from .conftest import BETONG_OFFICER, MUEANG_OFFICER, PROVINCE_CHIEF, TODAY

TEAM, IND = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"


def jpeg(color: str, taken: str | None = None) -> bytes:
    img = Image.new("RGB", (32, 24), color)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_the_words_are_a_question_about_stored_evidence():
    for text in ("ดูหลักฐาน ตชว.1", "ดูหลักฐาน", "ขอดูหลักฐาน ตชว.ทีม 1 ค่ะ", "หลักฐานที่ส่งไปแล้วมีอะไรบ้าง",
                 "เช็คหลักฐาน OTOP", "มีหลักฐานเบิกจ่ายกี่ไฟล์แล้วคะ"):
        assert understand(text, [], TODAY).intent == "evidence_list", text
    for text in ("หลักฐาน ตชว.1", "ส่งรูปหลักฐาน ตชว.1 ครับ", "แนบไฟล์หลักฐานครับ"):
        assert understand(text, [], TODAY).intent == "evidence", text
    assert understand("ส่งหลักฐานทำยังไง", [], TODAY).intent == "help"


def test_an_officer_sees_the_files_of_a_kpi_with_period_sender_and_dates(chat):
    saved = chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1",
                      files=(jpeg("red", "2025:06:08 14:00:00"), jpeg("blue")))
    assert "เก็บหลักฐาน 2 ไฟล์" in saved
    chat.store.set_state(str(MUEANG_OFFICER), None)
    chat.text(BETONG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(jpeg("green"),))  # another district's
    reply = chat.text(MUEANG_OFFICER, "ดูหลักฐาน ตชว.1")
    lines = reply.split("\n")
    assert lines[0] == "หลักฐานที่เก็บไว้ของเมืองยะลา รอบที่ 2 ปีงบประมาณ 2568 (ณ 10 มิ.ย. 2568) ค่ะ"
    assert lines[1] == "ตชว.1 เบิกจ่าย (รายทีม): 2 ไฟล์"  # the team set first; "ตชว.1" names both sets
    assert lines[2].startswith("1. รอบการประเมินนี้ · ส่ง 10 มิ.ย. 2568 10:")
    assert "โดย นางสาวสุภาพร ใจดี · ถ่าย 8 มิ.ย. 2568" in lines[2]
    assert "ถ่าย" not in lines[3] and lines[3].startswith("2. ")
    assert lines[4] == "ตชว.1 OTOP (รายบุคคล): ยังไม่มีหลักฐานที่เก็บไว้"
    assert len(lines) == 5  # Betong's photo is not Mueang's


def test_without_a_kpi_the_counts_per_kpi(chat):
    assert chat.text(MUEANG_OFFICER, "ดูหลักฐาน").startswith(
        "หลักฐานที่เก็บไว้ของเมืองยะลา รอบที่ 2 ปีงบประมาณ 2568 (ณ 10 มิ.ย. 2568): ยังไม่มีหลักฐานที่เก็บไว้ค่ะ")
    chat.text(MUEANG_OFFICER, "หลักฐาน OTOP", files=(jpeg("red"), jpeg("blue"), jpeg("white")))
    chat.store.set_state(str(MUEANG_OFFICER), None)
    reply = chat.text(MUEANG_OFFICER, "ดูหลักฐาน")
    assert "รวม 3 ไฟล์ค่ะ" in reply
    assert "• ตชว.1 OTOP (รายบุคคล) 3 ไฟล์" in reply
    assert "ยังไม่มีหลักฐาน 8 ตัวชี้วัด" in reply and "“ดูหลักฐาน ตชว.1”" in reply


def test_a_long_list_shows_the_latest_and_says_how_many_in_all(chat):
    at = datetime(2025, 6, 1, 9, 0, tzinfo=BANGKOK)
    for i in range(1_003):
        img = Image.new("RGB", (8, 8), (i % 256, i // 256, 7))
        out = io.BytesIO()
        img.save(out, "PNG")
        chat.store.add_evidence(out.getvalue(), person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=IND,
                                kpi_id="i1", period="2025-06", received_at=at + timedelta(minutes=i))
    lines = chat.text(MUEANG_OFFICER, "ดูหลักฐาน OTOP").split("\n")
    assert lines[1] == "ตชว.1 OTOP (รายบุคคล): 1,003 ไฟล์ (แสดง 20 ไฟล์ล่าสุด)"
    assert lines[2].startswith("984. เดือน มิ.ย. 2568") and lines[-1].startswith("1,003. เดือน มิ.ย. 2568")
    assert len(lines) == 22 and sum(len(x) for x in lines) < 4_000  # one Telegram message


def test_a_chief_names_a_district_and_an_officer_may_not(chat):
    chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(jpeg("red"),))
    reply = chat.text(PROVINCE_CHIEF, "ดูหลักฐาน ตชว.ทีม 1 เมืองยะลา")
    assert reply.startswith("หลักฐานที่เก็บไว้ของเมืองยะลา") and "ตชว.1 เบิกจ่าย (รายทีม): 1 ไฟล์" in reply
    assert "ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูข้อมูลของ เมืองยะลา" in chat.text(BETONG_OFFICER, "ดูหลักฐาน เมืองยะลา")


def test_a_photo_sent_with_those_words_is_still_kept_as_evidence(chat):
    reply = chat.text(MUEANG_OFFICER, "ดูหลักฐาน ตชว.ทีม 1", files=(jpeg("red"),))
    assert "เก็บหลักฐาน 1 ไฟล์ของ ตชว.1 เบิกจ่าย" in reply


# -- the files sent back ("ขอไฟล์หลักฐาน ตชว.1") ---------------------------------------------------------
def test_the_words_ask_for_the_files_back():
    for text in ("ขอไฟล์หลักฐาน ตชว.1", "ขอหลักฐาน ตชว.1 ค่ะ", "ส่งหลักฐาน ตชว.1 มาให้ดูหน่อย", "โหลดหลักฐาน OTOP"):
        assert understand(text, [], TODAY).intent == "evidence_send", text
    assert understand("ส่งหลักฐาน ตชว.1", [], TODAY).intent == "evidence"  # the officer is sending it


def test_an_officer_gets_the_original_bytes_back(chat):
    red, blue = jpeg("red", "2025:06:08 14:00:00"), jpeg("blue")
    chat.say(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(red, blue))
    chat.store.set_state(str(MUEANG_OFFICER), None)
    replies = chat.say(MUEANG_OFFICER, "ขอไฟล์หลักฐาน เบิกจ่าย")
    assert replies[0].text == "ส่งไฟล์หลักฐาน ตชว.1 เบิกจ่าย (รายทีม) ของเมืองยะลา 2 ไฟล์ค่ะ"
    assert [r.document for r in replies[1:]] == [red, blue]  # as sent: the photo keeps its EXIF
    assert replies[1].text.startswith("1. รอบการประเมินนี้ · ส่ง 10 มิ.ย. 2568")
    names = [r.document_name for r in replies[1:]]  # the chat harness names them f0.bin, f1.bin: not JPEG names
    assert all(n.startswith("หลักฐาน-ตชว1-round-") and n.endswith(".jpg") for n in names) and len(set(names)) == 2


def test_many_files_the_latest_ten_and_the_total_and_none_in_a_group(chat):
    at = datetime(2025, 6, 1, 9, 0, tzinfo=BANGKOK)
    for i in range(12):
        out = io.BytesIO()
        Image.new("RGB", (8, 8), (i, 0, 0)).save(out, "PNG")
        chat.store.add_evidence(out.getvalue(), person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=IND,
                                kpi_id="i1", period="2025-06", received_at=at + timedelta(minutes=i),
                                file_name=f"otop-{i}.png")
    replies = chat.say(MUEANG_OFFICER, "ขอไฟล์หลักฐาน OTOP")
    assert replies[0].text.startswith("หลักฐาน ตชว.1 OTOP (รายบุคคล) ของเมืองยะลา มี 12 ไฟล์ ส่ง 10 ไฟล์ล่าสุดค่ะ")
    assert [r.document_name for r in replies[1:]] == [f"otop-{i}.png" for i in range(2, 12)]
    assert replies[1].text.startswith("3. เดือน มิ.ย. 2568")
    from handlers.messages import Incoming

    msg = Incoming(channel="console", sender=str(MUEANG_OFFICER), chat="group-1", text="ขอไฟล์หลักฐาน OTOP",
                   sent_at=datetime(2025, 6, 10, 11, 0, tzinfo=BANGKOK), message_id="g1", is_group=True)
    in_group = chat.conversation.handle(msg)
    assert all(r.document is None for r in in_group) and len(in_group) == 1


# -- an officer withdrawing their own evidence ("ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2") -------------------------------
def test_an_officer_withdraws_a_file_of_theirs_and_it_is_kept_as_a_retraction(chat):
    red, blue = jpeg("red"), jpeg("blue")
    chat.say(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(red, blue))
    chat.store.set_state(str(MUEANG_OFFICER), None)
    assert understand("ลบหลักฐาน ตชว.1 ไฟล์ที่ 2", [], TODAY).intent == "evidence_retract"
    asked = chat.text(MUEANG_OFFICER, "ลบหลักฐาน ตชว.1 ไฟล์ที่ 2")  # team or individual KPI 1?
    assert asked.startswith("ตัวชี้วัดนี้มีทั้ง ตชว.1 เบิกจ่าย (รายทีม) และ ตชว.1 OTOP (รายบุคคล)")
    which = chat.text(MUEANG_OFFICER, "ลบหลักฐาน ตชว.ทีม 1")  # no number: the officer's files, numbered
    assert which.startswith("ต้องการถอนไฟล์ไหนคะ") and "“ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2”" in which
    assert not chat.store.retracted_evidence("yala-mueang")
    done = chat.text(MUEANG_OFFICER, "ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2")
    assert done.startswith("ถอนหลักฐานแล้วค่ะ: ตชว.1 เบิกจ่าย (รายทีม) ไฟล์ที่ 2")
    [(evidence_id, _at)] = chat.store.retracted_evidence("yala-mueang").items()
    assert chat.store.evidence_bytes(evidence_id) == blue  # the row and its file are still there
    listed = chat.text(MUEANG_OFFICER, "ดูหลักฐาน ตชว.ทีม 1").split("\n")
    assert listed[1] == "ตชว.1 เบิกจ่าย (รายทีม): 1 ไฟล์ · ถอนแล้ว 1 ไฟล์"
    assert listed[3].startswith("2. ") and listed[4] == "   (ถอนแล้ว 10 มิ.ย. 2568)"
    again = chat.text(MUEANG_OFFICER, "ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2")
    assert again == "ไฟล์ที่ 2 ของ ตชว.1 เบิกจ่าย (รายทีม) ถอนไปแล้วเมื่อ 10 มิ.ย. 2568 ค่ะ"
    sent = chat.say(MUEANG_OFFICER, "ขอไฟล์หลักฐาน ตชว.ทีม 1")
    assert [r.document for r in sent[1:]] == [red]  # a withdrawn file is not sent back
    assert "รวม 1 ไฟล์ค่ะ (ถอนแล้ว 1 ไฟล์ ไม่นับรวม)" in chat.text(MUEANG_OFFICER, "ดูหลักฐาน")


def test_only_ones_own_files_may_be_withdrawn(chat):
    import pytest

    chat.say(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(jpeg("red"),))
    [ev] = chat.store.evidence_for("yala-mueang", TEAM, "t1")
    from .conftest import MUEANG_CHIEF

    reply = chat.text(MUEANG_CHIEF, "ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 1")
    assert reply == ("ขออภัยค่ะ ไฟล์ที่ 1 ของ ตชว.1 เบิกจ่าย (รายทีม) ส่งโดย นางสาวสุภาพร ใจดี "
                     "ถอนได้เฉพาะหลักฐานที่ท่านส่งเองค่ะ")
    assert not chat.store.retracted_evidence("yala-mueang")
    with pytest.raises(PermissionError):
        chat.store.retract_evidence(ev.id, MUEANG_CHIEF, at=datetime(2025, 6, 10, 12, 0, tzinfo=BANGKOK))
    with pytest.raises(KeyError):
        chat.store.retract_evidence(99_999, MUEANG_OFFICER, at=datetime(2025, 6, 10, 12, 0, tzinfo=BANGKOK))
    first = chat.store.retract_evidence(ev.id, MUEANG_OFFICER, at=datetime(2025, 6, 10, 12, 0, tzinfo=BANGKOK))
    assert chat.store.retract_evidence(ev.id, MUEANG_OFFICER, at=datetime(2025, 6, 11, tzinfo=BANGKOK)) == first
    import sqlite3

    for sql in ("DELETE FROM evidence", "DELETE FROM evidence_retractions"):  # never deleted
        with pytest.raises(sqlite3.DatabaseError):
            chat.store.db.execute(sql)
    assert chat.store.audit_log("evidence", ev.id)[-1]["action"] == "retract"


def test_removing_the_latest_evidence_never_withdraws_the_latest_report(chat):
    """"ลบหลักฐานล่าสุด" is about a file: the report sent before it stays as it was."""
    chat.text(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92%")
    assert chat.text(MUEANG_OFFICER, "ยืนยัน").startswith("บันทึกแล้ว")
    kept = chat.store.last_submission_by(MUEANG_OFFICER)
    for text in ("ลบหลักฐานล่าสุด", "ถอนหลักฐานที่เพิ่งส่ง", "ลบรูปหลักฐานเมื่อกี้ค่ะ"):
        assert understand(text, [], TODAY).intent == "evidence_retract", text
        chat.text(MUEANG_OFFICER, text)
        assert chat.store.last_submission_by(MUEANG_OFFICER) == kept, text  # not withdrawn
    assert understand("ยกเลิกรายงานเมื่อกี้", [], TODAY).intent == "undo"


def test_a_withdrawn_file_no_longer_counts_on_the_appraisal_form(chat):
    """The Excel form and the PDF count evidence per KPI (views/appraisal.py): a withdrawn file is not one."""
    from handlers.views.appraisal import sheets

    def team_t1() -> int:
        unit = chat.store.unit("yala-mueang")
        sheet = next(s for s in sheets(chat.store, chat.conversation.catalogs, unit, TODAY) if s.catalog_id == TEAM)
        return next(line.evidence for line in sheet.lines if line.kpi_id == "t1")

    chat.say(MUEANG_OFFICER, "หลักฐาน ตชว.ทีม 1", files=(jpeg("red"), jpeg("blue")))
    chat.store.set_state(str(MUEANG_OFFICER), None)
    assert team_t1() == 2
    assert chat.text(MUEANG_OFFICER, "ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2").startswith("ถอนหลักฐานแล้วค่ะ")
    assert team_t1() == 1
