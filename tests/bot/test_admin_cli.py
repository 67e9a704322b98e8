"""Administration commands: org import (CSV, Excel, Thai headers), agreement assign, invites."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import Workbook

from bot.cli import admin as admin_cli
from bot.store.sqlite import SqliteStore
from handlers.ports import InviteError, Scope

BKK = timezone(timedelta(hours=7))

STAFF_CSV = """\
รายชื่อเจ้าหน้าที่ สำนักงานพัฒนาชุมชนจังหวัดยะลา
ลำดับ,ชื่อ-สกุล,ตำแหน่ง,อำเภอ,เบอร์โทร,จำนวนบุคลากร
1,,,เมืองยะลา,,๕
2,,,เบตง,,4
3,นางสาวสมใจ ใจดี,นักวิชาการพัฒนาชุมชนปฏิบัติการ,เมืองยะลา,081-234-5678,
4,นายสมชาย รักงาน,พัฒนาการอำเภอเบตง,อำเภอเบตง,๐๘๙ ๑๑๑ ๒๒๒๒,
5,นายไม่มีเบอร์,พัฒนากร,รามัน,,
6,นายเบอร์ผิด,พัฒนากร,รามัน,12345,
7,นางสาวสมใจ ใจดี,พัฒนากร,เบตง,,
8,,,ธารโต,,ห้าคน
9,นายหัวหน้า จังหวัด,พัฒนาการจังหวัดยะลา,,073-212345,
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kpibot")
    sub = parser.add_subparsers(dest="command", required=True)
    admin_cli.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(autouse=True)
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIBOT_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("KPIBOT_DB", raising=False)
    monkeypatch.delenv("KPIBOT_TELEGRAM_USERNAME", raising=False)
    return tmp_path / "var"


def open_db(var) -> SqliteStore:
    return SqliteStore(var / "kpibot.sqlite3", var / "evidence")


def test_defaults_follow_env(var, monkeypatch, tmp_path):
    assert admin_cli.default_db_path() == var / "kpibot.sqlite3"
    assert admin_cli.default_evidence_dir() == var / "evidence"
    monkeypatch.setenv("KPIBOT_DB", str(tmp_path / "other.db"))
    assert admin_cli.default_db_path() == tmp_path / "other.db"


def test_org_import_csv_thai_headers(var, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_CSV, encoding="utf-8-sig")
    code = run(["org", "import", str(path), "--province", "ยะลา"])
    out = capsys.readouterr().out
    assert code == 1  # some rows refused; the rest imported
    with open_db(var) as store:
        mueang = store.units_named("เมืองยะลา")[0]
        assert mueang.kind == "district" and mueang.parent == "ยะลา" and mueang.attributes == {"staff": 5}
        assert store.units_named("เบตง")[0].attributes == {"staff": 4}
        assert store.unit("ยะลา").kind == "province"
        somjai = store.people_named("นางสาวสมใจ ใจดี")
        assert len(somjai) == 1
        assert (somjai[0].role, somjai[0].unit_id, somjai[0].phone) == ("reporter", mueang.id, "0812345678")
        chief = store.people_named("นายสมชาย รักงาน")[0]
        assert chief.role == "chief" and chief.unit_id == store.units_named("เบตง")[0].id
        assert chief.phone == "0891112222" and chief.scopes == (Scope("unit", chief.unit_id),)
        province_chief = store.people_named("นายหัวหน้า จังหวัด")[0]
        assert province_chief.unit_id == "ยะลา" and province_chief.scopes == (Scope("province", "ยะลา"),)
        assert province_chief.phone == "073212345"
        assert store.people_named("นายไม่มีเบอร์")[0].phone is None
        assert store.people_named("นายเบอร์ผิด") == []
        assert store.units_named("ธารโต") == []  # refused row wrote nothing
        assert store.audit_log("person")  # changes audited
    assert "หน่วยงาน: เพิ่ม 4, แก้ไข 0" in out  # ยะลา, เมืองยะลา, เบตง, รามัน; nothing from refused rows
    assert "บุคลากร: เพิ่ม 4, แก้ไข 0, เหมือนเดิม 0" in out
    assert "ไม่รับ 3 แถว" in out
    assert re.search(r"แถว 8 .*เบอร์โทร “12345” ไม่ถูกต้อง", out)
    assert re.search(r"แถว 9 .*ชื่อ “นางสาวสมใจ ใจดี” ซ้ำกับแถว 5", out)
    assert re.search(r"แถว 10 .*จำนวนบุคลากร “ห้าคน” ไม่ใช่จำนวนเต็ม", out)


