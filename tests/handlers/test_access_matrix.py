"""Issue 13, groups: private vs group chat × role × kind of answer → where it goes, on both channels.

The channels' routing is handlers/audience.py's rule, called here as bot/channels/telegram/channel.py and
bot/channels/line/channel.py call it (tests/bot/test_group_access.py runs the real channels):
- Telegram answers a reporter who writes in a group in their private chat (the conversation sees a private
  message); LINE refuses in the group with ``ASK_PRIVATELY`` and does not handle the message (a push to
  someone who has not added the bot fails, and costs quota).
- Chiefs and admins are answered in the group, their cards' buttons tagged with their id; codes are refused
  there (``CODE_IN_GROUP``, no code made), a press on someone else's card gets "ปุ่มนี้เป็นของ …ค่ะ".
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from handlers import audience
from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from tests.handlers.conftest import ADMIN, BANGKOK, MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF, TODAY

CHANNELS = ("telegram", "line")
ROLES = {"reporter": MUEANG_OFFICER, "chief": MUEANG_CHIEF, "admin": ADMIN}
KINDS = ("link code", "invite", "score", "report card", "press of another's card")
GROUP = "Ggroup0001"
REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"
CODE = re.compile(r"รหัส(?:เชิญ|เชื่อมบัญชีของท่าน)[^:]*: ([A-Z0-9]{8})")
FIGURES = re.compile(r"ร้อยละ 92\.5|คะแนนปัจจุบัน")


def ext(person_id: int) -> str:
    return f"x{person_id}"


class Channels:
    """One conversation behind both channels' routing (handlers/audience.py)."""

    def __init__(self, store, catalogs):
        self.store = store
        self.conversation = Conversation(store, catalogs)
        self.n = 0
        for person_id in (*ROLES.values(), PROVINCE_CHIEF):
            for channel in CHANNELS:
                store.link_identity(person_id, channel, ext(person_id))

    def send(self, channel: str, chat: str, person_id: int, text: str = "", choice: str | None = None
             ) -> tuple[str, list[Reply]]:
        """(where the answer went: "group" or "private", the replies)."""
        self.n += 1
        sender = ext(person_id)
        where = "private"
        if chat == "group":
            role = self.store.person(person_id).role
            if audience.answer_where("group", role) == "here":
                where = "group"
            elif channel == "line":
                return "group", [Reply(audience.ASK_PRIVATELY)]  # LINE: not handled, asked to write privately
        msg = Incoming(channel=channel, sender=sender, chat=GROUP if where == "group" else sender, text=text,
                       sent_at=datetime.combine(TODAY, time(10, self.n % 60), BANGKOK), message_id=str(self.n),
                       choice=choice, display_name="ผู้ทดสอบ", is_group=where == "group")
        replies = self.conversation.handle(msg)
        if where == "group":  # as the channels send cards into a group
            replies = [Reply(r.text, audience.own_choices(r.choices, sender, 64), edit=r.edit) for r in replies]
        return where, replies


@pytest.fixture()
def channels(store, catalogs):
    return Channels(store, catalogs)


def expected(channel: str, chat: str, role: str, kind: str) -> tuple[str, str]:
    """(where, what): what is "answer" (the thing asked for), "code refused", "ask privately", "not yours"."""
    if chat == "private":
        return "private", "answer"
    if role == "reporter":
        if channel == "line":
            return "group", "ask privately"
        return "private", "not yours" if kind == "press of another's card" else "answer"
    if kind == "link code" or (kind == "invite" and role == "admin"):  # a chief may not invite at all
        return "group", "code refused"
    if kind == "press of another's card":
        return "group", "not yours"
    return "group", "answer"


CASES = [(channel, chat, role, kind) for channel in CHANNELS for chat in ("private", "group") for role in ROLES
         for kind in KINDS if not (chat == "private" and kind == "press of another's card")]


@pytest.mark.parametrize(("channel", "chat", "role", "kind"), CASES,
                         ids=["-".join(c).replace(" ", "_").replace("'", "") for c in CASES])
