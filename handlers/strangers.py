"""How often a sender the bot does not know is answered (issue 13: unregistered senders are rate-limited).

A stranger may only register, redeem a link code or read the short help, yet every message of theirs costs
an understanding and a store lookup in the one conversation process; a flood from one id (a script trying
invite codes, a stuck client) would delay every registered user behind it. Guarantees:
- Per (channel, sender id): at most ``LIMIT`` messages in any ``WINDOW`` are answered; the first one over
  the limit gets ``TOO_FAST`` (one line, in Thai, saying when to try again); the rest of the burst get no
  answer at all and cost one dict lookup. The window slides on the messages' own times (``sent_at``), so
  the rule is the same in tests, after a restart's redelivery and on a slow machine.
- Registered people are never limited here (their wrong codes are throttled by the store, handlers/linking.py).
- Memory is bounded: at most ``MAX_SENDERS`` strangers are remembered (the oldest forgotten first).
A hand-written window, not a library limiter: the limiters on PyPI (aiolimiter, limits) count wall-clock
time and are asynchronous or storage-backed, while this counts message times inside a synchronous handler.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta

LIMIT = 8  # messages answered per sender in any window
WINDOW = timedelta(minutes=10)
MAX_SENDERS = 10_000
TOO_FAST = "ส่งข้อความถี่เกินไปค่ะ กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่ (ลงทะเบียนด้วยรหัสเชิญจากผู้ดูแล)"


class StrangerPace:
    """The sliding window of each unknown sender; ``admit`` says how to answer their next message."""

    def __init__(self, limit: int = LIMIT, window: timedelta = WINDOW, max_senders: int = MAX_SENDERS):
        self.limit, self.window, self.max_senders = limit, window, max_senders
        self._seen: OrderedDict[tuple[str, str], deque[datetime]] = OrderedDict()
        self._told: set[tuple[str, str]] = set()

    def admit(self, channel: str, sender: str, at: datetime) -> str | None:
        """None: answer as usual. ``"too_fast"``: answer with ``too_fast()`` once. ``"drop"``: no answer."""
        key = (channel, sender)
        times = self._seen.pop(key, None) or deque()
        while times and at - times[0] >= self.window:
            times.popleft()
        self._seen[key] = times  # (re-inserted: the most recent sender last)
        while len(self._seen) > self.max_senders:
            old, _ = self._seen.popitem(last=False)
            self._told.discard(old)
        if len(times) < self.limit:
            times.append(at)
            self._told.discard(key)
            return None
        if key in self._told:
            return "drop"
        self._told.add(key)
        return "too_fast"

    def wait_minutes(self, channel: str, sender: str, at: datetime) -> int:
        """Minutes until the oldest message of the window leaves it (at least 1)."""
        times = self._seen.get((channel, sender))
        if not times:
            return 1
        left = self.window - (at - times[0])
        return max(1, -(-int(left.total_seconds()) // 60))

    def too_fast(self, channel: str, sender: str, at: datetime) -> str:
        return TOO_FAST.format(minutes=self.wait_minutes(channel, sender, at))