def test_org_import_idempotent_and_changes(var, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_CSV, encoding="utf-8")
    run(["org", "import", str(path), "--province", "ยะลา"])
    capsys.readouterr()
    with open_db(var) as store:
        people, units, audit = len(store.people()), len(store.units()), len(store.audit_log())
    run(["org", "import", str(path), "--province", "ยะลา"])
    out = capsys.readouterr().out
    assert "หน่วยงาน: เพิ่ม 0, แก้ไข 0" in out and "บุคลากร: เพิ่ม 0, แก้ไข 0, เหมือนเดิม 4" in out
    with open_db(var) as store:
        assert (len(store.people()), len(store.units()), len(store.audit_log())) == (people, units, audit)
    changed = STAFF_CSV.replace("081-234-5678", "0899998888").replace("เบตง,,4", "เบตง,,6")
    path.write_text(changed, encoding="utf-8")
    run(["org", "import", str(path), "--province", "ยะลา"])
    out = capsys.readouterr().out
    assert "หน่วยงาน: เพิ่ม 0, แก้ไข 1" in out and "บุคลากร: เพิ่ม 0, แก้ไข 1" in out
    assert "เบอร์โทร 0812345678 → 0899998888" in out
    with open_db(var) as store:
        assert store.units_named("เบตง")[0].attributes == {"staff": 6}


