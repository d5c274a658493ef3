"""Is a note found by the words on its photo? `python -m bench.search_recall FOLDER [FOLDER ...]`

Each FOLDER is a set of real photos with ground truth, as for `bench.quality` (`manifest.csv`
with `file` and `kind`, `<stem>.gt.txt` beside each image). Every photo is read with the bot's
own engine code (the engine and settings of the environment, `OCR_ENGINE=rapidocr` unless set;
readings are cached under the system's temp folder or `--cache`, keyed by the image's hash, the
engine settings and the engine code). Per folder, all photos become notes of one user through
the bot's own `Storage` (a real SQLite file, the lines' review states from the bot's own
rules), and another user gets notes holding the same words, rightly spelt. Then every
ground-truth word of 4+ letters (stopwords and numbers left out; optional lines too) is one query
through the bot's own search:

- **found**: the photo's note is among the results, per kind of photo;
- **wrong/query**: the user's other notes returned whose ground truth lacks the word (or a
  word starting with it: the last word of a query is also a prefix);
- **exact not first**: queries where a note holding the word as typed came after one that
  matched only approximately (must be 0); **other user**: the other user's notes returned
  (must be 0).

Variants, measured in the same run on the same notes: `exact` (the search before tolerating
OCR errors), `fuzzy` (close spellings), and, with the readings the OCR step did not choose
stored as hidden search text, `exact+alt` and `fuzzy+alt`. `--grid` also tries other edit
budgets (how the default was chosen on the development set). Images never enter the
repository; figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.quality import _images, run_setting
from bench.quality_metrics import GtLine, read_ground_truth
from bench.report import machine, table
from bot.config import Settings
from bot.domain.models import ConfidenceSource, LineDraft, LineState, RecognizedLine
from bot.domain.review import classify, note_title
from bot.ocr.contract import EngineConfig
from bot.storage import Storage
from bot.storage import search as search_rows
from bot.storage.search import Search
from bot.storage.search_query import query_words
from bot.storage.search_terms import EXACT_ONLY, TOKENIZER_ONCE, FuzzyRules

OWNER, OTHER = 1, 2
MIN_WORD = 4
REPO = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "search-recall-cache"
# Function words of 4+ letters (English, and the French, German and Dutch of the sets): a
# one-word search for them is not how anyone looks for a note. Compared after folding.
_STOPWORDS = """
    about above after again also been before being below between both could does doing down
    during each even ever every from further have having here into itself just more most much
    must only other ought over same should some such than that their theirs them themselves
    then there these they this those through under until upon very were what when where which
    while whom will with would your yours yourself
    avec dans elle elles leur leurs mais nous pour sans sont vous cette comme
    aber auch dass doch eine einem einen einer eines nach oder sich sind und wird
    deze door maar voor zijn naar niet over
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Rules tried with --grid (how the default was chosen on the development set).
GRID = [
    FuzzyRules(min_chars=min_chars, long_chars=long_chars, long_edits=edits, words_differ=differ)
    for differ in (True, False)
    for min_chars in (4, 5)
    for long_chars in (7, 8, 9)
    for edits in (1, 2)
]


@dataclass
class Photo:
    name: str
    kind: str
    lines: list[RecognizedLine]
    ground_truth: list[GtLine]
    gt_terms: set[str] = field(default_factory=set)  # every term of the ground truth
    queries: dict[str, str] = field(default_factory=dict)  # term -> the word as written


def engine_settings() -> tuple[EngineConfig, float]:
    """The engine as the environment configures the bot (`OCR_ENGINE=rapidocr` unless set),
    and the review threshold (0-1)."""
    environ = dict(os.environ)
    environ.setdefault("OCR_ENGINE", "rapidocr")
    settings = Settings.from_env(environ, env_file=None, require_token=False)
    return EngineConfig.from_settings(settings), settings.confidence_threshold / 100


def _cache_key(config: EngineConfig) -> str:
    """What changes a reading: the engine, its settings (not where its files live) and the
    engine code (`bot/ocr/engines`, `bot/ocr/images`): a change there reads the photos again."""
    wanted: dict[str, Any] = asdict(config)
    for where in ("resources_dir", "openssl_dir", "auto_download", "model_recheck_s"):
        wanted.pop(where)
    wanted["license_path"] = bool(wanted["license_path"])
    code = hashlib.sha256()
    for package in ("engines", "images"):
        for source in sorted((REPO / "bot" / "ocr" / package).rglob("*.py")):
            code.update(source.read_bytes())
    wanted["code"] = code.hexdigest()
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]


