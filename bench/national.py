"""National scale (issue 14): what a chief waits for on a database of the whole country.

Builds, in a temporary directory and on disk, through the store's public API in batched transactions
(``SqliteStore.batch()``, one transaction a province): a department (กรมการพัฒนาชุมชน) over 76 provinces
and 878 districts (ยะลา with its 8 real districts of seed 002, the others numbered), every district on the
Yala district catalogs (team and individual, an optional KPI chosen where the document says so), every
province on the Yala province catalogs, a reporter and a chief per district, a chief per province and an
admin at the department; a year of monthly figures for every KPI (December 2025 - November 2026, a few
sent in December, most districts missing a month now and then; round KPIs re-sent monthly as new versions,
some corrections retracted), as the conversation stores them (``add_submission``/``retract``), and
evidence rows (``add_evidence``, PDFs shared between districts so the files stay few).

Then times, through the conversation (``Conversation.handle`` on a console message, as a person types it),
after a warm-up, ``REPS`` times each, median and p95 in ms:
- a district card: a district chief's "คะแนนปัจจุบัน" (target p95 < 20 ms);
- a province overview: a provincial chief's "คะแนนปัจจุบัน" (its districts ranked, then its own card;
  target p95 < 50 ms), and the same province drilled into by the department's admin ("คะแนนปัจจุบัน ยะลา");
- the national overview: the department admin's "คะแนนปัจจุบัน" (the provinces ranked, each on its
  districts; target p95 < 300 ms), and the admin's "คะแนนทุกอำเภอ" (every parent's ranking: the provinces,
  then each province's districts);
- the national missing list: the department admin's "ยังไม่ส่ง" (every item owed in the country; past
  three messages a summary with the Excel sheet, rendered by the bot's ExportRenderer as in production).
Then the national overview right after another district's new figure (what a chief waits for while
districts report: the store's read cache and the ranking's row cache drop that district only), and once
cold on a freshly opened store (as after a restart). Also the database size, the build time and the bench's
total time (about 100 s on this machine when it is not shared; ``-v`` prints the start of each answer).
Run: ``python -m bench.national`` (``make bench`` runs it after charts_bench).

Measured on this machine (2 shared cores), before -> after the caches of issue 14 (bot/store/readcache.py,
views/appraisal._ROWS) and the missing list's linear grouping: district card p95 43 -> 6.5 ms; province
overview p95 93 -> 11 ms; the admin's drill-down into ยะลา p95 204 -> 16 ms; national overview (provinces
ranked on their districts) about 590 ms -> p95 139 ms; every ranking ("คะแนนทุกอำเภอ") median 6.4 s ->
154 ms; national missing list median 3.8 s -> 0.72 s (most of it now the Excel file); 55.5 MB database,
built in 44-52 s.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bot.cli.demo import DISTRICTS as YALA_DISTRICTS
from bot.cli.demo import inputs_for_level
from bot.store.sqlite import SqliteStore
from handlers.agreements import Slot, monthly, slots
from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from handlers.ports import NewSubmission, Scope, Unit
from scoring.errors import EvaluationError
from scoring.evaluate import evaluate
from scoring.loader import load_all
from scoring.model import Catalog
from scoring.rounds import round_of
from scoring.thaidate import BANGKOK

TODAY = date(2026, 12, 3)  # fixed, so every run builds the same country
PROVINCES = 76
DISTRICTS = 878
MONTHS = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)]  # a year before this month
REPS = 30
WARMUP = 3
TARGETS_MS = {"district card": 20.0, "province overview": 50.0, "national overview": 300.0}
DEPARTMENT = Unit("cdd", "กรมการพัฒนาชุมชน", "department", None, {})
CATALOGS = {"district": ("yala-2568-r2-district-team", "yala-2568-r2-district-individual"),
            "province": ("yala-2568-r2-province-team", "yala-2568-r2-province-individual")}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% evidence NUMBER\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _district_counts() -> list[int]:
    """Districts a province: ยะลา 8, the 870 others spread over 75 provinces (11 or 12 each)."""
    rest, others = DISTRICTS - len(YALA_DISTRICTS), PROVINCES - 1
    return [len(YALA_DISTRICTS)] + [rest // others + (i < rest % others) for i in range(others)]


class Figures:
    """Inputs reaching a level, and the level they evaluate to, per KPI (cached: most units share them)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], tuple[dict[str, Any], int] | None] = {}

    def get(self, slot: Slot, unit: Unit, level: int) -> tuple[dict[str, Any], int] | None:
        kpi = slot.kpi
        key = (slot.catalog.id, kpi.id, level, unit.name if kpi.targets is not None else None,
               unit.attributes.get("staff"))
        if key not in self._cache:
            found = None
            inputs = inputs_for_level(kpi, level, unit)
            if inputs is not None:
                try:
                    found = inputs, evaluate(kpi, inputs, unit=unit.name, unit_attributes=unit.attributes).level
                except EvaluationError:
                    found = None
            self._cache[key] = found
        return self._cache[key]


