"""In chat, "ตัวชี้วัดที่ 1" means the row of the sender's unit (or of the unit named): 001 prints two
KPI-1 rows, one for every district except เกาะสีชัง (001:L66) and one for เกาะสีชัง only (001:L67)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.store.sqlite import SqliteStore
from handlers.ports import Scope, Unit

from .conftest import Chat

EXCEPT_KOH_SICHANG = "(ยกเว้นอำเภอเกาะสีชัง)"  # 001:L66, in the name of i1
ONLY_KOH_SICHANG = "(เฉพาะอำเภอเกาะสีชัง)"  # 001:L67, in the name of i1k


@pytest.fixture()
def chonburi(tmp_path, catalogs):
    store = SqliteStore(str(tmp_path / "chonburi.sqlite3"), str(tmp_path / "evidence"))
    province = Unit("chonburi", "ชลบุรี", "province", None, {})
    store.put_unit(province)
    people = {}
    for uid, name in (("koh-sichang", "เกาะสีชัง"), ("sriracha", "ศรีราชา")):
        store.put_unit(Unit(uid, name, "district", province.id, {}))
        store.assign_agreement("chonburi-2567-r2-individual", uid, 2567, 2, date(2024, 4, 1), date(2024, 9, 30))
        people[name] = store.add_person(f"พัฒนากร{name}", "reporter", uid)
    people["chief"] = store.add_person("พัฒนาการจังหวัด", "chief", province.id, scopes=(Scope("province", province.id),))
    for person in people.values():
        store.link_identity(person.id, "console", str(person.id), display_name=person.name)
    yield Chat(store, catalogs, date(2024, 7, 1)), people
    store.close()


def test_kpi_1_from_koh_sichang_is_the_koh_sichang_row(chonburi):
    chat, people = chonburi
    reply = chat.text(people["เกาะสีชัง"].id, "ตัวชี้วัดที่ 1 ระดับ 5 ต้องทำอะไร")
    assert ONLY_KOH_SICHANG in reply and EXCEPT_KOH_SICHANG not in reply
    assert "คลิปวิดีโอ" in reply  # 001:L67 ระดับ 5: ผลิตคลิปวิดีโอองค์ความรู้


def test_kpi_1_from_another_district_is_the_common_row(chonburi):
    chat, people = chonburi
    reply = chat.text(people["ศรีราชา"].id, "ตัวชี้วัดที่ 1 ระดับ 5 ต้องทำอะไร")
    assert EXCEPT_KOH_SICHANG in reply and ONLY_KOH_SICHANG not in reply


def test_a_chief_naming_the_district_gets_its_row(chonburi):
    chat, people = chonburi
    assert ONLY_KOH_SICHANG in chat.text(people["chief"].id, "ตัวชี้วัดที่ 1 ของเกาะสีชัง ระดับ 5 ต้องทำอะไร")
    assert EXCEPT_KOH_SICHANG in chat.text(people["chief"].id, "เกณฑ์ตัวชี้วัดที่ 1 อำเภอศรีราชา")
