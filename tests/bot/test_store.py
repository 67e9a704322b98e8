"""The SQLite store: versions, retractions, audit, atomicity, invites, identities, evidence, migrations."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlite_utils
from PIL import Image

from bot.store import migrations
from bot.store.sqlite import CODE_ALPHABET, CODE_LENGTH, SqliteStore
from handlers.ports import Agreement, InviteError, LinkError, NewSubmission, Scope, Store, Unit

BKK = timezone(timedelta(hours=7))
NOW = datetime(2025, 6, 20, 9, 30, tzinfo=BKK)


class FixedClock:
    def __init__(self, now: datetime = NOW):
        self.value = now

    def __call__(self) -> datetime:  # a handlers.ports.Clock
        return self.value


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "kpibot.sqlite3", tmp_path / "evidence", clock=FixedClock())
    s.put_unit(Unit("yala", "ยะลา", "province"))
    s.put_unit(Unit("yala-mueang", "เมืองยะลา", "district", "yala", {"staff": 5}))
    s.put_unit(Unit("yala-betong", "เบตง", "district", "yala", {"staff": 4}))
    yield s
    s.close()


@pytest.fixture
def officer(store):
    return store.add_person("นางสาวทดสอบ ใจดี", "reporter", "yala-mueang", phone="0812345678",
                            scopes=(Scope("unit", "yala-mueang"),))


def new(person_id: int, value: str = "92.5", level: int = 3, *, kpi: str = "t1", period: str = "2025-06",
        unit: str = "yala-mueang", message: str = "m1") -> NewSubmission:
    return NewSubmission(person_id, unit, "yala-2568-r2-district-team", kpi, period, {"percent": value}, level,
                         "console", message, datetime(2025, 6, 20, 9, 0, tzinfo=BKK))


def test_is_a_store(store):
    assert isinstance(store, SqliteStore)
    for name in Store.__dict__:
        if not name.startswith("_"):
            assert callable(getattr(store, name)), name


def test_pragmas(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: acknowledged means durable (issue 13)
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_synchronous_normal_only_when_asked(tmp_path):
    """NORMAL (which may lose the last commits on power loss) is for the benchmark's comparison only."""
    fast = SqliteStore(tmp_path / "fast.sqlite3", tmp_path / "evidence", synchronous="NORMAL", busy_timeout=0.5)
    assert fast.db.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert fast.db.execute("PRAGMA busy_timeout").fetchone()[0] == 500
    fast.close()
    with pytest.raises(ValueError):
        SqliteStore(tmp_path / "off.sqlite3", tmp_path / "evidence", synchronous="OFF")


