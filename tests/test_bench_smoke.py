"""The benchmark scripts run end to end at tiny sizes (no timing is asserted: see bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTIONS = [
    "engine_per_size",
    "parallelism",
    "gil",
    "areas_modes",
    "bot_throughput",
    "responsiveness",
    "search",
    "cold_start",
    "cold_start_without_warm_up",
    "downscale",
    "queue_overhead",
    "queue_throughput",
    "sqlite_writer",
]


def test_quick_benchmark_produces_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1
    for section in SECTIONS:
        assert results[section], f"section {section} is empty"
        assert "error" not in json.dumps(results[section]), results[section]
    assert all(row["images_per_s"] > 0 for row in results["engine_per_size"])
    assert all(row["p50_s"] > 0 for row in results["bot_throughput"])
    assert [row["lines"] for row in results["search"]] == [1000, 2000]
    assert results["search"][-1]["db_mb"] > 0
    assert isinstance(results["gil"]["gil_released"], bool)
    assert {row["areas_mode"] for row in results["areas_modes"]} == {"UNIVERSAL", "LEAN"}
    assert results["cold_start"]["exit_code_after_sigterm"] == 0
    assert results["cold_start"]["memory_engine_loaded"]["workers_mb"] > 0
    assert results["cold_start_without_warm_up"]["first_photo_s"] > 0
    assert {row["backend"] for row in results["queue_throughput"]} == {
        "local pool",
        "celery + redis",
    }
    assert results["sqlite_writer"]["photos_per_s"] > 0
    assert results["queue_bot_cpu"]["bot_cpu_ms_per_photo"] > 0
    for section in ("Engine alone", "Bot (fake Bot API", "Search latency", "Cold start"):
        assert section in run.stdout
