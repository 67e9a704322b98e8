"""`kpibot chat` from a pipe: one message per line, replies printed, choices answered by number."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    env = {**os.environ, "KPIBOT_VAR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "chat", "--db", str(tmp_path / "demo.sqlite3"), "--today", "2025-06-10",
         *args],
        input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_chat_from_a_pipe_creates_the_demo_and_reports(tmp_path):
    out = chat(tmp_path, ["รายงาน ตชว.1 92", "2", "1", "คะแนนปัจจุบัน"], "--user", "6")
    assert "ฐานข้อมูลทดลอง: จังหวัดยะลา" in out  # created on first use, says how to switch user
    assert "/user 9" in out
    assert "หมายถึงตัวชี้วัดไหนคะ" in out and "1) ตชว.1" in out
    assert "ผล: ระดับ 3" in out
    assert "บันทึกแล้วค่ะ" in out
    assert "คะแนนปัจจุบัน เมืองยะลา" in out
    again = chat(tmp_path, ["/user 9", "คะแนน เมืองยะลา"])
    assert "ฐานข้อมูลทดลอง" not in again  # reused, not rebuilt
    assert "[ตอนนี้คุณคือ นายมะรอนิง สาแม · หัวหน้าหน่วยงาน · ยะลา]" in again
    assert "คะแนนปัจจุบัน เมืองยะลา" in again and "ระดับ 3" in again


def test_console_sends_a_file_as_evidence(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% kpibot test\n")
    out = chat(tmp_path, [f"/file {pdf} หลักฐาน ตชว.1 เบิกจ่าย"], "--user", "6")
    assert "เก็บหลักฐาน 1 ไฟล์" in out


def test_console_writes_a_chart_under_var_and_prints_its_path(tmp_path):
    out = chat(tmp_path, ["กราฟ"], "--user", "9")
    match = re.search(r"\[รูปภาพ (\S+\.png) [\d,]+ ไบต์\]", out)
    assert match, out
    path = Path(match[1])
    assert path.is_relative_to(tmp_path / "var") and path.read_bytes()[:4] == b"\x89PNG"
