"""`python -m bot` as a real process: exit codes, the OCR CLI, engine prerequisites."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert source in {"engine", "estimate"}
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
    """Automatic download allowed, but there is no internet: the fallback path, for real."""
    image = tmp_path / "note.png"
    image.write_bytes(render_note(NOTE_LINES))
    result = run_bot(
        "ocr",
        str(image),
        env={"ASPOSE_AUTO_DOWNLOAD": "true", "ASPOSE_RESOURCES_DIR": str(tmp_path / "res")},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "model=printed" in result.stdout
    assert "handwriting model unavailable" in result.stdout
    assert "ocr_fallback" in result.stderr  # logged for the operator


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