def read_photos(
    config: EngineConfig, images: list[dict[str, str]], cache: Path = CACHE
) -> list[dict[str, Any]]:
    """Every image's reading, from the cache or read now by the bot's engine (in a child
    process, as `bench.quality` does); new readings go into the cache."""
    cache.mkdir(parents=True, exist_ok=True)
    key = _cache_key(config)
    paths = {}
    for image in images:
        digest = hashlib.sha256(Path(image["path"]).read_bytes()).hexdigest()[:24]
        language = image.get("language", config.language)  # the manifest's, as bench.quality
        paths[image["path"]] = cache / f"{key}-{language}-{digest}.json"
    missing = [image for image in images if not paths[image["path"]].is_file()]
    if missing:
        with tempfile.TemporaryDirectory(prefix="recall-") as scratch:
            scratch_config = replace(
                config, resources_dir=str(Path(scratch) / "aspose"), auto_download=False
            )
            started = time.perf_counter()
            for read in run_setting(scratch_config, missing)["images"]:
                paths[read["path"]].write_text(json.dumps(read))
            print(f"read {len(missing)} images in {time.perf_counter() - started:.0f} s")
    return [json.loads(paths[image["path"]].read_text()) | image for image in images]


def _photo(read: dict[str, Any]) -> Photo:
    lines = [
        RecognizedLine(
            line["text"],
            line["confidence"],
            ConfidenceSource(line["source"]),
            tuple(line["box"]) if line["box"] else None,
            alternatives=tuple(line.get("alternatives", ())),
        )
        for line in read["lines"]
    ]
    photo = Photo(Path(read["path"]).name, read["kind"], lines, read_ground_truth(read["gt"]))
    (photo.gt_terms,) = TOKENIZER_ONCE.terms(["\n".join(gt.text for gt in photo.ground_truth)])
    for gt in photo.ground_truth:
        if gt.optional:
            continue
        for word in query_words(gt.text):
            term = TOKENIZER_ONCE.term(word)
            if term and len(term) >= MIN_WORD and term.isalpha() and term not in STOPWORDS:
                photo.queries.setdefault(term, word)
    return photo


@contextmanager
def hidden_terms_in_vocabulary(on: bool) -> Iterator[None]:
    before = search_rows.HIDDEN_TERMS_IN_VOCABULARY
    search_rows.HIDDEN_TERMS_IN_VOCABULARY = on
    try:
        yield
    finally:
        search_rows.HIDDEN_TERMS_IN_VOCABULARY = before


async def store(
    path: Path, photos: list[Photo], threshold: float, alternatives: bool
) -> tuple[list[int], set[int]]:
    """The photos' notes for OWNER (as the pipeline makes them), and OTHER's notes holding
    their ground truth; returns OWNER's note per photo and OTHER's note ids."""
    async with await Storage.open(path) as storage:
        mine = []
        for photo in photos:
            lines = photo.lines
            if not alternatives:
                lines = [replace(line, alternatives=()) for line in lines]
            drafts = classify(lines, threshold)
            note = await storage.create_note(
                user_id=OWNER, chat_id=OWNER, lines=drafts, title=note_title(None, drafts)
            )
            mine.append(note.id)
        others = set()
        for photo in photos:
            right = [
                LineDraft(gt.text, 1.0, ConfidenceSource.ENGINE, LineState.ACCEPTED)
                for gt in photo.ground_truth
            ]
            note = await storage.create_note(user_id=OTHER, chat_id=OTHER, lines=right)
            others.add(note.id)
    return mine, others


def _right(photo: Photo, term: str) -> bool:
    """Whether the photo holds the word (or one starting with it: the query's prefix)."""
    return any(word.startswith(term) for word in photo.gt_terms)


async def measure(
    path: Path, photos: list[Photo], notes: list[int], others: set[int], rules: FuzzyRules
) -> dict[str, Any]:
    """Every query once with `rules` and once exact-only, on the notes in `path`."""
    photo_of = dict(zip(notes, photos, strict=True))
    found: dict[str, list[bool]] = defaultdict(list)
    wrong = other_user = not_first = queries = 0
    async with await Storage.open(path) as storage:
        exact, fuzzy = Search(storage.db, EXACT_ONLY), Search(storage.db, rules)
        for note_id, photo in zip(notes, photos, strict=True):
            for term, word in photo.queries.items():
                hits = await fuzzy.find(OWNER, word, limit=1000)
                ids = [hit.note_id for hit in hits]
                typed = {
                    hit.note_id
                    for hit in await exact.find(OWNER, word, limit=1000)
                    if not hit.approximate
                }
                queries += 1
                for kind in (photo.kind, "all"):
                    found[kind].append(note_id in ids)
                other_user += sum(1 for i in ids if i in others)
                wrong += sum(1 for i in ids if i in photo_of and not _right(photo_of[i], term))
                not_first += set(ids[: len(typed)]) != typed
    return {
        "found": {kind: sum(hits) / len(hits) for kind, hits in found.items()},
        "queries": {kind: len(hits) for kind, hits in found.items()},
        "wrong_per_query": wrong / max(1, queries),
        "exact_not_first": not_first / max(1, queries),
        "other_user_notes": other_user,
    }


