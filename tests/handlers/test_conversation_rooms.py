"""The conversation's rooms from the user's side: words read once (by the understanding), flow state
kept in the store (a restart between two messages loses nothing)."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from handlers.conversation import Conversation

from .conftest import ADMIN, MUEANG_OFFICER, PROVINCE_CHIEF

INDIVIDUAL = "yala-2568-r2-district-individual"


def _jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, "JPEG")
    return out.getvalue()


# -- issue 12: word lists kept twice had drifted -------------------------------------------------------
def test_whole_province_score_is_the_overview_not_the_province_card(chat):
    for words in ("คะแนนทั้งจังหวัด", "คะแนนทุกอำเภอ", "จัดอันดับคะแนน"):
        text = chat.text(PROVINCE_CHIEF, words)
        assert text.startswith("ภาพรวมคะแนน"), (words, text[:60])
        assert "คะแนนปัจจุบัน ยะลา" not in text


def test_own_score_is_still_the_unit_card(chat):
    assert chat.text(PROVINCE_CHIEF, "คะแนน เมืองยะลา").startswith("คะแนนปัจจุบัน เมืองยะลา")
    assert chat.text(MUEANG_OFFICER, "คะแนนปัจจุบัน").startswith("คะแนนปัจจุบัน เมืองยะลา")


def test_invite_for_a_province_director_is_a_chief_invite(chat, store):
    text = chat.text(ADMIN, "เชิญ พัฒนาการจังหวัด ยะลา")
    assert "หัวหน้าหน่วยงาน ยะลา" in text, text
    code = text.split("): ")[1].split()[0]
    chat.text("new-chief", f"ลงทะเบียน {code}")
    person = store.person_by_identity("console", "new-chief")
    assert person is not None and person.role == "chief" and person.unit_id == "yala"


def test_invite_roles_come_from_the_understanding(chat):
    assert "ผู้ประสานงานตัวชี้วัด" in chat.text(ADMIN, "สร้างรหัสเชิญ ผู้ประสาน")
    assert "หัวหน้าหน่วยงาน เบตง" in chat.text(ADMIN, "เชิญ พัฒนาการอำเภอ เบตง")
    assert "ผู้รายงาน เบตง" in chat.text(ADMIN, "เชิญ พัฒนากร เบตง")
    assert "ผู้รายงาน เบตง" in chat.text(ADMIN, "สร้างรหัสเชิญ เบตง")  # no role named: a reporter


# -- flow state lives in the store -------------------------------------------------------------------------
def test_a_restart_between_the_photo_and_the_kpi_pick_loses_nothing(chat, store, catalogs):
    [ask] = chat.say(MUEANG_OFFICER, "ส่งรูปค่ะ", files=(_jpeg(),))
    assert "ตัวชี้วัดไหน" in ask.text
    chat.conversation = Conversation(store, catalogs)  # a new process: nothing in memory survives
    pick = next(c for c in ask.choices if "OTOP" in c.label)
    text = chat.text(MUEANG_OFFICER, pick.label, choice=pick.data)
    assert "เก็บหลักฐาน 1 ไฟล์" in text
    [ev] = store.evidence_for("yala-mueang", INDIVIDUAL, "i1")
    assert ev.mime == "image/jpeg" and (ev.width, ev.height) == (32, 24) and ev.file_name == "f0.bin"


def test_a_restart_mid_report_keeps_the_card(chat, store, catalogs):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 96%")
    chat.conversation = Conversation(store, catalogs)
    assert "บันทึกแล้ว" in chat.text(MUEANG_OFFICER, "ยืนยัน")
    assert len(store.current("yala-mueang", "yala-2568-r2-district-team", "t1")) == 1


def test_a_state_from_another_version_is_read_afresh(chat, store):
    store.set_state(f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}", {"flow": "someday", "awaiting": "kpi"})
    assert chat.text(MUEANG_OFFICER, "คะแนนปัจจุบัน").startswith("คะแนนปัจจุบัน เมืองยะลา")


def test_evidence_kept_in_memory_by_an_older_version_is_asked_again(chat, store):
    # an "evidence" state without "files" (the files were in the old process's memory)
    store.set_state(f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}",
                    {"flow": "evidence", "awaiting": "kpi", "candidates": [f"{INDIVIDUAL}/i1"]})
    assert "ไม่พบไฟล์หลักฐาน" in chat.text(MUEANG_OFFICER, "x", choice="k:0")
    assert store.get_state(f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}") is None
