"""The chiefs' weekly digest comes with its charts (issue 14): what a chief sees on Monday morning.

Real parts: the demo database on disk, the Runtime's store thread, the planner, the engine and the real
renderer (matplotlib); the channels are fakes that keep what they were given (text, image bytes).
"""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from bot.reminders.engine import outbox
from bot.run.runtime import PushResult
from tests.bot import test_reminders_engine as engine_tests
from tests.bot.test_reminders_engine import Crash, FakeChannel, at

# the reminder engine's fixtures: the demo database on disk, everyone on Telegram as 1000 + person id
catalogs, db, bot = engine_tests.catalogs, engine_tests.db, engine_tests.bot

PROVINCE_CHIEF, MUEANG_CHIEF = 9, 10
MONDAY = date(2025, 6, 16)  # the weekly digest's day (Config.weekly_day = 0)


class ImageChannel(FakeChannel):
    """A channel that shows images (Telegram-like): keeps each push in order, with its image."""

    def __init__(self, name: str = "telegram", **kw):
        super().__init__(name, **kw)
        self.seen: list[tuple[str, str, bytes | None]] = []  # (external id, text or caption, PNG)
        self.fail_texts: set[str] = set()  # external ids whose text pushes answer 502

    async def push(self, external_id: str, reply, *, key: str | None = None) -> PushResult:
        if external_id in self.fail_texts and reply.image is None:
            self.calls += 1
            return PushResult(False, error="502 bad gateway")
        result = await super().push(external_id, reply, key=key)
        if result.ok:
            self.seen.append((external_id, reply.text, reply.image))
        return result

    def of(self, person_id: int) -> list[tuple[str, bytes | None]]:
        return [(text, image) for ext, text, image in self.seen if ext == str(1000 + person_id)]


class TextOnly(FakeChannel):
    shows_images = False  # as LINE without a public base URL


class BrokenRenderer:
    def ranking_chart(self, *a, **k) -> bytes:
        raise RuntimeError("font missing")

    levels_chart = ranking_chart


def _png(image: bytes | None) -> Image.Image:
    assert image is not None and image[:8] == b"\x89PNG\r\n\x1a\n"
    picture = Image.open(io.BytesIO(image))
    picture.load()  # decodes whole: not a truncated file
    return picture


async def test_province_chief_gets_the_digest_then_the_district_ranking(bot):
    channel = ImageChannel()
    b = bot(at(MONDAY, 8, 1), channel)
    report = await b.tick()
    got = channel.of(PROVINCE_CHIEF)
    assert len(got) == 2, got
    (text, no_image), (caption, image) = got
    assert no_image is None and "ยะลา" in text  # the digest's text first
    assert caption.startswith("อันดับคะแนนจังหวัดยะลา") and "16 มิ.ย. 2568" in caption  # BE date
    picture = _png(image)
    assert picture.width >= 600 and picture.height >= 300
    assert report.charts >= 1 and report.charts_failed == 0


async def test_district_chief_gets_the_units_levels_one_chart_per_agreement(bot):
    channel = ImageChannel()
    b = bot(at(MONDAY, 8, 1), channel)
    await b.tick()
    got = channel.of(MUEANG_CHIEF)
    assert got[0][1] is None  # text first
    charts = got[1:]
    assert charts, "a district chief's digest has the unit's levels"
    for caption, image in charts:
        assert caption.startswith("ระดับรายตัวชี้วัด") and "เมืองยะลา" in caption and "คะแนน" in caption
        _png(image)
    assert len({caption for caption, _ in charts}) == len(charts)  # one per agreement, not the same twice


async def test_charts_are_sent_once_and_a_second_tick_sends_nothing(bot):
    channel = ImageChannel()
    b = bot(at(MONDAY, 8, 1), channel)
    await b.tick()
    before = len(channel.seen)
    again = await b.tick()
    assert again.sent == 0 and len(channel.seen) == before
    rows = [r for r in await b.store(outbox) if r["chart"]]
    assert rows and {r["status"] for r in rows} == {"sent"}
    assert all(len(r["chart"]) < 200 for r in rows)  # the outbox keeps what to draw, never the PNG


class DiesWhileDrawing:
    """The process dies while the first chart is being drawn: its text went, no request for the chart."""

    def ranking_chart(self, *a, **k) -> bytes:
        raise Crash()

    levels_chart = ranking_chart


async def test_a_crash_between_text_and_chart_sends_the_chart_after_restart_and_not_the_text_again(bot):
    first = ImageChannel()
    b = bot(at(MONDAY, 8, 1), first)
    b.engine.renderer = DiesWhileDrawing()
    try:
        await b.tick()
    except Crash:
        pass
    had = {ext: text for ext, text, _ in first.seen}
    assert str(1000 + PROVINCE_CHIEF) in had or str(1000 + MUEANG_CHIEF) in had  # a chief's text went
    second = ImageChannel()
    b.restart(second)
    await b.tick()
    for chief in (PROVINCE_CHIEF, MUEANG_CHIEF):
        ext = str(1000 + chief)
        texts = [text for text, image in second.of(chief) if image is None]
        images = [image for _, image in second.of(chief) if image is not None]
        assert images, f"chief {chief}'s charts came after the restart"
        assert texts == ([] if ext in had else texts)  # a text already delivered is not sent again
        assert (ext in had) or len(texts) == 1
    assert [r for r in await b.store(outbox) if r["chart"] and r["status"] != "sent"] == []


async def test_a_chart_that_cannot_be_drawn_never_holds_back_the_text(bot):
    channel = ImageChannel()
    b = bot(at(MONDAY, 8, 1), channel)
    b.engine.renderer = BrokenRenderer()
    report = await b.tick()
    got = channel.of(PROVINCE_CHIEF)
    assert [image for _, image in got] == [None]  # the digest's text went, alone
    assert report.charts_failed >= 1 and report.charts == 0
    rows = [r for r in await b.store(outbox) if r["chart"]]
    assert rows and {r["status"] for r in rows} == {"failed"}
    assert all("font missing" in (r["error"] or "") for r in rows)
    assert (await b.tick()).sent == 0  # not retried on every tick


async def test_a_channel_that_cannot_show_images_gets_the_text_only(bot):
    channel = TextOnly()
    b = bot(at(MONDAY, 8, 1), channel)
    await b.tick()
    assert channel.to(PROVINCE_CHIEF)  # the digest
    assert not [r for r in await b.store(outbox) if r["chart"]]  # no chart queued for it


async def test_a_chart_never_arrives_before_its_text(bot):
    channel = ImageChannel()
    channel.fail_texts = {str(1000 + PROVINCE_CHIEF)}
    b = bot(at(MONDAY, 8, 1), channel)
    await b.tick()
    assert channel.of(PROVINCE_CHIEF) == []  # the text failed (502): its chart waits
    rows = [r for r in await b.store(outbox) if r["external_id"] == str(1000 + PROVINCE_CHIEF)]
    assert {r["status"] for r in rows if r["chart"]} == {"pending"}
    channel.fail_texts = set()
    b.clock.set(MONDAY, 9, 30)  # past the text's back-off
    await b.tick()
    got = channel.of(PROVINCE_CHIEF)
    assert [image is None for _, image in got] == [True, False]  # text, then chart
