"""Issue 10 through the channels: a few of its examples typed into `kpibot chat` from a pipe, and sent
through Telegram (the real python-telegram-bot over HTTP to the Bot API stand-in) with the card's
buttons pressed. What the user sees, and what the store kept."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.cli.demo import build
from bot.store.sqlite import SqliteStore
from handlers.nlu import warm_up
from scoring.loader import load_all

from .telegram_setup import MUEANG_OFFICER, TG, running_bot

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 6, 10)
TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"
MUEANG = "yala-mueang"
OFFICER = TG[MUEANG_OFFICER]

WOMEN_FUND = "รายงาน ตชว.5 สมาชิกกองทุนสตรี สมัครใหม่ 1,250 คน จากสตรีทั้งหมด 25,000 คน"
TWO_KPIS = "ส่งผล 2 ตัว เบิกจ่าย 91 BPM 88"
BARE = "92.5"
IMPLAUSIBLE = "OTOP รายได้เพิ่ม 1,250% 3 ช่องทาง 4 ครั้ง"


# -- the console: `kpibot chat` from a pipe, choices answered by number ----------------------------


def console(tmp_path: Path, lines: list[str], user: int = MUEANG_OFFICER) -> str:
    db = tmp_path / "demo.sqlite3"
    if not db.exists():  # the demo database without figures, as the conversation tests use it
        build(str(db), str(tmp_path / "evidence"), TODAY, figures=False).close()
    env = {**os.environ, "KPIBOT_VAR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "chat", "--db", str(db), "--today", TODAY.isoformat(),
         "--user", str(user)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def stored(tmp_path: Path, catalog: str, kpi: str, unit: str = MUEANG):
    store = SqliteStore(tmp_path / "demo.sqlite3", tmp_path / "evidence")
    try:
        return store.current(unit, catalog, kpi)
    finally:
        store.close()


def test_console_women_fund_counts_then_confirm_by_number(tmp_path):
    out = console(tmp_path, [WOMEN_FUND])
    assert "1,250 คน" in out and "25,000 คน" in out and "ร้อยละ 5.00" in out
    assert "ผล: ระดับ 1" in out and "1) ยืนยัน" in out
    assert stored(tmp_path, INDIVIDUAL, "i5") == []  # the card alone stores nothing
    out = console(tmp_path, [WOMEN_FUND, "1"])
    assert "บันทึกแล้วค่ะ" in out
    [saved] = stored(tmp_path, INDIVIDUAL, "i5")
    assert saved.inputs == {"members": "1250", "women": "25000"} and saved.level == 1
    assert saved.channel == "console" and saved.person_id == MUEANG_OFFICER


def test_console_two_kpis_two_cards_one_after_the_other(tmp_path):
    out = console(tmp_path, [TWO_KPIS, "1", "1"])
    first, _, rest = out.partition("บันทึกแล้วค่ะ: ตชว.1")
    assert "ร้อยละ 91" in first and "ร้อยละ 88" not in first  # one card per KPI
    assert "ร้อยละ 88" in rest and "บันทึกแล้วค่ะ: ตชว.2" in rest
    [t1], [t2] = stored(tmp_path, TEAM, "t1"), stored(tmp_path, TEAM, "t2")
    assert t1.inputs == {"percent": "91"} and t2.inputs == {"percent": "88"}
    assert t1.level == 3 and t2.level == 3


def test_console_bare_number_asks_which_kpi_then_the_card(tmp_path):
    out = console(tmp_path, [BARE, "1", "1"])
    assert "ตัวชี้วัดไหน" in out and "1) ตชว.1 เบิกจ่าย" in out
    assert "ไม่เข้าใจ" not in out
    assert "ร้อยละ 92.5" in out and "ผล: ระดับ 3" in out and "บันทึกแล้วค่ะ" in out
    [saved] = stored(tmp_path, TEAM, "t1")
    assert saved.inputs == {"percent": "92.5"} and saved.level == 3


def test_console_implausible_growth_needs_a_second_confirm(tmp_path):
    out = console(tmp_path, [IMPLAUSIBLE, "ยืนยัน"])
    assert "⚠️" in out and "1,250" in out and "บันทึกแล้ว" not in out
    assert stored(tmp_path, INDIVIDUAL, "i1") == []  # the first confirm stores nothing
    out = console(tmp_path, [IMPLAUSIBLE, "ยืนยัน", "ยืนยัน"])
    assert "บันทึกแล้วค่ะ" in out
    [saved] = stored(tmp_path, INDIVIDUAL, "i1")
    assert saved.inputs["growth"] == "1250" and saved.flags


# -- Telegram: the card's buttons pressed -----------------------------------------------------------


@pytest.fixture(scope="module")
def catalogs():
    warm_up()  # the first pythainlp calls take about a second: not inside a test's timeouts
    return load_all()


def _current(bot, catalog: str, kpi: str, unit: str = MUEANG):
    return bot.store_call(bot.runtime.store.current, unit, catalog, kpi)


async def _next_sent(bot, count: int):
    """Wait for the officer's chat to hold `count` messages; return the newest."""
    return (await bot.api.wait_sent(OFFICER, count))[-1]


