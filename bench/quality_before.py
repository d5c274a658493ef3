"""The bot's engine code as it was at an earlier commit, read in the same run as today's.

`python -m bench.quality` compares each setting with the bot before a change ("…-before"
settings) on the same machine in the same run (the machine's load changes between runs, so
seconds from different runs don't compare). Instead of keeping old code paths in `bot/`, the
commit's files are unpacked from git (`git archive`, nothing in the checkout changes) into a
scratch folder, and the very reader function of `bench.quality` runs there in a child
process, importing that commit's `bot` package. Needs a git checkout holding the commit.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.ocr.contract import EngineConfig

REPO = Path(__file__).resolve().parent.parent
# `main` when issue 21 (recognition of whiteboards and handwriting, flags) started.
BEFORE_REF = "17471ef"

_RUN = """
import json, sys
from dataclasses import fields
from bot.ocr.contract import EngineConfig

args = json.loads(open(sys.argv[1]).read())
known = {field.name for field in fields(EngineConfig)}
config = EngineConfig(**{k: v for k, v in args["config"].items() if k in known})
read = read_all(config, args["images"])
open(sys.argv[2], "w").write(json.dumps(read))
"""


def checkout(ref: str, into: Path) -> Path:
    """The files of commit `ref` unpacked into `into` (created); raises RuntimeError when git
    or the commit is missing."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"can't unpack commit {ref} for the baseline: {error}") from None
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def read_in(
    tree: Path,
    reader: Callable[..., dict[str, Any]],
    config: EngineConfig,
    images: list[dict[str, str]],
) -> dict[str, Any]:
    """`reader(config, images)` run in a child process whose `bot` package is `tree`'s."""
    code = (
        "from __future__ import annotations\nimport time\nfrom pathlib import Path\n"
        + textwrap.dedent(inspect.getsource(reader))
        + _RUN
    )
    if config.openssl_dir is None:  # the old tree has no vendor folder of its own
        from bot.ocr.engines.prerequisites import openssl_dir

        config = EngineConfig(**(asdict(config) | {"openssl_dir": str(openssl_dir())}))
    arguments = tree / "bench-arguments.json"
    answer = tree / "bench-answer.json"
    arguments.write_text(json.dumps({"config": asdict(config), "images": images}))
    env = os.environ | {"PYTHONPATH": str(tree)}
    run = subprocess.run(
        [sys.executable, "-c", code, str(arguments), str(answer)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the baseline run failed: {run.stderr[-2000:]}")
    read: dict[str, Any] = json.loads(answer.read_text())
    return read
