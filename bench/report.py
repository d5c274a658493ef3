"""Percentiles, machine facts, and printing results as plain-text tables."""

from __future__ import annotations

import os
import platform
import statistics
from importlib import metadata
from pathlib import Path


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolated; None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[min(98, max(0, round(q) - 1))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "aspose_ocr": metadata.version("aspose-ocr-python-net"),
        "python_telegram_bot": metadata.version("python-telegram-bot"),
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def table(title: str, rows: list[dict]) -> str:
    """A fixed-width table of dict rows (same keys), None shown as '–'."""
    if not rows:
        return f"\n{title}\n  (no rows)\n"
    columns = list(rows[0])
    cells = [[("–" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [f"\n{title}", line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out) + "\n"


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process now (VmRSS in /proc), in MB; None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct and indirect child processes (the OCR workers)."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.append(kid)
                    queue.append(kid)
    return found


def process_memory(pid: int) -> dict:
    """Resident memory of a process (the bot) and of its children (the OCR workers), in MB."""
    workers = children(pid)
    main = rss_mb(pid) or 0.0
    worker_mb = sum(rss_mb(child) or 0.0 for child in workers)
    return {"main_mb": main, "workers_mb": round(worker_mb, 1), "processes": 1 + len(workers)}
