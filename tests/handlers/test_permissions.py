"""Every role against every intent, in and out of scope."""

from __future__ import annotations

import pytest

from .conftest import ADMIN, COORD_PRASAN, MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF

MESSAGES = {
    "report": ("รายงาน ตชว.1 เบิกจ่าย 95%", ()),
    "evidence": ("หลักฐาน ตชว.1 เบิกจ่าย", (b"%PDF-1.4 test evidence",)),
    "score_own": ("คะแนนปัจจุบัน", ()),
    "score_other": ("คะแนน เบตง", ()),
    "overview": ("คะแนนทุกอำเภอ", ()),
    "missing": ("ยังไม่ส่ง", ()),
    "deadlines": ("กำหนดส่ง", ()),
    "risk": ("ตัวชี้วัดไหนเสี่ยง", ()),
    "trend": ("แนวโน้ม ตชว.1", ()),
    "chart": ("กราฟ", ()),
    "export": ("ขอไฟล์ excel", ()),
    "export_other": ("ขอ pdf เบตง", ()),
    "invite": ("เชิญ พัฒนากร เบตง", ()),
    "undo": ("ยกเลิกรายการล่าสุด", ()),
    "mute": ("ปิดการเตือน", ()),
    "help": ("วิธีใช้", ()),
}
ALL = set(MESSAGES)
ALLOWED = {
    MUEANG_OFFICER: ALL - {"score_other", "overview", "invite", "export_other"},
    MUEANG_CHIEF: ALL - {"score_other", "invite", "export_other"},  # a district chief: own district only
    PROVINCE_CHIEF: ALL - {"invite"},
    COORD_PRASAN: ALL - {"report", "evidence", "undo", "invite"},
    ADMIN: ALL,
}
CASES = [(who, intent) for who in ALLOWED for intent in MESSAGES]


@pytest.mark.parametrize(("who", "intent"), CASES)
def test_role_and_scope(chat, who, intent):
    text, files = MESSAGES[intent]
    reply = chat.text(who, text, files=files)
    refused = "ไม่มีสิทธิ์" in reply
    assert refused == (intent not in ALLOWED[who]), reply


@pytest.mark.parametrize("intent", sorted(MESSAGES))
def test_unregistered_people_can_only_register_or_get_help(chat, store, intent):
    text, files = MESSAGES[intent]
    reply = chat.text("stranger", text, files=files)
    assert "ลงทะเบียน" in reply and "รหัสเชิญ" in reply
    assert store.evidence_for("yala-mueang", "yala-2568-r2-district-team", "t1") == []


def test_a_refused_report_stores_nothing(chat, store):
    chat.say(COORD_PRASAN, "รายงาน ตชว.1 เบิกจ่าย 95%")
    chat.say(COORD_PRASAN, "ยืนยัน")
    assert store.current("yala", "yala-2568-r2-province-team", "t1") == []