async def test_telegram_women_fund_card_then_confirm_button(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(OFFICER, WOMEN_FUND)
        card = await _next_sent(bot, 1)
        assert "1,250 คน" in card.text and "25,000 คน" in card.text and "ร้อยละ 5.00" in card.text
        assert "ผล: ระดับ 1" in card.text and ("ยืนยัน", "ok") in card.buttons
        assert _current(bot, INDIVIDUAL, "i5") == []
        bot.api.inject_callback(OFFICER, card.message_id, "ok")
        await bot.api.wait_for(lambda: card.edits == 1, what="the card edited")
        assert card.text.startswith("บันทึกแล้วค่ะ") and "ระดับ 1" in card.text and card.buttons == []
        [saved] = _current(bot, INDIVIDUAL, "i5")
        assert saved.inputs == {"members": "1250", "women": "25000"} and saved.level == 1
        assert saved.channel == "telegram"


async def test_telegram_two_kpis_confirmed_one_by_one(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(OFFICER, TWO_KPIS)
        first = await _next_sent(bot, 1)
        assert "ร้อยละ 91" in first.text and "ร้อยละ 88" not in first.text
        assert [d for _, d in first.buttons] == ["ok", "okall", "no"]
        bot.api.inject_callback(OFFICER, first.message_id, "ok")
        second = await _next_sent(bot, 2)  # the next card, as a new message
        assert first.text.startswith("บันทึกแล้วค่ะ") and first.buttons == []  # the first card, edited
        assert "ร้อยละ 88" in second.text and "ยืนยันบันทึก" in second.text
        [t1] = _current(bot, TEAM, "t1")
        assert t1.inputs == {"percent": "91"} and _current(bot, TEAM, "t2") == []
        bot.api.inject_callback(OFFICER, second.message_id, "ok")
        await bot.api.wait_for(lambda: second.edits == 1, what="the second card edited")
        assert second.text.startswith("บันทึกแล้วค่ะ")
        [t2] = _current(bot, TEAM, "t2")
        assert t2.inputs == {"percent": "88"} and t2.level == 3


async def test_telegram_two_kpis_confirmed_together(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(OFFICER, TWO_KPIS)
        card = await _next_sent(bot, 1)
        data = next(d for label, d in card.buttons if label == "ยืนยันทั้งหมด")
        bot.api.inject_callback(OFFICER, card.message_id, data)
        await bot.api.wait_for(lambda: bool(_current(bot, TEAM, "t2")), what="both stored")
        await bot.api.wait_for(lambda: card.edits == 1, what="the card edited")
        assert card.text.startswith("บันทึกแล้วค่ะ")
        [t1], [t2] = _current(bot, TEAM, "t1"), _current(bot, TEAM, "t2")
        assert t1.inputs == {"percent": "91"} and t2.inputs == {"percent": "88"}


async def test_telegram_bare_number_asks_which_kpi_by_buttons(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(OFFICER, BARE)
        ask = await _next_sent(bot, 1)
        assert "ตัวชี้วัดไหน" in ask.text
        labels = [label for label, _ in ask.buttons]
        assert any(x.startswith("ตชว.1 เบิกจ่าย") for x in labels[:3]), labels
        data = next(d for label, d in ask.buttons if label.startswith("ตชว.1 เบิกจ่าย"))
        bot.api.inject_callback(OFFICER, ask.message_id, data)

        def card():
            return next((m for m in bot.api.sent_messages(OFFICER) if "ยืนยันบันทึก" in (m.text or "")), None)

        await bot.api.wait_for(lambda: card() is not None, what="the card")
        shown = card()
        assert "ร้อยละ 92.5" in shown.text and "ผล: ระดับ 3" in shown.text
        edits = shown.edits
        bot.api.inject_callback(OFFICER, shown.message_id, "ok")
        await bot.api.wait_for(lambda: shown.edits == edits + 1, what="the card edited")
        assert shown.text.startswith("บันทึกแล้วค่ะ")
        [saved] = _current(bot, TEAM, "t1")
        assert saved.inputs == {"percent": "92.5"} and saved.level == 3


async def test_telegram_implausible_growth_needs_two_presses(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(OFFICER, IMPLAUSIBLE)
        card = await _next_sent(bot, 1)
        assert "⚠️" in card.text and "1,250" in card.text and ("ยืนยัน", "ok") in card.buttons
        bot.api.inject_callback(OFFICER, card.message_id, "ok")
        await bot.api.wait_for(lambda: len(bot.api.callback_answers) == 1, what="the first press answered")
        await bot.api.wait_for(lambda: card.edits == 1 or len(bot.api.sent_messages(OFFICER)) == 2,
                               what="asked to confirm again")
        again = bot.api.sent_messages(OFFICER)[-1]
        assert "⚠️" in again.text and not again.text.startswith("บันทึกแล้ว")
        assert ("ยืนยัน", "ok") in again.buttons
        assert _current(bot, INDIVIDUAL, "i1") == []  # the first press stores nothing
        count, edits = len(bot.api.sent_messages(OFFICER)), again.edits
        bot.api.inject_callback(OFFICER, again.message_id, "ok")
        await bot.api.wait_for(lambda: again.edits > edits or len(bot.api.sent_messages(OFFICER)) > count,
                               what="the second press answered")
        assert bot.api.sent_messages(OFFICER)[-1].text.startswith("บันทึกแล้วค่ะ")
        [saved] = _current(bot, INDIVIDUAL, "i1")
        assert saved.inputs["growth"] == "1250" and saved.flags and saved.channel == "telegram"