def test_access_matrix(channels, store, channel, chat, role, kind):
    person = ROLES[role]
    invites_before = len(store.invites())
    if kind == "press of another's card":
        channels.send(channel, chat, person, REPORT)  # the presser's own pending card: must stay unsaved
        where, replies = channels.send(channel, chat, person, "ยืนยัน", choice=f"ok{audience.OWNER_SEP}"
                                                                             f"{ext(PROVINCE_CHIEF)}")
    else:
        text = {"link code": "ขอรหัสเชื่อมบัญชี", "invite": "เชิญ ผู้ดูแล", "score": "คะแนนปัจจุบัน",
                "report card": REPORT}[kind]
        where, replies = channels.send(channel, chat, person, text)
    text = "\n".join(r.text for r in replies)
    want_where, what = expected(channel, chat, role, kind)
    assert where == want_where, text
    if where == "group":  # nothing of one person reaches a group: no code, no figures
        assert not CODE.search(text) and (role != "reporter" or not FIGURES.search(text)), text
    if what == "code refused":
        assert text == audience.CODE_IN_GROUP
        assert len(store.invites()) == invites_before
    elif what == "ask privately":
        assert text == audience.ASK_PRIVATELY
    elif what == "not yours":
        assert text == "ปุ่มนี้เป็นของคุณ" + store.person(PROVINCE_CHIEF).name + " ค่ะ"
        assert store.last_submission_by(person) is None and store.last_submission_by(PROVINCE_CHIEF) is None
    elif kind == "link code":
        assert CODE.search(text), text
    elif kind == "invite":
        assert CODE.search(text) if role == "admin" else "ไม่มีสิทธิ์" in text, text
    elif kind == "score":
        assert "คะแนนปัจจุบัน" in text
    else:
        assert "ร้อยละ 92.5" in text and [c.label for r in replies for c in r.choices][:1] == ["ยืนยัน"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_in_a_group_a_chief_pressing_another_chiefs_confirm_saves_nothing_and_leaves_the_card(channels, store,
                                                                                            channel):
    _, [card_a] = channels.send(channel, "group", MUEANG_CHIEF, REPORT)
    channels.send(channel, "group", PROVINCE_CHIEF, REPORT)  # the other chief's own pending report
    ok_a = card_a.choices[0].data
    assert audience.owner_of(ok_a) == ("ok", ext(MUEANG_CHIEF))
    _, [refused] = channels.send(channel, "group", PROVINCE_CHIEF, "ยืนยัน", choice=ok_a)
    assert refused.text.startswith("ปุ่มนี้เป็นของคุณ") and not refused.edit  # chief A's card stays as it is
    assert store.last_submission_by(PROVINCE_CHIEF) is None and store.last_submission_by(MUEANG_CHIEF) is None
    _, [saved] = channels.send(channel, "group", MUEANG_CHIEF, "ยืนยัน", choice=ok_a)  # the owner's press works
    assert saved.text.startswith("บันทึกแล้ว")
    assert store.last_submission_by(MUEANG_CHIEF) is not None and store.last_submission_by(PROVINCE_CHIEF) is None


def test_an_invite_made_in_chat_expires_in_7_days_shown_in_be(channels, store):
    _, [reply] = channels.send("telegram", "private", ADMIN, "เชิญ ผู้ดูแล")
    [invite] = store.invites()
    assert invite.expires_at is not None and (invite.expires_at.date() - TODAY).days == 7
    assert "17 มิ.ย. 2568" in reply.text  # 10 June 2025 + 7 days, Buddhist era


@pytest.mark.parametrize("kind", ["invite", "link"])
def test_failed_code_attempts_are_throttled_per_sender_and_per_code(channels, store, kind):
    say = "ลงทะเบียน" if kind == "invite" else "เชื่อมบัญชี"
    for i in range(5):
        [reply] = channels.conversation.handle(_msg("Ustranger", f"{say} WRONG{i:03d}"))
        assert "ลองใหม่ได้ใน" not in reply.text
    [late] = channels.conversation.handle(_msg("Ustranger", f"{say} WRONG999"))
    assert "ลองใหม่ได้ในอีก 15 นาที" in late.text
    entity = "invite" if kind == "invite" else "link_code"
    # one burst recorded for the admins (the audit log), not one per attempt
    assert store.code_wait(entity, "WRONG999", "line", "Ustranger", _msg("", "").sent_at) == 15
    bursts = store._rows("SELECT * FROM audit WHERE action = 'burst' AND entity = ?", [entity])
    assert len(bursts) == 1
    # per code: a sixth sender trying the code five others got wrong is throttled too
    for i in range(5):
        channels.conversation.handle(_msg(f"Uother{i}", f"{say} SAME0001"))
    [same] = channels.conversation.handle(_msg("Ufresh", f"{say} SAME0001"))
    assert "ลองใหม่ได้ในอีก" in same.text
    [fresh] = channels.conversation.handle(_msg("Ufresh", f"{say} OTHER001"))
    assert "ลองใหม่ได้ใน" not in fresh.text  # the fresh sender, another code: looked up


def _msg(sender: str, text: str) -> Incoming:
    return Incoming(channel="line", sender=sender, chat=sender, text=text,
                    sent_at=datetime.combine(TODAY, time(10, 0), BANGKOK), message_id="1")


def test_an_invite_made_without_an_expiry_date_still_expires_after_30_days(store):
    info = store.invite(store.create_invite("reporter", "yala-mueang"))
    assert info.expires_at is not None  # 30 days, as the CLI's default
    assert abs(info.expires_at - store._now() - timedelta(days=30)) < timedelta(minutes=1)