def test_people_named_uses_the_name_index(store):
    plan = " ".join(str(row[-1]) for row in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM people WHERE name = ? ORDER BY id", ["x"]))
    assert "people_name" in plan
    added = store.add_person("  นาง   ช่องว่าง   มาก ", "reporter", "yala-mueang")
    assert [p.id for p in store.people_named("นาง ช่องว่าง\tมาก")] == [added.id]


def test_units(store):
    assert store.unit("yala-mueang") == Unit("yala-mueang", "เมืองยะลา", "district", "yala", {"staff": 5})
    assert [u.id for u in store.units("yala")] == ["yala-betong", "yala-mueang"]
    assert store.units()[0].id == "yala"
    assert store.put_unit(Unit("yala-mueang", "เมืองยะลา", "district", "yala", {"staff": 5})) == "unchanged"
    assert store.put_unit(Unit("yala-mueang", "เมืองยะลา", "district", "yala", {"staff": 6})) == "changed"
    assert store.unit("nowhere") is None


def test_submissions_are_versioned(store, officer):
    first = store.add_submission(new(officer.id, "80", 1))
    second = store.add_submission(new(officer.id, "92.5", 3, message="m2"))
    other_month = store.add_submission(new(officer.id, "70", 0, period="2025-05", message="m3"))
    assert (first.version, second.version, other_month.version) == (1, 2, 1)
    assert second.sent_at == datetime(2025, 6, 20, 9, 0, tzinfo=BKK)
    assert second.sent_at.tzinfo is not None and second.recorded_at == NOW
    assert second.inputs == {"percent": "92.5"}
    current = store.current("yala-mueang", "yala-2568-r2-district-team")
    assert [(s.period, s.version) for s in current] == [("2025-05", 1), ("2025-06", 2)]
    assert store.current("yala-mueang", "yala-2568-r2-district-team", "t1", "2025-06") == [second]
    assert [s.version for s in store.history("yala-mueang", "yala-2568-r2-district-team", "t1")] == [1, 1, 2]
    assert store.last_submission_by(officer.id) == other_month
    assert store.current("yala-betong", "yala-2568-r2-district-team") == []


def test_retraction_is_a_new_version(store, officer):
    v1 = store.add_submission(new(officer.id, "80", 1))
    v2 = store.add_submission(new(officer.id, "92.5", 3, message="m2"))
    undo = store.retract(v2.id, officer.id, "console", "m3", NOW)
    assert undo.version == 3 and undo.retracted and undo.inputs == v2.inputs
    assert store.current("yala-mueang", "yala-2568-r2-district-team", "t1") == [v1]
    assert store.retracted_by(v2.id) == undo
    assert store.last_submission_by(officer.id) == v1  # a second "undo" walks back one more
    store.retract(v1.id, officer.id, "console", "m4", NOW)
    assert store.current("yala-mueang", "yala-2568-r2-district-team", "t1") == []
    assert store.last_submission_by(officer.id) is None
    assert len(store.history("yala-mueang", "yala-2568-r2-district-team", "t1")) == 4  # history kept
    with pytest.raises(ValueError):
        store.retract(v2.id, officer.id, "console", "m5", NOW)
    with pytest.raises(ValueError):
        store.retract(undo.id, officer.id, "console", "m5", NOW)
    # a new report after undoing everything becomes current again
    v5 = store.add_submission(new(officer.id, "95", 4, message="m6"))
    assert v5.version == 5 and store.current("yala-mueang", "yala-2568-r2-district-team") == [v5]


def test_submissions_are_append_only_in_the_database(store, officer):
    s = store.add_submission(new(officer.id))
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("UPDATE submissions SET level = 5 WHERE id = ?", [s.id])
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("DELETE FROM submissions WHERE id = ?", [s.id])


def test_audit_rows_for_every_change(store, officer):
    s = store.add_submission(new(officer.id))
    store.retract(s.id, officer.id, "console", "m2", NOW)
    store.set_reminders(officer.id, "snoozed", NOW + timedelta(days=3))
    store.update_person(officer.id, phone="0899999999", actor="test")
    audit = store.audit_log()
    actions = [(a["entity"], a["action"]) for a in audit]
    assert ("unit", "add") in actions and ("person", "add") in actions
    assert ("submission", "submit") in actions and ("submission", "retract") in actions
    assert ("person", "reminders") in actions and ("person", "update") in actions
    submit = store.audit_log("submission", s.id)[0]
    assert submit["actor_person"] == officer.id and submit["after"]["inputs"] == {"percent": "92.5"}
    assert submit["at"] == NOW
    update = store.audit_log("person", officer.id)[-1]
    assert update["before"]["phone"] == "0812345678" and update["after"]["phone"] == "0899999999"
    assert update["actor"] == "test"
    unit_change = store.put_unit(Unit("yala-betong", "เบตง", "district", "yala", {"staff": 7}), actor="admin")
    assert unit_change == "changed"
    row = store.audit_log("unit", "yala-betong")[-1]
    assert row["before"]["attributes"] == {"staff": 4} and row["after"]["attributes"] == {"staff": 7}


def test_failed_write_leaves_nothing_half_written(store, officer):
    submissions_before = store.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    audit_before = store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.batch():
        store.add_submission(new(officer.id))
        store.put_unit(Unit("yala-raman", "รามัน", "district", "yala"))
        raise Boom
    assert store.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == submissions_before
    assert store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == audit_before
    assert store.unit("yala-raman") is None

    # a failure inside one write (here: the audit insert) undoes that write's row too
    original = store._audit

    def failing_audit(*args, **kwargs):
        original(*args, **kwargs)
        raise Boom

    store._audit = failing_audit
    with pytest.raises(Boom):
        store.add_submission(new(officer.id))
    store._audit = original
    assert store.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == submissions_before
    assert store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == audit_before

    # a bad reference (unknown person) is refused by the foreign keys, nothing stored
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.add_submission(new(9999))
    assert store.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == submissions_before
    assert not store.db.conn.in_transaction


def test_committed_before_return(store, officer, tmp_path):
    s = store.add_submission(new(officer.id))
    other = sqlite_utils.Database(tmp_path / "kpibot.sqlite3")  # another connection sees it at once
    assert other.execute("SELECT level FROM submissions WHERE id = ?", [s.id]).fetchone()[0] == 3
    other.close()


def test_invites_single_use(store):
    code = store.create_invite("reporter", "yala-betong", expires_at=NOW + timedelta(days=7))
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("01OI")
    person = store.redeem_invite(code.lower()[:4] + "-" + code.lower()[4:], "telegram", "111", "สมชาย พัฒนากร",
                                 NOW)
    assert (person.name, person.role, person.unit_id) == ("สมชาย พัฒนากร", "reporter", "yala-betong")
    assert store.person_by_identity("telegram", "111") == person
    with pytest.raises(InviteError) as exc:
        store.redeem_invite(code, "telegram", "222", "คนอื่น", NOW)
    assert exc.value.reason == "used"
    with pytest.raises(InviteError) as exc:
        store.redeem_invite("ZZZZZZZZ", "telegram", "222", "คนอื่น", NOW)
    assert exc.value.reason == "unknown"
    assert store.person_by_identity("telegram", "222") is None


def test_invite_expired_and_revoked(store):
    code = store.create_invite("chief", "yala", expires_at=NOW + timedelta(days=1))
    with pytest.raises(InviteError) as exc:
        store.redeem_invite(code, "line", "U1", "x", NOW + timedelta(days=1))
    assert exc.value.reason == "expired"
    code2 = store.create_invite("chief", "yala")
    assert store.revoke_invite(code2, actor="admin")
    assert not store.revoke_invite(code2)
    with pytest.raises(InviteError) as exc:
        store.redeem_invite(code2, "line", "U1", "x", NOW)
    assert exc.value.reason == "revoked"
    statuses = [i.status(NOW + timedelta(days=2)) for i in store.invites()]
    assert statuses == ["expired", "revoked"]
    assert store.people(role="chief") == []


def test_invite_for_named_person_and_scopes(store, officer):
    code = store.create_invite("reporter", "yala-mueang", person_id=officer.id,
                               scopes=(Scope("kpi_group", "ประสานฯ"),), created_by=None)
    person = store.redeem_invite(code, "line", "Uabc", "LINE name", NOW)
    assert person.id == officer.id and person.name == officer.name
    assert Scope("kpi_group", "ประสานฯ") in person.scopes and Scope("unit", "yala-mueang") in person.scopes
    new_code = store.create_invite("coordinator", "yala", scopes=(Scope("province", "yala"),))
    coordinator = store.redeem_invite(new_code, "telegram", "9", "ผู้ประสาน", NOW)
    assert coordinator.scopes == (Scope("province", "yala"),) and coordinator.role == "coordinator"
    with pytest.raises(ValueError):
        store.create_invite("boss", "yala")
    with pytest.raises(ValueError):
        store.create_invite("reporter", "nowhere")


def test_invite_codes_hashed_at_rest(store, tmp_path):
    codes = [store.create_invite("reporter", "yala-mueang") for _ in range(5)]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kpibot.sqlite3*"))
    for code in codes:
        assert code.encode() not in raw
    assert len(set(codes)) == 5


def test_two_channels_one_person(store, officer):
    store.link_identity(officer.id, "telegram", "12345")
    code = store.create_invite("reporter", "yala-mueang", person_id=officer.id)
    store.redeem_invite(code, "line", "U0f9e", "ทดสอบ LINE", NOW)
    via_tg = store.person_by_identity("telegram", "12345")
    via_line = store.person_by_identity("line", "U0f9e")
    assert via_tg == via_line and via_tg.id == officer.id
    assert store.identities(officer.id) == [("line", "U0f9e"), ("telegram", "12345")]
    assert len(store.people()) == 1


def test_link_codes_hashed_once_and_audited(store, officer, tmp_path):
    code = store.create_link_code(officer.id)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert code.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("kpibot.sqlite3*"))
    with pytest.raises(LinkError) as late:
        store.redeem_link_code(code, "line", "U1", now=NOW + timedelta(minutes=15))
    assert late.value.reason == "expired"
    with pytest.raises(KeyError):
        store.create_link_code(999)
    assert store.redeem_link_code(code, "line", "U1", display_name="LINE").id == officer.id  # the clock: NOW
    actions = [(r["action"], r["entity"]) for r in store.audit_log()]
    assert ("create", "link_code") in actions and actions[-1] == ("link", "identity")


