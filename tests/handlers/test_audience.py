"""handlers/audience.py: who is answered where, and who gets notices on which channel."""

from __future__ import annotations

import pytest

from handlers.audience import GROUP_ROLES, answer_where, chat_kind, notice_channel, receives_notices

ROLES = ("reporter", "chief", "coordinator", "admin", None)


@pytest.mark.parametrize("role", ROLES)
def test_a_private_chat_is_always_answered_there(role):
    assert answer_where("private", role) == "here"


@pytest.mark.parametrize("role", ROLES)
def test_in_a_group_only_chiefs_coordinators_and_admins_are_answered_in_the_group(role):
    expected = "here" if role in ("chief", "coordinator", "admin") else "private"
    assert answer_where("group", role) == expected
    assert answer_where("group", role, "group_note") == "here"  # a note without figures may go to the group


def test_group_roles_and_chat_kinds():
    assert GROUP_ROLES == {"chief", "coordinator", "admin"}
    assert (chat_kind(True), chat_kind(False)) == ("group", "private")


def test_notices_go_to_admins_on_telegram_first_then_line():
    assert [r for r in ROLES if receives_notices(r)] == ["admin"]
    both = {"telegram": "42", "line": "Uadmin"}
    assert notice_channel(both, {"telegram", "line"}) == "telegram"  # a Telegram message costs no LINE quota
    assert notice_channel(both, {"line"}) == "line"  # Telegram not running
    assert notice_channel({"line": "Uadmin"}, {"telegram", "line"}) == "line"
    assert notice_channel({"console": "1"}, {"telegram", "line"}) is None


@pytest.mark.parametrize("role", ROLES)
def test_codes_are_never_answered_in_a_group(role):
    assert answer_where("group", role, "code") == "private"
    assert answer_where("private", role, "code") == "here"


def test_a_cards_buttons_carry_their_owner_and_work_only_for_them():
    from handlers.audience import button_of, may_press, own_choices, owner_of
    from handlers.messages import Choice

    ok, long = Choice("ยืนยัน", "ok"), Choice("x", "k" * 60)
    tagged = own_choices((ok, long), "7010", 64)
    assert tagged[0].data == "ok~7010" and tagged[1] == long  # 64 bytes at most (Telegram): left untagged
    assert owner_of("ok~7010") == ("ok", "7010") and owner_of("ok") == ("ok", None)
    assert may_press("7010", "7010") and not may_press("7010", "7009") and may_press(None, "7009")
    assert button_of("สมชาย") == "ปุ่มนี้เป็นของคุณสมชาย ค่ะ" and button_of(None) == "ปุ่มนี้เป็นของผู้อื่นค่ะ"
