"""`python -m bot` as a real process: exit codes, the OCR CLI, engine prerequisites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.ocr.engines.aspose_models import UNREACHABLE_MARKER
from tests.support.images import FIRST_LINE, NOTE_LINES, render_note

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_bot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120):
    full_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "ASPOSE_", "OCR_", "DATABASE_"))
    }
    full_env["PYTHONPATH"] = str(REPO_ROOT)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_missing_token_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    for env in ({}, {"TELEGRAM_BOT_TOKEN": "   "}):
        result = run_bot(env=env, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0
        assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_ocr_cli_prints_lines_with_confidence_and_verdict(tmp_path: Path) -> None:
    image = tmp_path / "note.png"
    image.write_bytes(render_note(NOTE_LINES))
    result = run_bot(
        "ocr",
        str(image),
        env={"ASPOSE_AUTO_DOWNLOAD": "false", "ASPOSE_RESOURCES_DIR": str(tmp_path / "res")},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert header.startswith("# note.png:")
    assert "mode=" in header
    line_rows = [row for row in rows if not row.startswith("#")]
    assert line_rows, result.stdout
    number, confidence, source, verdict, *words = line_rows[0].split()
    assert number == "1"
    assert confidence.endswith("%")
    assert 0 <= float(confidence[:-1]) <= 100
    assert source in {"engine", "estimate", "crosscheck"}
    assert verdict in {"accepted", "LOW-CONFIDENCE"}
    assert FIRST_LINE.startswith(" ".join(words))
    assert "Trial" not in result.stdout


def test_ocr_cli_refuses_a_non_image(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")
    result = run_bot("ocr", str(text_file), env={}, cwd=tmp_path)
    assert result.returncode == 1
    assert "couldn't open that file as an image" in result.stderr


def test_missing_openssl_is_a_clear_error_not_a_native_abort(tmp_path: Path) -> None:
    image = tmp_path / "note.png"
    image.write_bytes(render_note(NOTE_LINES))
    empty = tmp_path / "no-openssl"
    empty.mkdir()
    result = run_bot("ocr", str(image), env={"ASPOSE_OPENSSL_DIR": str(empty)}, cwd=tmp_path)
    assert result.returncode == 1
    assert "OpenSSL 1.1" in result.stderr
    assert "make setup" in result.stderr
    assert "Process terminated" not in result.stderr


def test_bot_reads_the_openssl_folder_from_its_env_file(tmp_path: Path) -> None:
    # The bot checks the engine's prerequisites before it talks to Telegram: a folder without
    # OpenSSL 1.1, named only in `.env`, must stop it with the clear message.
    empty = tmp_path / "no-openssl"
    empty.mkdir()
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
        f"ASPOSE_OPENSSL_DIR={empty}\n"
    )
    result = run_bot(env={}, cwd=tmp_path)
    assert result.returncode == 1
    assert f"not found in {empty}" in result.stderr
    assert "Process terminated" not in result.stderr


def test_offline_handwriting_download_falls_back_to_the_built_in_model(tmp_path: Path) -> None:
    """Automatic download allowed, but there is no internet: the fallback path, for real.
    The model store is asked once; the answer is remembered in the resources folder, so the
    next call does not ask (nor pay the engine's 15 s of download retries)."""
    image = tmp_path / "note.png"
    image.write_bytes(render_note(NOTE_LINES))
    env = {"ASPOSE_AUTO_DOWNLOAD": "true", "ASPOSE_RESOURCES_DIR": str(tmp_path / "res")}
    result = run_bot("ocr", str(image), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "model=printed" in result.stdout
    assert "handwriting model unavailable" in result.stdout
    assert "model store can't be reached" in result.stdout
    assert "ocr_fallback" in result.stderr  # logged for the operator
    marker = tmp_path / "res" / UNREACHABLE_MARKER
    asked_at = marker.stat().st_mtime_ns
    again = run_bot("ocr", str(image), env=env | {"LOG_LEVEL": "DEBUG"}, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "handwriting model unavailable" in again.stdout
    assert marker.stat().st_mtime_ns == asked_at  # remembered, not asked again


def test_json_output_reads_every_image_in_one_process(tmp_path: Path) -> None:
    first, second, broken = tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "c.png"
    first.write_bytes(render_note(NOTE_LINES))
    second.write_bytes(render_note(["Call Alice"], fmt="JPEG"))
    broken.write_bytes(b"not an image")
    env = {"ASPOSE_AUTO_DOWNLOAD": "false", "ASPOSE_RESOURCES_DIR": str(tmp_path / "res")}
    result = run_bot("ocr", "--json", str(first), str(second), str(broken), env=env, cwd=tmp_path)
    assert result.returncode == 1  # one image could not be read
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["image"] for record in records] == [str(first), str(second), str(broken)]
    assert "couldn't open that file" in records[2]["error"]
    for record in records[:2]:
        assert record["engine"] == "aspose"
        assert record["trial"] is True
        assert record["seconds"] > 0
        assert record["image_size"] == [1200, 140 if record is records[1] else 440]
    line = records[0]["lines"][0]
    assert set(line) == {"text", "confidence", "source", "accepted", "box"}
    assert FIRST_LINE.startswith(line["text"])
    assert 0 <= line["confidence"] <= 1
    assert line["source"] == "crosscheck"
    assert line["accepted"] == (line["confidence"] >= 0.75)
    x, y, width, height = line["box"]
    assert 0 <= x < 1200
    assert 0 <= y < 100
    assert min(width, height) > 0


def test_rapidocr_engine_reads_the_whole_image(tmp_path: Path) -> None:
    image = tmp_path / "note.png"
    image.write_bytes(render_note(NOTE_LINES))
    result = run_bot("ocr", str(image), env={"OCR_ENGINE": "rapidocr"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert "mode=free" in header
    assert [row.split(None, 4)[4] for row in rows] == NOTE_LINES  # no trial truncation
    assert {row.split()[2] for row in rows} == {"calibrated"}


def test_worker_needs_a_broker_and_the_engine_but_no_token(tmp_path: Path) -> None:
    """`python -m bot worker` stops with one clear line, before Celery or the engine start."""
    no_broker = run_bot("worker", env={}, cwd=tmp_path, timeout=60)
    assert no_broker.returncode == 2
    assert no_broker.stderr.strip() == "error: OCR_BROKER_URL is not set (redis://host:6379/0)"
    # Without OpenSSL 1.1 the engine's runtime would abort natively in a pool child; the worker
    # checks first (this machine has no system libssl1.1 to fall back on).
    no_openssl = run_bot(
        "worker",
        env={
            "OCR_BROKER_URL": "redis://:pw@127.0.0.1:1/0",
            "ASPOSE_OPENSSL_DIR": str(tmp_path / "empty"),
        },
        cwd=tmp_path,
        timeout=60,
    )
    assert no_openssl.returncode == 1
    assert "OpenSSL 1.1" in no_openssl.stderr
    assert "Traceback" not in no_openssl.stderr
    assert "pw@" not in no_openssl.stderr + no_openssl.stdout