def test_people_and_reminders(store, officer):
    chief = store.add_person("นายหัวหน้า", "chief", "yala", scopes=(Scope("province", "yala"),))
    assert store.people("yala-mueang") == [officer]
    assert store.people(role="chief") == [chief]
    assert store.person(9999) is None
    until = datetime(2025, 7, 1, 8, 0, tzinfo=BKK)
    store.set_reminders(officer.id, "snoozed", until)
    p = store.person(officer.id)
    assert p.reminders == "snoozed" and p.snoozed_until == until
    store.set_reminders(officer.id, "on")
    assert store.person(officer.id).snoozed_until is None
    with pytest.raises(ValueError):
        store.set_reminders(officer.id, "sometimes")
    store.set_reachable(officer.id, False)
    assert store.person(officer.id).reachable is False


def test_agreements(store):
    a, status = store.assign_agreement("yala-2568-r2-district-individual", "yala-mueang", 2568, 2,
                                       date(2025, 4, 1), date(2025, 9, 30), chosen={"choice": "i7"})
    assert status == "added" and isinstance(a, Agreement) and a.chosen == {"choice": "i7"}
    _, again = store.assign_agreement("yala-2568-r2-district-individual", "yala-mueang", 2568, 2,
                                      date(2025, 4, 1), date(2025, 9, 30), chosen={"choice": "i7"})
    assert again == "unchanged"
    _, changed = store.assign_agreement("yala-2568-r2-district-individual", "yala-mueang", 2568, 2,
                                        date(2025, 4, 1), date(2025, 9, 30), chosen={"choice": "i8"})
    assert changed == "changed"
    assert [x.chosen for x in store.agreements("yala-mueang", date(2025, 6, 1))] == [{"choice": "i8"}]
    assert store.agreements("yala-mueang", date(2025, 3, 31)) == []
    assert len(store.agreements(None, date(2025, 9, 30))) == 1