def test_org_import_xlsx_english_and_thai(var, tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    ws.title = "หน่วยงาน"
    ws.append(["จังหวัด", "อำเภอ", "จำนวนบุคลากร"])
    ws.append(["ยะลา", "เมืองยะลา", 5])
    ws.append(["ยะลา", "กาบัง", "๓"])
    people = wb.create_sheet("people")
    people.append(["Name", "Position", "Role", "Province", "Group", "District", "Phone"])
    people.append(["นางประสาน งานดี", "ผู้อำนวยการกลุ่มงานประสานฯ", None, "ยะลา", "ประสานฯ", None, 812223333])
    people.append(["นายแอดมิน", "นักวิชาการคอมพิวเตอร์", "ผู้ดูแลระบบ", "ยะลา", None, None, None])
    people.append(["นายบทบาทแปลก", "พัฒนากร", "superuser", "ยะลา", None, "กาบัง", None])
    people.append(["Ms. Field Officer", "CD officer", "reporter", "ยะลา", None, "กาบัง", "+66 81 000 1111"])
    path = tmp_path / "org.xlsx"
    wb.save(path)
    assert run(["org", "import", str(path)]) == 1
    out = capsys.readouterr().out
    with open_db(var) as store:
        kabang = store.units_named("กาบัง")[0]
        assert kabang.attributes == {"staff": 3} and kabang.parent == "ยะลา"
        group = store.units_named("ประสานฯ")[0]
        assert group.kind == "group" and group.parent == "ยะลา"
        coordinator = store.people_named("นางประสาน งานดี")[0]
        assert coordinator.role == "coordinator" and coordinator.unit_id == group.id
        assert coordinator.phone == "0812223333"  # the leading 0 Excel dropped is restored
        assert set(coordinator.scopes) == {Scope("province", "ยะลา"), Scope("kpi_group", "ประสานฯ")}
        assert store.people_named("นายแอดมิน")[0].role == "admin"
        officer = store.people_named("Ms. Field Officer")[0]
        assert officer.unit_id == kabang.id and officer.phone == "0810001111"
    assert "ไม่รู้จักบทบาท “superuser”" in out and "ไม่รับ 1 แถว" in out
    assert run(["org", "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "หน่วยงาน: เพิ่ม 0, แก้ไข 0" in out and "บุคลากร: เพิ่ม 0, แก้ไข 0, เหมือนเดิม 3" in out


def test_org_import_dry_run_and_bad_file(var, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_CSV, encoding="utf-8")
    run(["org", "import", str(path), "--province", "ยะลา", "--dry-run"])
    assert "ทดลอง" in capsys.readouterr().out
    with open_db(var) as store:
        assert store.people() == [] and store.units() == []
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n", encoding="utf-8")
    assert run(["org", "import", str(junk)]) == 2
    assert "ไม่พบหัวตาราง" in capsys.readouterr().err


def _yala(var, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("จังหวัด,อำเภอ,จำนวนบุคลากร\nยะลา,เมืองยะลา,5\nยะลา,เบตง,4\nยะลา,กรงปินัง,3\n",
                    encoding="utf-8")
    assert run(["org", "import", str(path)]) == 0


def test_agreement_assign(var, tmp_path, capsys):
    _yala(var, tmp_path)
    code = run(["agreement", "assign", "--catalog", "yala-2568-r2-district-individual", "--all-districts",
                "--round", "2", "--fiscal-year", "2568", "--choose", "choice=8"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("เพิ่ม:") == 3
    with open_db(var) as store:
        agreements = store.agreements(None, date(2025, 6, 1))
        assert len(agreements) == 3
        a = agreements[0]
        assert (a.start, a.end, a.fiscal_year, a.round, a.chosen) == (
            date(2025, 4, 1), date(2025, 9, 30), 2568, 2, {"choice": "i8"})
    # again: unchanged; re-dated to another fiscal year: computed dates
    run(["agreement", "assign", "--catalog", "yala-2568-r2-district-individual", "--all-districts",
         "--round", "2", "--fiscal-year", "2568", "--choose", "choice=8"])
    assert capsys.readouterr().out.count("เหมือนเดิม") == 3
    run(["agreement", "assign", "--catalog", "yala-2568-r2-district-individual", "--units", "เบตง,ยะลา-กรงปินัง",
         "--round", "1", "--fiscal-year", "2569", "--choose", "choice=i7"])
    with open_db(var) as store:
        betong = store.units_named("เบตง")[0].id
        [a] = store.agreements(betong, date(2025, 12, 1))
        assert (a.start, a.end, a.chosen) == (date(2025, 10, 1), date(2026, 3, 31), {"choice": "i7"})


def test_agreement_assign_refuses_bad_input(var, tmp_path, capsys):
    _yala(var, tmp_path)
    assert run(["agreement", "assign", "--catalog", "no-such", "--all-districts"]) == 2
    assert run(["agreement", "assign", "--catalog", "yala-2568-r2-district-individual", "--units", "ไม่มี"]) == 2
    assert run(["agreement", "assign", "--catalog", "yala-2568-r2-district-individual", "--all-districts",
                "--choose", "choice=1"]) == 2
    err = capsys.readouterr().err
    assert "ไม่พบแคตตาล็อก" in err and "ไม่พบหน่วยงาน: ไม่มี" in err and "ไม่ใช่ตัวชี้วัดทางเลือก" in err
    with open_db(var) as store:
        assert store.agreements(None, date(2025, 6, 1)) == []


def test_invite_create_list_revoke(var, tmp_path, capsys, monkeypatch):
    _yala(var, tmp_path)
    capsys.readouterr()
    monkeypatch.setenv("KPIBOT_TELEGRAM_USERNAME", "yala_kpi_bot")
    assert run(["invite", "create", "--role", "reporter", "--unit", "เบตง", "--expires", "2599-01-31"]) == 0
    out = capsys.readouterr().out
    code = re.search(r"รหัสเชิญ: (\w+)", out).group(1)
    assert f"https://t.me/yala_kpi_bot?start={code}" in out
    assert "31 ม.ค. 2599" in out  # a BE date is accepted and shown in BE
    assert run(["invite", "create", "--role", "หัวหน้า", "--unit", "ยะลา"]) == 0
    code2 = re.search(r"รหัสเชิญ: (\w+)", capsys.readouterr().out).group(1)
    assert run(["invite", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("ใช้ได้") == 2 and code not in listing and "เบตง" in listing
    assert run(["invite", "revoke", code2]) == 0
    assert run(["invite", "revoke", code2]) == 1
    with open_db(var) as store:
        person = store.redeem_invite(code, "telegram", "42", "นายทดสอบ", datetime.now(BKK))
        assert person.role == "reporter" and person.unit_id == store.units_named("เบตง")[0].id
        with pytest.raises(InviteError) as exc:
            store.redeem_invite(code2, "telegram", "43", "x", datetime.now(BKK))
        assert exc.value.reason == "revoked"
        expires = store.invites()[0].expires_at
        assert expires == datetime(2056, 2, 1, tzinfo=BKK)
    run(["invite", "list"])
    listing = capsys.readouterr().out
    assert "ใช้แล้ว" in listing and "ยกเลิกแล้ว" in listing and "นายทดสอบ" in listing


def test_invite_create_errors(var, tmp_path, capsys):
    _yala(var, tmp_path)
    assert run(["invite", "create", "--role", "boss", "--unit", "เบตง"]) == 2
    assert run(["invite", "create", "--role", "reporter", "--unit", "ไม่มี"]) == 2
    assert run(["invite", "create", "--role", "reporter", "--unit", "เบตง", "--person", "99"]) == 2
    assert run(["invite", "create", "--role", "reporter", "--unit", "เบตง", "--expires", "2020-01-01"]) == 2
    with open_db(var) as store:
        assert store.invites() == []


def test_invite_default_link_and_expiry(var, tmp_path, capsys):
    _yala(var, tmp_path)
    capsys.readouterr()
    run(["invite", "create", "--role", "reporter", "--unit", "กรงปินัง"])
    out = capsys.readouterr().out
    assert "https://t.me/kpibot?start=" in out
    with open_db(var) as store:
        [inv] = store.invites()
        days = (inv.expires_at - datetime.now(BKK)).days
        assert admin_cli.DEFAULT_INVITE_DAYS - 1 <= days <= admin_cli.DEFAULT_INVITE_DAYS + 1


# -- issue 13: a large import is linear and commits in batches -------------------------------------


def write_big_staff_csv(path, rows: int, districts: int = 50) -> None:
    lines = ["ชื่อ-สกุล,ตำแหน่ง,อำเภอ,เบอร์โทร,จังหวัด"]
    lines += [f"นาย ทดสอบ{i:04d} นามสกุล{i % 97},พัฒนากร,อำเภอที่{i % districts:02d},08{i:08d},ยะลา"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_org_import_of_2500_rows(var, tmp_path, capsys):
    """Every row lands once, in the right unit, with its phone; a second run changes nothing.
    (Before issue 13 this took 25-33 s, one transaction holding the write lock; bench/store_bench.py
    prints the time now.)"""
    path = tmp_path / "big.csv"
    write_big_staff_csv(path, 2500)
    assert run(["org", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "หน่วยงาน: เพิ่ม 51, แก้ไข 0, เหมือนเดิม 0" in out and "บุคลากร: เพิ่ม 2500, แก้ไข 0, เหมือนเดิม 0" in out
    with open_db(var) as store:
        people = store.people()
        assert len(people) == 2500 and len({p.name for p in people}) == 2500
        districts = {u.id: u for u in store.units() if u.kind == "district"}
        assert len(districts) == 50 and all(u.parent == "ยะลา" for u in districts.values())
        p1234 = store.people_named("นาย ทดสอบ1234 นามสกุล70")[0]
        assert p1234.phone == "0800001234" and districts[p1234.unit_id].name == "ที่34"
        assert p1234.scopes == (Scope("unit", p1234.unit_id),)
        audit = len(store.audit_log())
    assert run(["org", "import", str(path)]) == 0
    assert "บุคลากร: เพิ่ม 0, แก้ไข 0, เหมือนเดิม 2500" in capsys.readouterr().out
    with open_db(var) as store:
        assert len(store.people()) == 2500 and len(store.audit_log()) == audit


def test_org_import_commits_every_batch(var, tmp_path, monkeypatch):
    """Another connection sees the first 200 rows while row 250 is imported: the write lock is
    released between batches (before: one transaction for the whole file)."""
    path = tmp_path / "big.csv"
    write_big_staff_csv(path, 300)
    seen: list[int] = []
    original = admin_cli.OrgImporter.row

    def row(self, sheet, line, rec):
        if line == 252:  # the 251st data row
            other = SqliteStore(var / "kpibot.sqlite3", var / "evidence")
            seen.append(len(other.people()))
            other.close()
        return original(self, sheet, line, rec)

    monkeypatch.setattr(admin_cli.OrgImporter, "row", row)
    assert run(["org", "import", str(path)]) == 0
    assert seen == [admin_cli.IMPORT_BATCH_ROWS]


def test_org_import_dry_run_of_many_rows_writes_nothing(var, tmp_path, capsys):
    path = tmp_path / "big.csv"
    write_big_staff_csv(path, 450)
    assert run(["org", "import", str(path), "--dry-run"]) == 0
    assert "บุคลากร: เพิ่ม 450" in capsys.readouterr().out
    with open_db(var) as store:
        assert store.people() == [] and store.units() == []


def test_org_import_work_per_row_does_not_grow(var, tmp_path, monkeypatch):
    """SQLite virtual-machine steps per imported row stay flat from 200 to 800 rows (before: every row
    scanned all people by name, so the work per row grew with the file)."""
    monkeypatch.setattr(admin_cli, "BATCH_PAUSE_S", 0)

    def steps(rows: int) -> int:
        path = tmp_path / f"staff-{rows}.csv"
        write_big_staff_csv(path, rows, districts=10)
        store = SqliteStore(tmp_path / f"steps-{rows}.sqlite3", tmp_path / "evidence")
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        store.db.conn.set_progress_handler(tick, 100)
        admin_cli.import_org(store, path)
        store.close()
        return count[0]

    small, large = steps(200), steps(800)
    assert large / 800 < 1.5 * (small / 200), (small, large)