def build(folder: Path) -> tuple[SqliteStore, dict[str, int]]:
    """The national database; returns the store and the people the bench speaks as."""
    catalogs = load_all()
    store = SqliteStore(folder / "national.sqlite3", folder / "evidence", clock=lambda: datetime.combine(
        TODAY, dtime(8, 0), BANGKOK))
    rng = random.Random(2570)
    figures = Figures()
    current = round_of(TODAY)
    fy, rnd, start, end = current.fiscal_year, current.number, current.start, current.end
    who: dict[str, int] = {}
    evidence_no = 0
    with store.batch():
        store.put_unit(DEPARTMENT, actor="bench")
        who["admin"] = store.add_person("ผู้ดูแลระบบ กรม", "admin", DEPARTMENT.id, actor="bench").id
    district_no = 0
    for p, count in enumerate(_district_counts()):
        with store.batch():  # one transaction a province
            province = Unit("yala" if p == 0 else f"p{p:02d}", "ยะลา" if p == 0 else f"จังหวัดทดสอบ{p:02d}",
                            "province", DEPARTMENT.id, {"staff": 14})
            store.put_unit(province, actor="bench")
            chief = store.add_person(f"พัฒนาการจังหวัด {province.name}", "chief", province.id, actor="bench",
                                     phone=f"07{p:08d}", scopes=(Scope("province", province.id),))
            if p == 0:
                who["province chief"] = chief.id
            for catalog_id in CATALOGS["province"]:
                store.assign_agreement(catalog_id, province.id, fy, rnd, start, end, actor="bench")
            units: list[Unit] = []
            for d in range(count):
                district_no += 1
                if p == 0:
                    uid, name, staff = YALA_DISTRICTS[d]
                else:
                    uid, name, staff = f"d{district_no:03d}", f"อำเภอทดสอบ{district_no:03d}", 2 + district_no % 5
                unit = Unit(uid, name, "district", province.id, {"staff": staff})
                store.put_unit(unit, actor="bench")
                units.append(unit)
                for catalog_id in CATALOGS["district"]:
                    catalog: Catalog = catalogs[catalog_id]
                    chosen = {}
                    if catalog.optional_groups and not catalog.kpi("i3").applies(unit.name):  # type: ignore[union-attr]
                        chosen = {"choice": ("i7", "i8", "i9")[district_no % 3]}
                    store.assign_agreement(catalog_id, unit.id, fy, rnd, start, end, chosen=chosen, actor="bench")
            for unit in units:
                reporter = store.add_person(f"พัฒนากร {unit.name}", "reporter", unit.id, phone=f"08{district_no:08d}",
                                            actor="bench")
                district_chief = store.add_person(f"พัฒนาการอำเภอ {unit.name}", "chief", unit.id, actor="bench")
                if unit.id == "yala-mueang":
                    who["district chief"] = district_chief.id
                diligence = rng.random()
                for slot in slots(store, catalogs, unit, TODAY):
                    if slot.kpi.rubric.reviewer:
                        continue
                    last_id = None
                    for month in MONTHS + [TODAY.replace(day=1)]:
                        this_month = month.month == TODAY.month and month.year == TODAY.year
                        if (this_month and rng.random() > 0.1) or (not this_month and rng.random() > 0.75 + diligence / 4):
                            continue
                        found = figures.get(slot, unit, rng.choice((2, 3, 3, 4, 4, 5)))
                        if found is None:
                            continue
                        inputs, level = found
                        day = min(TODAY, date(month.year, month.month, 18 if not this_month else 2))
                        sent = datetime.combine(day, dtime(9 + rng.randrange(8), rng.randrange(60)), BANGKOK)
                        sub = store.add_submission(NewSubmission(
                            person_id=reporter.id, unit_id=unit.id, catalog_id=slot.catalog.id, kpi_id=slot.kpi.id,
                            period=f"{month.year:04d}-{month.month:02d}" if monthly(slot.kpi) else "round",
                            inputs=inputs, level=level, channel="console", message_id=f"b{unit.id}{month}",
                            sent_at=sent))
                        last_id = sub.id
                        if rng.random() < 0.02:  # a correction undone ("ยกเลิก")
                            store.retract(sub.id, reporter.id, "console", f"r{sub.id}", sent)
                    if last_id is not None and rng.random() < 0.5:
                        evidence_no += 1
                        store.add_evidence(PDF.replace(b"NUMBER", b"%d" % (evidence_no % 200)), person_id=reporter.id, unit_id=unit.id,
                                           catalog_id=slot.catalog.id, kpi_id=slot.kpi.id,
                                           period=f"2026-{11:02d}" if monthly(slot.kpi) else "round",
                                           received_at=datetime.combine(TODAY.replace(day=1), dtime(10, 0), BANGKOK),
                                           file_name="หลักฐาน.pdf")
    for person_id in who.values():
        store.link_identity(person_id, "console", str(person_id))
    return store, who