def test_state(store):
    assert store.get_state("console:1") is None
    store.set_state("console:1", {"flow": "report", "kpi": "t1", "ข้อมูล": ["๙๒.๕"]})
    assert store.get_state("console:1") == {"flow": "report", "kpi": "t1", "ข้อมูล": ["๙๒.๕"]}
    store.set_state("console:1", {"flow": "evidence"})
    assert store.get_state("console:1") == {"flow": "evidence"}
    store.set_state("console:1", None)
    assert store.get_state("console:1") is None


def test_reminder_log_unique(store, officer):
    assert store.log_reminder(officer.id, "yala-team:t1:2025-06", "d-3", NOW)
    assert not store.log_reminder(officer.id, "yala-team:t1:2025-06", "d-3", NOW + timedelta(hours=1))
    assert store.reminder_sent(officer.id, "yala-team:t1:2025-06", "d-3") == NOW
    assert store.reminder_sent(officer.id, "yala-team:t1:2025-06", "d-1") is None


def _jpeg_with_exif(color=(200, 30, 30)) -> bytes:
    img = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2025:06:18 14:05:09"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (6.0, 32.0, 24.0)  # 6°32'24" N: Yala
    gps[3] = "E"
    gps[4] = (101.0, 16.0, 48.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_evidence_hash_exif_and_dedup(store, officer, tmp_path):
    data = _jpeg_with_exif()
    ev = store.add_evidence(data, person_id=officer.id, unit_id="yala-mueang", catalog_id="c", kpi_id="t1",
                            period="2025-06", received_at=NOW, file_name="IMG_0001.jpg", mime_hint="text/plain")
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert ev.sha256 == sha and ev.mime == "image/jpeg" and ev.size == len(data)
    assert ev.path == str(tmp_path / "evidence" / sha[:2] / sha)
    assert (tmp_path / "evidence" / sha[:2] / sha).read_bytes() == data
    assert (ev.width, ev.height) == (64, 48)
    assert ev.taken_at == datetime(2025, 6, 18, 14, 5, 9, tzinfo=BKK)
    assert ev.gps == pytest.approx((6.54, 101.28))
    assert ev.duplicate_of is None and ev.file_name == "IMG_0001.jpg"

    again = store.add_evidence(data, person_id=officer.id, unit_id="yala-mueang", catalog_id="c", kpi_id="t1",
                               period="2025-06", received_at=NOW)
    assert again == ev  # the same photo resent: no new record
    next_month = store.add_evidence(data, person_id=officer.id, unit_id="yala-mueang", catalog_id="c",
                                    kpi_id="t1", period="2025-07", received_at=NOW)
    other_unit = store.add_evidence(data, person_id=officer.id, unit_id="yala-betong", catalog_id="c",
                                    kpi_id="t1", period="2025-06", received_at=NOW)
    assert next_month.duplicate_of == ev.id and other_unit.duplicate_of == ev.id
    assert len(list((tmp_path / "evidence").rglob("*"))) == 2  # one folder, one file
    assert [e.id for e in store.evidence_for("yala-mueang", "c", "t1")] == [ev.id, next_month.id]
    assert store.evidence_for("yala-mueang", "c", "t1", "2025-07") == [next_month]
    assert store.evidence_bytes(ev.id) == data


def test_evidence_without_exif_and_unknown_bytes(store, officer):
    buf = io.BytesIO()
    Image.new("RGB", (10, 20)).save(buf, "PNG")
    png = store.add_evidence(buf.getvalue(), person_id=officer.id, unit_id="yala-mueang", catalog_id="c",
                             kpi_id="t1", period="2025-06", received_at=NOW)
    assert png.mime == "image/png" and (png.width, png.height) == (10, 20)
    assert png.taken_at is None and png.gps is None
    # issue 13: unknown bytes are refused, whatever the client claims (they used to be kept as "text/plain")
    from handlers.ports import EvidenceRefused

    with pytest.raises(EvidenceRefused) as refused:
        store.add_evidence("รายงานผล".encode(), person_id=officer.id, unit_id="yala-mueang", catalog_id="c",
                           kpi_id="t1", period="2025-06", received_at=NOW, mime_hint="text/plain")
    assert refused.value.reason == "type"
    assert len(store.evidence_for("yala-mueang", "c", "t1")) == 1


def test_migrations_upgrade_and_reopen(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite_utils.Database(path)
    assert migrations.migrate(db, migrations.MIGRATIONS[:1]) == 1  # a file from an older kpibot
    db.execute("INSERT INTO units (id, name, kind, attributes) VALUES ('yala', 'ยะลา', 'province', '{}')")
    db.close()
    store = SqliteStore(path, tmp_path / "ev")
    assert store.schema_version == len(migrations.MIGRATIONS) >= 2
    assert store.unit("yala").name == "ยะลา"
    assert "evidence_sha" in {i.name for i in store.db["evidence"].indexes}
    store.close()
    store = SqliteStore(path, tmp_path / "ev")  # reopening changes nothing
    rows = list(store.db.query("SELECT version, name FROM schema_version ORDER BY version"))
    assert [r["version"] for r in rows] == list(range(1, len(migrations.MIGRATIONS) + 1))
    assert rows[0]["name"] == "v1_core"
    store.close()


def test_newer_schema_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    SqliteStore(path, tmp_path / "ev").close()
    db = sqlite_utils.Database(path)
    db.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 'x')")
    db.close()
    with pytest.raises(migrations.SchemaTooNew):
        SqliteStore(path, tmp_path / "ev")


def test_from_worker_threads(store, officer):
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                store.add_submission(new(officer.id, str(i), 1, kpi=f"k{n}", message=f"{n}-{i}"))
                store.current("yala-mueang", "yala-2568-r2-district-team", f"k{n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    current = store.current("yala-mueang", "yala-2568-r2-district-team")
    assert sorted((s.kpi_id, s.version) for s in current) == [(f"k{n}", 20) for n in range(4)]


def test_naive_datetimes_are_thai_time(store, officer):
    s = store.add_submission(NewSubmission(officer.id, "yala-mueang", "c", "t1", "round", {}, 2, "console", "1",
                                           datetime(2025, 6, 1, 8, 0)))
    assert s.sent_at == datetime(2025, 6, 1, 1, 0, tzinfo=UTC)


def test_two_connections_writing_at_once_never_see_database_is_locked(store, officer, tmp_path):
    """`kpibot run` writes from two processes (the conversation's submissions, the channels' event ids
    and reminders). A write transaction that reads first must not fail when the other side commits in
    between (SQLite's BUSY_SNAPSHOT, which no busy timeout cures): transactions begin IMMEDIATE."""
    other = SqliteStore(tmp_path / "kpibot.sqlite3", tmp_path / "evidence", clock=FixedClock())
    errors: list[BaseException] = []

    def events() -> None:
        try:
            for i in range(400):
                other.first_delivery("line", f"event-{i}", datetime(2025, 6, 20, 9, 0, tzinfo=BKK))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=events)
    writer.start()
    saved = 0
    try:
        for i in range(400):
            store.add_submission(new(officer.id, value=str(50 + i % 40), kpi=f"t{i % 5}", message=f"m{i}"))
            saved += 1
    finally:
        writer.join()
        other.close()
    assert errors == [] and saved == 400
    assert store.db.execute("SELECT COUNT(*) FROM channel_events").fetchone()[0] == 400


def test_conversation_state_commits_without_an_fsync_and_records_keep_theirs(store, officer, monkeypatch):
    """A draft card's state is not a record: its commit skips the fsync; every record commit keeps FULL."""
    seen: list[int] = []
    conn = store.db.conn
    store.set_state("console:1:1", {"flow": "report"})
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again right after
    assert store.get_state("console:1:1") == {"flow": "report"}

    original = store._transaction

    def spy(durable: bool = True):
        seen.append(int(durable))
        return original(durable)

    monkeypatch.setattr(store, "_transaction", spy)
    store.set_state("console:1:1", None)
    store.add_person("นายทดสอบ สอง", "reporter", "yala-mueang")
    assert seen == [0, 1]  # the state relaxed, the record durable
    with store.batch():  # nested in a durable transaction, state is as durable as the rest
        store.set_state("console:1:1", {"flow": "x"})
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
