"""`kpibot chat`: the same handlers in a terminal.

On a TTY it is interactive with a prompt; from a pipe it reads one message per
line and prints the replies. Choices are numbered and can be answered by number.
Console-only commands: /user ID (switch person), /people, /whoami,
/file PATH [caption] (send a file as evidence), /quit.
"""

from __future__ import annotations

import mimetypes
import sys
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO

from handlers.conversation import Conversation
from handlers.messages import Attachment, Choice, Incoming, Reply
from handlers.permissions import ROLE_TH
from handlers.ports import Clock, Store, system_clock
from scoring.thaidate import BANGKOK


class ConsoleChat:
    def __init__(self, store: Store, conversation: Conversation, user: int, today: date | None = None,
                 out: TextIO | None = None, clock: Clock | None = None, files_dir: Path | None = None):
        self.store = store
        self.conversation = conversation
        self.user = user
        self.today = today
        self.out = out or sys.stdout
        self.clock: Clock = clock or system_clock
        self.choices: tuple[Choice, ...] = ()
        self.counter = 0
        self.files_dir = files_dir  # charts and files the bot sends are written here (kpibot chat: var/chat)

    def now(self) -> datetime:
        current = self.clock()
        if self.today is None:
            return current
        return datetime.combine(self.today, time(current.hour, current.minute, current.second), BANGKOK)

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def whoami(self) -> str:
        person = self.store.person(self.user)
        if person is None:
            return f"ผู้ใช้ {self.user} (ยังไม่ลงทะเบียน)"
        unit = self.store.unit(person.unit_id)
        return f"{person.name} · {ROLE_TH.get(person.role, person.role)} · {unit.name if unit else person.unit_id}"

    def people(self) -> str:
        lines = []
        for p in self.store.people():
            unit = self.store.unit(p.unit_id)
            lines.append(f"  /user {p.id}  {p.name} · {ROLE_TH.get(p.role, p.role)} · {unit.name if unit else ''}")
        return "\n".join(lines) or "  (ยังไม่มีผู้ใช้)"

    def send(self, line: str) -> list[Reply]:
        """Turn one typed line into a message (or a console command) and print the replies."""
        line = line.strip()
        if not line:
            return []
        if line.startswith("/user"):
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                self.user = int(parts[1])
                self.choices = ()
                self.print(f"[ตอนนี้คุณคือ {self.whoami()}]")
            else:
                self.print("[พิมพ์ /user ตามด้วยหมายเลข เช่น /user 2]\n" + self.people())
            return []
        if line == "/people":
            self.print(self.people())
            return []
        if line == "/whoami":
            self.print(f"[{self.whoami()}]")
            return []
        choice = None
        attachments: tuple[Attachment, ...] = ()
        text = line
        if line.isdigit() and self.choices and 1 <= int(line) <= len(self.choices):
            choice = self.choices[int(line) - 1].data
            text = self.choices[int(line) - 1].label
        elif line.startswith("/file "):
            parts = line.split(maxsplit=2)
            path = Path(parts[1]).expanduser()
            if not path.is_file():
                self.print(f"[ไม่พบไฟล์ {path}]")
                return []
            data = path.read_bytes()
            mime = mimetypes.guess_type(path.name)[0]
            attachments = (Attachment(lambda data=data: data, mime, len(data), path.name, "file"),)
            text = parts[2] if len(parts) > 2 else ""
        self.counter += 1
        msg = Incoming(channel="console", sender=str(self.user), chat=str(self.user), text=text,
                       sent_at=self.now(), message_id=str(self.counter), attachments=attachments, choice=choice)
        replies = self.conversation.handle(msg)
        for reply in replies:
            self.show(reply)
        return replies

    def show(self, reply: Reply) -> None:
        self.print(f"kpibot: {reply.text}")
        if reply.image is not None:
            self.print(f"        [รูปภาพ {self.keep(reply.image, reply.image_name, 'png')} {len(reply.image):,} ไบต์]")
        if reply.document is not None:
            self.print(f"        [เอกสาร {self.keep(reply.document, reply.document_name, 'bin')} "
                       f"{len(reply.document):,} ไบต์]")
        if reply.choices:
            self.choices = reply.choices
            for i, c in enumerate(reply.choices, 1):
                self.print(f"        {i}) {c.label}")
        elif reply.text:
            self.choices = ()

    def keep(self, data: bytes, name: str | None, ext: str) -> str:
        """Write a file the bot sent under ``files_dir`` and give its path (just the name without one)."""
        name = Path(name or f"file-{self.counter}.{ext}").name
        if self.files_dir is None:
            return name
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / name
        path.write_bytes(data)
        return str(path)

    def run(self, lines: Iterable[str] | None = None, interactive: bool | None = None) -> int:
        interactive = sys.stdin.isatty() if interactive is None else interactive
        if interactive:
            self.print(f"kpibot คอนโซล — คุณคือ {self.whoami()}")
            self.print("เปลี่ยนผู้ใช้: /user หมายเลข (ดูรายชื่อ: /people) · ส่งไฟล์: /file PATH คำบรรยาย · ออก: /quit")
            self.print("ลองพิมพ์: วิธีใช้ · คะแนนปัจจุบัน · รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%")
        stream = lines if lines is not None else (self._prompted() if interactive else sys.stdin)
        for line in stream:
            if line.strip() in ("/quit", "/exit"):
                break
            if not interactive:
                self.print(f"คุณ: {line.rstrip()}")
            self.send(line)
        return 0

    @staticmethod
    def _prompted() -> Iterable[str]:
        while True:
            try:
                yield input("คุณ> ")
            except EOFError:
                return