def _ask(conversation: Conversation, person_id: int, text: str, n: int) -> list[Reply]:
    msg = Incoming(channel="console", sender=str(person_id), chat=str(person_id), text=text,
                   sent_at=datetime.combine(TODAY, dtime(10, n % 60), BANGKOK), message_id=f"q{n}")
    return conversation.handle(msg)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(conversation: Conversation, person_id: int, text: str,
          reps: int = REPS) -> tuple[float, float, float, list[Reply]]:
    """(median ms, p95 ms, median CPU ms, the last answer) of one question asked ``reps`` times after a
    warm-up (CPU time too: the machine is shared, wall time includes waiting for a core)."""
    replies: list[Reply] = []
    for i in range(WARMUP):
        replies = _ask(conversation, person_id, text, i)
    samples, cpu = [], []
    for i in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        replies = _ask(conversation, person_id, text, i)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(samples), _p95(samples), statistics.median(cpu), replies


def after_submissions(store: SqliteStore, conversation: Conversation, person_id: int, text: str,
                      n: int = 10) -> tuple[float, float]:
    """(median, max ms) of ``text`` asked right after a new figure of another district each time: what a
    chief waits for while districts report (the caches drop that district's figures only)."""
    units = [u for u in store.units() if u.kind == "district"]
    rng = random.Random(7)
    samples = []
    for i in range(n):
        unit = rng.choice(units)
        reporter = store.people(unit_id=unit.id, role="reporter")[0]
        store.add_submission(NewSubmission(reporter.id, unit.id, CATALOGS["district"][0], "t2", "round",
                                           {"percent": str(80 + i)}, 3, "console", f"a{i}",
                                           datetime.combine(TODAY, dtime(9, i), BANGKOK)))
        start = time.perf_counter()
        _ask(conversation, person_id, text, i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def cold(folder: Path, person_id: int, text: str) -> float:
    """ms of the first answer on a freshly opened store (empty caches), as after a restart."""
    from handlers.views import appraisal

    appraisal._ROWS.clear()
    store = SqliteStore(folder / "national.sqlite3", folder / "evidence")
    try:
        conversation = Conversation(store, load_all())
        start = time.perf_counter()
        _ask(conversation, person_id, text, 0)
        return (time.perf_counter() - start) * 1000
    finally:
        store.close()


def main() -> None:
    began = time.perf_counter()
    from bot.exports.renderer import ExportRenderer

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        store, who = build(folder)
        built = time.perf_counter() - start
        try:
            counts = {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 (fixed names)
                      for t in ("units", "people", "agreements", "submissions", "evidence")}
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = sum(f.stat().st_size for f in folder.glob("national.sqlite3*")) / 1e6
            print(f"national: built {counts['units']:,} units, {counts['people']:,} people, "
                  f"{counts['agreements']:,} agreements, {counts['submissions']:,} submissions, "
                  f"{counts['evidence']:,} evidence rows in {built:.1f} s; database {size:.1f} MB")
            conversation = Conversation(store, load_all(), ExportRenderer())
            questions = [
                ("district card", who["district chief"], "คะแนนปัจจุบัน", "เมืองยะลา's chief"),
                ("province overview", who["province chief"], "คะแนนปัจจุบัน", "ยะลา's chief, 8 districts"),
                ("province overview", who["admin"], "คะแนนปัจจุบัน ยะลา", "the department admin drilling into ยะลา"),
                ("national overview", who["admin"], "คะแนนปัจจุบัน", "the department admin: 76 provinces ranked"),
                ("national every ranking", who["admin"], "คะแนนทุกอำเภอ", "the admin: 77 rankings, 954 rows"),
                ("national missing list", who["admin"], "ยังไม่ส่ง", "the admin: every item owed"),
            ]
            for name, person_id, text, note in questions:
                median, p95, cpu, replies = timed(conversation, person_id, text)
                target = TARGETS_MS.get(name)
                verdict = "" if target is None else f" (target p95 < {target:.0f} ms: {'ok' if p95 < target else 'MISSED'})"
                chars = sum(len(r.text) for r in replies)
                files = sum(1 for r in replies if r.document)
                print(f"national: {name} \"{text}\" ({note}): median {median:.1f} ms, p95 {p95:.1f} ms{verdict}, "
                      f"CPU median {cpu:.1f} ms; "
                      f"{len(replies)} message(s), {chars:,} characters" + (f", {files} file(s)" if files else ""))
                if "-v" in sys.argv:
                    print(replies[0].text[:600])
            median, worst = after_submissions(store, conversation, who["admin"], "คะแนนปัจจุบัน")
            print(f"national: national overview right after another district's new figure (10 times): "
                  f"median {median:.1f} ms, max {worst:.1f} ms")
            print(f"national: national overview cold (store just opened, caches empty): "
                  f"{cold(folder, who['admin'], 'คะแนนปัจจุบัน'):.0f} ms")
        finally:
            store.close()
    print(f"national: total {time.perf_counter() - began:.1f} s (build {built:.1f} s)")


if __name__ == "__main__":
    main()
