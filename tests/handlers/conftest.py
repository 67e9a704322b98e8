from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.cli.demo import build
from handlers.conversation import Conversation
from handlers.messages import Attachment, Incoming, Reply
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

TODAY = date(2025, 6, 10)  # FY2568 round 2: the dates of seed 002 itself
# people of the demo database, in the order bot.cli.demo creates them
MUEANG_OFFICER, BETONG_OFFICER, KABANG_OFFICER = 6, 5, 2
PROVINCE_CHIEF, MUEANG_CHIEF = 9, 10
COORD_PRASAN, ADMIN = 11, 15


class Chat:
    def __init__(self, store, catalogs, today: date = TODAY):
        self.store = store
        self.conversation = Conversation(store, catalogs)
        self.today = today
        self.counter = 0

    def say(self, user: int | str, text: str = "", *, choice: str | None = None,
            files: tuple[bytes, ...] = (), channel: str = "console") -> list[Reply]:
        self.counter += 1
        attachments = tuple(Attachment(lambda b=b: b, None, len(b), f"f{i}.bin") for i, b in enumerate(files))
        msg = Incoming(channel=channel, sender=str(user), chat=str(user), text=text,
                       sent_at=datetime.combine(self.today, time(10, self.counter % 60), BANGKOK),
                       message_id=str(self.counter), attachments=attachments, choice=choice,
                       display_name="ผู้ทดสอบ")
        return self.conversation.handle(msg)

    def text(self, user: int | str, text: str = "", **kw) -> str:
        return "\n".join(r.text for r in self.say(user, text, **kw))


@pytest.fixture(scope="session")
def catalogs():
    return load_all()


@pytest.fixture()
def store(tmp_path):
    store = build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY, figures=False)
    yield store
    store.close()


@pytest.fixture()
def chat(store, catalogs):
    return Chat(store, catalogs)
