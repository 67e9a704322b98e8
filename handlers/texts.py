"""What the bot says: Thai, polite and short; dates in BE; numbers as staff write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from scoring.numbers import decimals_of, fmt
from scoring.thaidate import MONTHS_ABBR, format_be

HELP = """วิธีใช้ kpibot ค่ะ
• รายงานผล: “รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%” หรือพิมพ์ “รายงาน” แล้วเลือกตามขั้นตอน
• ส่งหลักฐาน: ส่งรูปหรือไฟล์ พร้อมคำบรรยาย เช่น “หลักฐาน ตชว.1”
• ดูคะแนน: “คะแนนปัจจุบัน” (หัวหน้า: “คะแนน เมืองยะลา” หรือ “คะแนนทุกอำเภอ”)
• ใครยังไม่ส่ง: “ยังไม่ส่ง”   • กำหนดส่ง: “กำหนดส่ง” หรือ “ตชว.7 ส่งวันไหน”
• ดูเกณฑ์การให้คะแนน: “เกณฑ์ ตชว.1” หรือ “ระดับ 5 ต้องทำอะไร”
• แก้ไขรายการล่าสุด: “แก้ไข ๙๕” • ยกเลิกรายการล่าสุด: “ยกเลิกรายการล่าสุด”
• ปิดการเตือน / เปิดการเตือน / เลื่อนเตือน 1 วัน"""

HELP_UNREGISTERED = """สวัสดีค่ะ ยังไม่พบข้อมูลการลงทะเบียนของท่าน
กรุณาพิมพ์ “ลงทะเบียน” ตามด้วยรหัสเชิญที่ได้รับจากผู้ดูแล เช่น “ลงทะเบียน ABCD2345”"""


def number(value: Decimal | str | int) -> str:
    value = Decimal(str(value))
    return fmt(value, 2) if decimals_of(value) > 2 else fmt(value)


def score(value: Decimal) -> str:
    """Scores always with two decimals, as the appraisal forms print them: 86.00."""
    return fmt(Decimal(value), 2)


def period_th(period: str) -> str:
    if period == "round":
        return "รอบการประเมินนี้"
    year, month = (int(x) for x in period.split("-"))
    return f"เดือน {MONTHS_ABBR[month - 1]} {year + 543}"


def day_th(day: date) -> str:
    return format_be(day)


def level_th(level: int) -> str:
    return "ยังไม่ถึงระดับ 1" if level == 0 else f"ระดับ {level}"


def figure(spec: Any, value: Any) -> str:
    """One input's figure as staff write it: "ร้อยละ 92.5", "1,234,567 บาท", "3 ช่องทาง", a date in BE.
    `spec` is the catalog Input (or None)."""
    if spec is not None and spec.kind == "date":
        try:
            return day_th(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    try:
        shown = number(value)
    except (ArithmeticError, ValueError):
        return str(value)
    if spec is not None and spec.unit == "ร้อยละ":
        return f"ร้อยละ {shown}"
    return f"{shown} {spec.unit}" if spec is not None and spec.unit else shown
