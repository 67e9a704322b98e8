"""Unregistered senders are paced (issue 13): a flood from one unknown id is answered up to a limit, told once
to slow down, then dropped, while registered people and other strangers are answered as usual."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.conversation import Conversation
from handlers.messages import Incoming
from handlers.strangers import LIMIT, WINDOW, StrangerPace
from scoring.thaidate import BANGKOK

from .conftest import MUEANG_OFFICER

START = datetime(2025, 6, 10, 9, 0, tzinfo=BANGKOK)


def _msg(sender: str, text: str, at: datetime, n: int) -> Incoming:
    return Incoming(channel="telegram", sender=sender, chat=sender, text=text, sent_at=at, message_id=str(n),
                    display_name="ใครก็ไม่รู้")


def test_a_stranger_guessing_invite_codes_is_told_once_then_not_answered(store, catalogs):
    conversation = Conversation(store, catalogs)
    replies = [conversation.handle(_msg("999", f"ลงทะเบียน ZZZZ{i:04d}", START + timedelta(seconds=i), i))
               for i in range(40)]
    answered = [r for r in replies if r]
    assert len(answered) == LIMIT + 1, [r[0].text for r in answered]
    assert "ถี่เกินไป" in answered[-1][0].text and "นาที" in answered[-1][0].text
    assert all("ถี่เกินไป" not in r[0].text for r in answered[:-1])
    # a registered officer and another stranger are not held up by the flood
    officer = conversation.handle(Incoming(channel="console", sender=str(MUEANG_OFFICER), chat=str(MUEANG_OFFICER),
                                           text="คะแนนปัจจุบัน", sent_at=START + timedelta(seconds=41),
                                           message_id="o1"))
    assert officer and "ถี่เกินไป" not in officer[0].text
    other = conversation.handle(_msg("1000", "สวัสดีค่ะ", START + timedelta(seconds=42), 100))
    assert other and "ถี่เกินไป" not in other[0].text
    # after the window the stranger is answered again
    later = conversation.handle(_msg("999", "ลงทะเบียน ZZZZ9999", START + WINDOW + timedelta(minutes=1), 200))
    assert later and "ถี่เกินไป" not in later[0].text


def test_the_window_slides_and_memory_is_bounded():
    pace = StrangerPace(limit=2, window=timedelta(minutes=10), max_senders=3)
    at = START
    assert [pace.admit("line", "a", at + timedelta(minutes=m)) for m in (0, 1, 2, 3)] == \
        [None, None, "too_fast", "drop"]
    assert pace.wait_minutes("line", "a", at + timedelta(minutes=3)) == 7
    assert pace.admit("line", "a", at + timedelta(minutes=10)) is None  # the first message left the window
    for s in "bcde":
        pace.admit("line", s, at)
    assert len(pace._seen) == 3  # noqa: SLF001 - the oldest strangers forgotten
