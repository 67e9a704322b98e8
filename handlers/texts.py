"""What the bot says: Thai, polite and short; dates in BE; numbers as staff write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from scoring.bands import WEIGHTS_PRESENT_TH
from scoring.numbers import decimals_of, fmt
from scoring.thaidate import MONTHS_ABBR, format_be
from scoring.totals import Row, Total

HELP = """วิธีใช้ kpibot ค่ะ
• รายงานผล: “รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%” หรือพิมพ์ “รายงาน” แล้วเลือกตามขั้นตอน
• ส่งหลักฐาน: ส่งรูปหรือไฟล์ พร้อมคำบรรยาย เช่น “หลักฐาน ตชว.1”
• หลักฐานที่เก็บไว้: “ดูหลักฐาน ตชว.1” “ขอไฟล์หลักฐาน ตชว.1” • ถอนไฟล์ของตน: “ลบหลักฐาน ตชว.1 ไฟล์ที่ 2”
• ดูคะแนน: “คะแนนปัจจุบัน” (หัวหน้า: “คะแนน เมืองยะลา” หรือ “คะแนนทุกอำเภอ”)
• ใครยังไม่ส่ง: “ยังไม่ส่ง”   • กำหนดส่ง: “กำหนดส่ง” หรือ “ตชว.7 ส่งวันไหน”
• ตัวชี้วัดที่น่าเป็นห่วง: “ตัวชี้วัดไหนเสี่ยง” • แนวโน้มรายเดือน: “แนวโน้ม ตชว.1”
• กราฟ: “กราฟ” “กราฟอันดับ” “กราฟ ตชว.1” • ไฟล์: “ขอไฟล์ excel” “ขอ pdf” (หัวหน้า: “ขอ pdf เบตง”)
• ดูเกณฑ์การให้คะแนน: “เกณฑ์ ตชว.1” หรือ “ระดับ 5 ต้องทำอะไร”
• แก้ไขรายการล่าสุด: “แก้ไข ๙๕” • ยกเลิกรายการล่าสุด: “ยกเลิกรายการล่าสุด”
• ปิดการเตือน / เปิดการเตือน / เลื่อนเตือน 1 วัน"""

HELP_UNREGISTERED = """สวัสดีค่ะ ยังไม่พบข้อมูลการลงทะเบียนของท่าน
กรุณาพิมพ์ “ลงทะเบียน” ตามด้วยรหัสเชิญที่ได้รับจากผู้ดูแล เช่น “ลงทะเบียน ABCD2345”"""

# a new follower of the bot (LINE follow event), and one who comes back
GREETING = (
    "สวัสดีค่ะ ยินดีต้อนรับสู่ kpibot ผู้ช่วยรายงานตัวชี้วัดของสำนักงานพัฒนาชุมชน 🙏\n"
    "ลงทะเบียน: พิมพ์ “ลงทะเบียน รหัสเชิญ” เช่น “ลงทะเบียน ABCD2345” (ขอรหัสเชิญจากผู้ดูแลของจังหวัด)\n"
    "ใช้บอททาง Telegram อยู่แล้ว: พิมพ์ “ขอรหัสเชื่อมบัญชี” ใน Telegram แล้วพิมพ์ “เชื่อมบัญชี รหัส” ที่นี่"
)
WELCOME_BACK = "ยินดีต้อนรับกลับค่ะ คุณ{name} 🙏 พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง"


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


# ------------------------------------------------------------------ totals (chat cards and `kpibot score`)


def row_level(row: Row) -> str:
    """A KPI's level on a score card: "ระดับ 4", "ยังไม่รายงาน", or "รอระบุกรณี" (a case to choose)."""
    if row.pending is not None:
        return "รอระบุกรณี"
    if row.level is None:
        return "ยังไม่รายงาน"
    return "ยังไม่ถึงระดับ 1" if row.level == 0 else f"ระดับ {row.level}"


def total_brief(result: Total) -> str:
    """The total in a few words: "86.00 คะแนน (ระดับมาตรฐานขั้นสูง)". Where the weights do not total 100,
    the band goes with the score against the weights present, marked as such, never with Σค ÷ 5."""
    if result.normalised100 is None:
        return f"{score(result.score100)} คะแนน ({result.band})"
    return (f"{score(result.score100)} คะแนน · {WEIGHTS_PRESENT_TH} {score(result.normalised100)} "
            f"({result.band} {WEIGHTS_PRESENT_TH})")


def incomplete_why(result: Total) -> list[str]:
    """Why a total is not final yet, in short Thai phrases (not reported, a case to choose, weight missing)."""
    why = []
    if result.missing:
        why.append(f"ยังไม่รายงาน {len(result.missing)} ตัวชี้วัด")
    if result.pending:
        why.append(f"รอระบุกรณี {len(result.pending)} ตัวชี้วัด")
    if result.weights_missing:
        why.append(f"เอกสารขาดตัวชี้วัดน้ำหนัก {number(result.weights_missing)}")
    return why


def total_lines(result: Total) -> list[str]:
    """The totals of a score card, line by line: the same figures and words in chat and in `kpibot score`.

    Weights of 100: Σค ÷ 5 with its band, the 1-5 average, Σค. Otherwise Σค ÷ 5 and Σข without a band,
    the score against the weights present with its band (marked), and one line saying why they differ.
    An incomplete total says why (not reported, a case to choose, weight missing from the document)
    and gives the score so far and the best still possible.
    """
    lines: list[str] = []
    total_c = number(result.weighted_sum)
    if result.normalised100 is None:
        lines.append(f"รวม {total_brief(result)} เฉลี่ย {score(result.average5)}/5 · ผลรวม ค = {total_c}")
    else:
        lines.append(f"รวม {score(result.score100)} คะแนน (ผลรวม ค = {total_c} ÷ 5 "
                     f"จากน้ำหนักรวม {number(result.weights_total)}) เฉลี่ย {score(result.average5)}/5")
        lines.append(f"{WEIGHTS_PRESENT_TH} {score(result.normalised100)} คะแนน ({result.band} {WEIGHTS_PRESENT_TH})")
    if result.weights_note:
        lines.append(result.weights_note)
    for g in result.groups:
        lines.append(f"{g.name}: น้ำหนัก {number(g.weight)} ผลรวม ค = {number(g.weighted)} "
                     f"({score(g.score100)} คะแนน)")
    lines.extend(result.pending.values())
    if not result.complete:
        why = incomplete_why(result)
        now, best = score(result.worst100), score(result.best100)
        if result.best_normalised100 is not None and result.worst_normalised100 is not None:
            now += f" ({WEIGHTS_PRESENT_TH} {score(result.worst_normalised100)})"
            tail = f"{best} คะแนน ({WEIGHTS_PRESENT_TH} {score(result.best_normalised100)} {result.best_band})"
        else:
            tail = f"{best} คะแนน ({result.best_band})"
        lines.append(f"คะแนนเท่าที่มี ยังไม่ครบ ({' · '.join(why)}): ขณะนี้ {now} สูงสุดที่ยังเป็นไปได้ {tail}")
    return lines
