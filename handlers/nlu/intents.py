"""Intents from keywords (Thai and English, slash commands), checked in a fixed order so that the
more specific phrase wins ("ยกเลิกรายการล่าสุด" is undo before "ยกเลิก" is cancel)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

SLASH = re.compile(r"^\s*/(?P<cmd>[A-Za-z_]+)(?:@\w+)?\b\s*(?P<rest>.*)$", re.DOTALL)
SLASH_INTENTS = {
    "start": "register", "register": "register", "report": "report", "score": "score",
    "missing": "missing", "deadlines": "deadlines", "deadline": "deadlines", "undo": "undo",
    "cancel": "cancel", "help": "help", "evidence": "evidence", "invite": "invite", "mute": "mute",
    "unmute": "unmute", "snooze": "snooze", "correct": "correct", "edit": "correct",
    "criteria": "criteria", "rubric": "criteria",
}

# (intent, regex over the compact text: lowercase, no spaces or dots); first match wins
RULES: list[tuple[str, re.Pattern[str]]] = [
    # questions about a KPI's levels, before help ("ทำยังไงถึงจะได้ระดับ 5") and score ("เกณฑ์การให้คะแนน");
    # "ผ่านเกณฑ์"/"ต่ำกว่าเกณฑ์" are words of KPI 4's reports, not questions
    ("criteria", re.compile(r"(?<!ผ่าน)(?<!ต่ำกว่า)(?<!เกิน)(?<!พ้น)(?<!ตาม)(?<!ตก)(?<!เทียบ)เกณฑ์|criteria|rubric|คิดคะแนน|วิธีคิด"
                            r"|(?:คิด|คำนวณ|ให้คะแนน|นับคะแนน)(?:ยังไง|อย่างไร|ไง)"
                            r"|ต้องทำอะไร|ต้องทำอีก|ต้องได้(?:กี่|เท่าไ)|ขาดอีก(?:กี่|เท่าไ)"
                            r"|ใคร(?:เป็นคน)?(?:กำหนด|ตั้ง|ให้ระดับ|ให้คะแนน|ประเมิน)|^ถ้า.{0,60}(?:ได้|เป็น)(?:ระดับ|คะแนน)|^(?!.*ไหน).{0,40}(?:ต่ำกว่า|ไม่ถึง|ไม่ครบ|หาก).{0,30}(?:จะ)?ได้(?:คะแนน|ระดับ)(?:ไหม|มั้ย|หรือเปล่า|รึเปล่า|หรือไม่|กี่)|ระดับ(?:ที่)?ต้อง|ถึง(?:จะ)?ได้ระดับ|(?:ต้อง|อีก).{0,16}ถึงระดับ")),
    # (not "เผยแพร่คู่มือ", "ส่วนที่ช่วยด้วยเมนูแก้จน", "มีคำสั่งแต่งตั้งคณะทำงาน": words of reports)
    ("help", re.compile(r"^(?:\?+|help|menu|เมนู|ช่วยด้วย|ช่วยเหลือ|วิธีใช้.*|คู่มือ.*)$|วิธีใช้|ใช้ยังไง|ใช้งานยังไง"
                        r"|ใช้อย่างไร|ใช้งานอย่างไร|(?<!ที่)ช่วยด้วย(?:ครับ|ค่ะ|คะ|นะ|จ้า)*$|ทำยังไง|ทำอย่างไร|ต้องพิมพ์|พิมพ์ยังไง"
                        r"|ขอคู่มือ|คู่มือ(?:การ)?(?:ใช้)?(?:งาน)?(?:บอท)?(?:อยู่)?(?:ไหน|ยังไง|หน่อย)|\bhelp\b"
                        r"|(?:บอท|ระบบ)(?:นี้)?ทำอะไรได้|มีคำสั่ง(?:อะไร|ไหน|แบบไหน|ให้ใช้)|คำสั่งอะไร|ใช้ไม่เป็น|ใช้บอท(?!.*(?:รหัส|code|โค้ด))|วิธีส่ง|สอนใช้")),
    ("invite", re.compile(r"(?:สร้าง|ออก|ขอ)รหัส(?:เชิญ)?|invite")),
    # (not "กลุ่มอาชีพลงทะเบียนผลิตภัณฑ์ OTOP": the KPI's own word)
    ("register", re.compile(r"(?<!อาชีพ)(?<!กลุ่ม)ลงทะเบียน(?!ผลิตภัณฑ์|otop|สินค้า|กลุ่ม)|สมัครใช้|^สมัคร$|register|รหัสเชิญ|ใช้รหัส"
                            r"|ขอเข้าใช้|เข้าใช้งาน")),
    # "ยกเลิกรายงานเมื่อกี้", "ลบที่ส่งไปล่าสุด", "ยกเลิกอันที่แล้ว": undo, before "ยกเลิก" is cancel
    ("undo", re.compile(r"ถอนรายงาน|ถอนผล|ถอนข้อความ|(?:ลบ|ถอน)(?:รายงาน|ผล).{0,16}(?:ที่เพิ่งส่ง|ล่าสุด|เมื่อกี้)"
                        r"|เอา(?:อัน|รายการ)?ที่(?:เพิ่ง)?ส่ง(?:ไป)?(?:เมื่อกี้|ล่าสุด)?ออก"
                        r"|(?:ยกเลิก|ลบ|เอาออก)(?:รายการ|รายงาน|อัน|ผล|ที่ส่ง|ที่รายงาน|ที่บันทึก|ที่กรอก|ข้อมูล|ไป"
                        r"|มา|ตัว|การส่ง|ครั้ง){0,4}(?:ล่าสุด|เมื่อกี้|เมื่อกี๊|เมื่อสักครู่|ตะกี้|ที่แล้ว)|undo|ย้อนกลับ"
                        r"|^(?!.*(?:แก้|เป็น\d|ที่ถูก|ต้องเป็น|เตือน))(?=.*(?:ลบ|ยกเลิก|เอาออก|เอา.{0,30}ออก|ทิ้ง|ถอน))"
                        r"(?=.*(?:เมื่อกี้|เมื่อกี๊|เมื่อสักครู่|ตะกี้|ที่เพิ่ง|เพิ่งส่ง|ล่าสุด|อันล่าสุด))")),
    ("unmute", re.compile(r"^(?!.*(?:หยุด|(?<!เ)ปิด|งด|ระงับ|ไม่ต้อง)).*?(?:เปิด(?:การ)?(?:แจ้ง)?เตือน|กลับมา.{0,16}เตือน|เตือนต่อ|unmute|เตือนตามปกติ|เตือนเหมือนเดิม|เปิดให้.{0,8}เตือน"
                          r"|(?<!ไม่ต้อง)(?<!ไม่)(?<!ยัง)เตือนได้(?:แล้ว|เลย|ตามเดิม)|^(?:ให้)?เตือนได้$)")),
    ("mute", re.compile(r"ปิด(?:เสียง)?(?:การ)?(?:แจ้ง)?เตือน|หยุด(?:การ)?(?:ส่ง)?(?:ข้อความ)?(?:แจ้ง)?เตือน|ไม่ต้อง(?:แจ้ง)?เตือน|เลิกเตือน"
                        r"|ยกเลิก(?:การ)?(?:แจ้ง)?เตือน|(?:งด|ระงับ)(?:การ)?(?:แจ้ง)?เตือน|\bmute")),
    ("snooze", re.compile(r"เลื่อน(?:การ)?(?:แจ้ง)?เตือน|เตือนอีก|(?:ค่อย|แล้ว)เตือน|เตือนใหม่|เลื่อนไป|snooze"
                          r"|พัก(?:การ)?(?:แจ้ง)?เตือน")),
    ("invite", re.compile(r"เชิญ")),
    ("cancel", re.compile(r"^ไม่ส่งแล้ว|ไว้ส่งใหม่|ไว้ค่อยส่ง|ไว้ส่งทีหลัง|ช่างมันก่อน|ยกเลิก|ไม่เอาแล้ว|ไม่เอาละ|^ไม่เอา$|^พอแล้ว$|^พอ$|^เลิก$|cancel|^ออก$|^stop$")),
    ("correct", re.compile(r"แก้ไข|แก้ตัวเลข|แก้เป็น|ขอแก้|แก้ผล|แก้ค่า|แก้ยอด|ส่งผิด|พิมพ์ผิด|กรอกผิด|ใส่ผิด"
                           r"|ตัวเลขผิด|ยอดผิด|ตัวเลขไม่ถูก|ผิด.{0,16}(?:ที่ถูก|ต้องเป็น|ที่จริง|จริงๆ)|(?:ส่ง|กรอก|ใส่)(?:ไป)?ผิด|พิมพ์.{0,12}ผิด"
                           r"|เป็นของ(?:เดือน|งวด)?.{0,10}ไม่ใช่|ที่ส่งไป.{0,24}ไม่ใช่"  # "…เป็นของเดือน พ.ค. ไม่ใช่ เม.ย."
                           r"|correct|edit|^แก้(?!จน|ปัญหา|หนี้)|^ผิด(?:ครับ|ค่ะ|คะ)?(?:ที่ถูก|ต้องเป็น|$)"
                           # "ไม่ใช่ 92 ค่ะ ต้องเป็น 95" (the numbers are blanked before the rules run)
                           r"|^(?!.*(?:เท่าไ|อะไร|ไหม|มั้ย|ยังไง|อย่างไร|หรือเปล่า))(?:ไม่ใช่.{0,20}เป็น"
                           r"|(?:ที่ถูก(?:ต้อง)?)?ต้องเป็น|.{0,20}เปลี่ยนเป็น|.{0,20}ที่ถูก(?:ต้อง)?คือ)")),
    ("missing", re.compile(r"ยังไม่(?:ได้)?(?:ส่ง|รายงาน)|ค้างส่ง|ค้างรายงาน|ขาดส่ง|ไม่ได้ส่ง"
                           r"|ส่งครบ(?:หรือยัง|ยัง|ไหม|มั้ย|กี่|แล้วหรือ)|ใครส่งครบ|ใครส่งแล้ว"
                           r"|ใครยังไม่|ส่งแล้วบ้าง|ใครยัง|(?<!ต้อง)ส่ง(?:ผล|รายงาน)?.{0,12}หรือยัง|missing"
                           r"|ค้าง(?:ตัว|อะไร|อยู่|กี่)|ยังขาด(?:ผล)?(?:ตัว|อะไร|อีก)|ขาดตัวไหน|ยังไม่มีผล|ยังไม่ได้กรอก")),
    ("deadlines", re.compile(r"กำหนดส่ง|ส่งวันไหน|ส่งวันที่เท่า|ส่งภายในวัน|ส่งได้ถึง|ส่งเมื่อไ|ส่งถึงวัน|หมดเขต"
                             r"|วันสุดท้าย|ครบกำหนด|วันตัดยอด|ตัดยอดวัน|ปิดรอบ|ปิดส่ง|ปิดรับ|เหลือกี่วัน|deadline|ต้องส่ง(?:วัน|เมื่อ)"
                             r"|ส่งก่อนวัน|ถึงวันไหน|วันไหน|เมื่อไหร่ต้องส่ง|(?:เอา|ใช้|ดึง)ข้อมูล(?:ณ)?วัน"
                             r"|(?:ส่ง|รายงาน)(?:ผล)?วันที่(?:เท่า|กี่)?.{0,6}(?:ใช่ไหม|ใช่มั้ย|ใช่ป่าว|หรือเปล่า)"
                             r"|ทุกวันที่(?:เท่า|กี่)|วันที่เท่าไ|วันที่กี่|(?:ส่ง|รายงาน)ทุกวัน")),
    # chiefs' views (issue 14): files, charts, KPIs at risk, a monthly trend; before evidence ("ขอไฟล์ excel")
    ("export", re.compile(r"^(?!.*(?:หลักฐาน|หลักถาน|(?<!ไว้)แนบ(?!หนังสือ|ท้าย|ไปกับหนังสือ)))(?:.*(?:ส่งออก|excel|เอ็กเซล|เอ็กเซล|xlsx|pdf|พีดีเอฟ"
                          r"|แบบกขค|export|ขอ(?:ไฟล์|ไฟล)|ฟอร์มประเมิน|แบบฟอร์มประเมิน))")),
    ("chart", re.compile(r"กราฟ|แผนภูมิ|ชาร์ต|ชาร์ท|chart|graph")),
    ("risk", re.compile(r"(?:อำเภอ|หน่วย|ตำบล|ใคร|ตัวชี้วัด|ตัว)ไหน.{0,40}(?:ไม่ได้คะแนน|ไม่ผ่าน|ตก|ไม่ถึงระดับ)|เสี่ยง|น่าห่วง|น่าเป็นห่วง|ตกเกณฑ์|ไม่ผ่านเกณฑ์|ต่ำกว่าระดับ\d|atrisk|risk")),
    ("trend", re.compile(r"แนวโน้ม|trend|^(?:ขอ|อยาก|ช่วย)?(?:ดู)?เทียบ(?:คะแนน|ผล)?(?:ระหว่าง)?(?:รอบ|เดือน)?(?:นี้)?กับ(?!อำเภอ|จังหวัด|หน่วย|คนอื่น|ที่อื่น|เกณฑ์|เป้า)|(?:ผล|คะแนน|ตัวเลข|ยอด).{0,12}ย้อนหลัง|ย้อนหลัง.{0,6}เดือน|เดือนต่อเดือน")),
    ("evidence", re.compile(r"^ภาพ(?!รวม)|^รูป|หลักฐาน|หลักถาน|แนบ|(?<!ค)รูป|ภาพถ่าย|ภาพกิจกรรม|ไฟล์|สกรีนช็อต|แคปหน้าจอ|photo|evidence"
                            r"|screenshot|ส่งภาพ")),
    ("score", re.compile(r"(?:ถึง|ผ่าน|ได้ตาม)เป้า(?:หมาย)?(?:หรือยัง|ยัง|แล้วหรือ|ไหม|มั้ย|รึยัง)|ผ่านเกณฑ์(?:หรือยัง|ไหม|มั้ย|รึยัง)|คะแนน|คะเเนน|score|ได้ระดับ|ระดับไหน|ระดับอะไร|ได้กี่|อันดับ|ภาพรวม|ดูผล|ผลประเมิน"
                         r"|ผลการประเมิน|สรุปผล|ranking")),
    ("report", re.compile(r"รายงาน|ส่งผล|แจ้งผล|ส่งข้อมูล|บันทึกผล|ส่งยอด|แจ้งยอด|กรอกผล|อัพเดท|อัปเดต|update"
                          r"|report|ผลงาน|ผลเดือน|ยอดเดือน")),
]
# "งดเตือน 3 วัน", "ไม่ต้องเตือน 2 วัน", "พักเตือน 1 สัปดาห์": a pause with a length is a snooze
# (understand() reads the length; without one, งด/ไม่ต้อง/หยุด/ปิด mean mute)
PAUSE = re.compile(r"(?:งด|พัก|ไม่ต้อง|หยุด|ปิด|ระงับ|เลิก)(?:การ)?(?:แจ้ง)?เตือน")
# the text is compared in compact form, which drops ไม้ไต่คู้ (็): so do the patterns
RULES = [(intent, re.compile(p.pattern.replace("\u0e47", ""))) for intent, p in RULES]

# typo-tolerant second pass: (intent, keyword) compared with rapidfuzz partial_ratio
FUZZY = [
    ("report", "รายงาน"), ("score", "คะแนน"), ("evidence", "หลักฐาน"), ("deadlines", "กำหนดส่ง"),
    ("register", "ลงทะเบียน"), ("help", "วิธีใช้"), ("missing", "ยังไม่ส่ง"), ("correct", "แก้ไข"),
]

ROLE_WORDS = [
    ("admin", re.compile(r"แอดมิน|admin|ผู้ดูแลระบบ|ผู้ดูแล")),
    ("coordinator", re.compile(r"ผู้ประสาน|ผู้ประสานงาน|coordinator|กลุ่มงาน")),
    ("chief", re.compile(r"พัฒนาการอำเภอ|พัฒนาการจังหวัด|หัวหน้า|ผู้บังคับบัญชา|chief|พัฒนาการ(?!ชุมชน)")),
    ("reporter", re.compile(r"พัฒนากร|เจ้าหน้าที่|จนท|ผู้รายงาน|reporter|staff|นักวิชาการ")),
]

ALL_UNITS = re.compile(r"ทุกอำเภอ|ทุกหน่วย|ทั้งจังหวัด|ทั้งหมด|ภาพรวม|จัดอันดับ|อันดับ|ทุกคน|ranking|all")


def slash(text: str) -> tuple[str, str, str] | None:
    """("report", "report", rest) for "/report rest"; None when not a known slash command."""
    m = SLASH.match(text)
    if not m:
        return None
    cmd = m.group("cmd").lower()
    intent = SLASH_INTENTS.get(cmd)
    return (intent, cmd, m.group("rest")) if intent else None


def keyword_intent(flat: str) -> str | None:
    for intent, pattern in RULES:
        if pattern.search(flat):
            return intent
    return None


def fuzzy_intent(flat: str) -> str | None:
    best: tuple[float, str] | None = None
    for intent, word in FUZZY:
        if len(flat) < len(word) - 1:
            continue
        ratio = fuzz.partial_ratio(word, flat, score_cutoff=80)
        if ratio and (best is None or ratio > best[0]):
            best = (ratio, intent)
    return best[1] if best else None


_ASKED_LEVEL = re.compile(r"ระดับ(?:คะแนน)?(?:ที่)?([1-5])(?!\d)")


def asked_level(text: str) -> int | None:
    """The level a question names ("ระดับ 5 ต้องทำอะไร", "ถึงระดับ ๔", "ระดับห้า"); None if it names none."""
    from .text import clean, compact

    m = _ASKED_LEVEL.search(compact(clean(text)))
    return int(m.group(1)) if m else None


def role_of(flat: str) -> str | None:
    for role, pattern in ROLE_WORDS:
        if pattern.search(flat):
            return role
    return None