async def run_folder(
    folder: str, photos: list[Photo], threshold: float, rules_list: list[FuzzyRules], work: Path
) -> dict[str, Any]:
    """The variants on one folder: plain notes, and notes with their hidden readings (with
    and without those readings' terms in the vocabulary)."""
    with_alternatives = any(line.alternatives for photo in photos for line in photo.lines)
    stores: dict[str, tuple[Path, list[int], set[int]]] = {}
    layouts = [("", False, True)]
    if with_alternatives:
        layouts += [("+alt", True, True), ("+alt(hidden exact only)", True, False)]
    for suffix, alternatives, vocabulary in layouts:
        path = work / f"{folder}{suffix.replace('(', '-').replace(')', '').replace(' ', '-')}.db"
        with hidden_terms_in_vocabulary(vocabulary):
            stores[suffix] = (path, *await store(path, photos, threshold, alternatives))
    results: dict[str, Any] = {}
    for suffix, (path, notes, others) in stores.items():
        if suffix.startswith("+alt("):
            results["fuzzy" + suffix] = await measure(path, photos, notes, others, rules_list[0])
            continue
        results["exact" + suffix] = await measure(path, photos, notes, others, EXACT_ONLY)
        for index, rules in enumerate(rules_list):
            name = "fuzzy" + suffix + ("" if index == 0 else f" {describe(rules)}")
            results[name] = await measure(path, photos, notes, others, rules)
    return {"notes": len(photos), "variants": results}


def describe(rules: FuzzyRules) -> str:
    words = "" if rules.words_differ else ", words alike"
    return f"[{rules.min_chars}+:{rules.edits}, {rules.long_chars}+:{rules.long_edits}{words}]"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def rows_for(folder: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    notes = result["notes"]
    for variant, figures in result["variants"].items():
        kinds = sorted(figures["found"], key=lambda kind: (kind == "all", kind))
        row: dict[str, Any] = {"set": folder, "notes": notes, "variant": variant}
        row |= {
            f"{kind} ({figures['queries'][kind]})": _percent(figures["found"][kind])
            for kind in kinds
        }
        per_query = figures["wrong_per_query"]
        row |= {
            "wrong/query": f"{per_query:.3f}",
            "wrong/query per 20 notes": f"{per_query * 19 / max(1, notes - 1):.3f}",
            "exact not first": _percent(figures["exact_not_first"]),
            "other user": figures["other_user_notes"],
        }
        rows.append(row)
    return rows


async def main_async(args: argparse.Namespace) -> int:
    config, threshold = engine_settings()
    sets = {folder.name: _images(folder) for folder in args.folders}
    if not any(sets.values()):
        print("no image with a .gt.txt and a manifest.csv row in the folder(s)", file=sys.stderr)
        return 2
    rules_list = [FuzzyRules()]
    if args.grid:
        rules_list += [rules for rules in GRID if rules != FuzzyRules()]
    results: dict[str, Any] = {
        "machine": machine(),
        "engine": asdict(config) | {"threshold": threshold},
        "rules": asdict(FuzzyRules()),
        "sets": {},
    }
    print(f"engine: {config.engine}, cross-check {config.crosscheck}, flatten {config.flatten}")
    with tempfile.TemporaryDirectory(prefix="search-recall-") as scratch:
        for folder, images in sets.items():
            photos = [_photo(read) for read in read_photos(config, images, args.cache)]
            started = time.perf_counter()
            result = await run_folder(folder, photos, threshold, rules_list, Path(scratch))
            print(f"{folder}: {len(photos)} notes in {time.perf_counter() - started:.1f} s")
            results["sets"][folder] = result
            print(table(f"Search recall: {folder} ({config.engine})", rows_for(folder, result)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--grid", action="store_true", help="also try other edit budgets")
    parser.add_argument("--out", type=Path, default=Path("bench/results-search-recall.json"))
    parser.add_argument("--cache", type=Path, default=CACHE, help="where readings are kept")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
