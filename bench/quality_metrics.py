"""OCR quality metrics for line-based ground truth (`python -m bench.quality`).

Ground truth format (``<stem>.gt.txt``): one line of text per line of the image, in reading
order; a line starting with ``~ `` is *optional* (may or may not be read: half-hidden text,
diagram labels).  Blank lines are ignored.

Definitions implemented here (all distances are character Levenshtein distances unless said):

* **Line matching.**  Every recognised line is matched to the ground-truth (GT) line it is
  closest to.  Closeness is a *fragment-aware* normalised edit distance
  ``d(rec, gt) = min over runs of whole words w of gt of lev(rec, w) / max(len(rec), len(w))``,
  so a recognised line that is a piece of a GT line (engines split columns into cells, trial
  mode truncates lines) is as close as the piece is correct, while shards of words ("wo" of
  "two") are not pieces; ties are broken by the plain normalised distance
  ``lev(rec, gt) / max(len(rec), len(gt))``.
  A ground-truth line written several times (a diagram's label) takes one recognised line
  per copy: a reading goes to the first copy not matched yet.
* **Reordering.**  Recognised lines are put in GT order (lines matched to the same GT line keep
  their left-to-right / engine order and are joined by a space), so column and reading order
  do not count.  The reordered text is the GT-ordered lines joined by ``\\n``.
* **Reference text.**  All required GT lines, plus the optional GT lines that some
  recognised line was matched to, joined by ``\\n``.
* **CER** = ``lev(reordered, reference) / len(reference)``;  **WER** = the same on
  whitespace-separated words.  Pooled = sum of edits / sum of reference lengths; mean =
  average of per-image rates.
* **Lines read right**: share of *required* GT lines whose matched text (fragments joined by a
  space) is within 10% CER of the GT line.
* **Wrong line**: a recognised line whose fragment-aware distance to its best GT line is
  > 0.10 and that is not, within 10% edits either, a side-by-side composition of GT pieces
  (two lines of a row read as one line by the engine are not wrong).  With a confidence
  per recognised line and a threshold ``t``, a line is *flagged* when ``confidence < t``;
  flag recall = flagged wrong / all wrong; false-flag rate = flagged correct / all correct.

* **Diacritics** (for Vietnamese and other languages with marked letters).  A *marked*
  letter is one that is not its own base letter (``ợ`` → ``o``, ``Đ`` → ``D``, ``é`` → ``e``).
  The reordered text is aligned to the reference on base letters (marks stripped from both);
  **marked letters right** = reference marked letters read exactly / all reference marked
  letters; **marks right where the letter was read** = the same among the reference marked
  letters whose base letter was read (aligned to an equal base letter), so a dropped letter
  does not count there; **base CER** = CER with every mark stripped from both sides (what
  is left when diacritics are forgiven).

Text is compared after collapsing runs of whitespace and stripping; case and punctuation
count.  Pure Python plus ``rapidfuzz`` (C Levenshtein) for speed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bot.ocr.engines.vietnamese import base_letter, is_marked

OPTIONAL_PREFIX = "~ "
WRONG_LINE_THRESHOLD = 0.10
LINE_OK_CER = 0.10
_WS = re.compile(r"\s+")


# --------------------------------------------------------------------------- basics
def normalise(text: str) -> str:
    """Collapse whitespace runs to one space and strip."""
    return _WS.sub(" ", text).strip()


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance between two strings (or two lists of words)."""
    return int(Levenshtein.distance(a, b))


def normalised_distance(a: str, b: str) -> float:
    """``lev(a, b) / max(len(a), len(b))``; 0.0 for two empty strings."""
    n = max(len(a), len(b))
    return edit_distance(a, b) / n if n else 0.0


def fragment_distance(rec: str, gt: str) -> float:
    """Fragment-aware normalised distance of a recognised line to a GT line (0 = exact piece).

    The recognised line is compared with every run of whole words of the GT line (the whole
    line included): ``min lev(rec, span) / max(len(rec), len(span))``.  So a correct piece
    (a column cell, a truncated trial line, one of two words) is at distance 0, while a
    2-letter shard of a word ("wo" from "two") is not a fragment and stays far.
    """
    if not rec:
        return 0.0 if not gt else 1.0
    words = gt.split()
    if not words:
        return 1.0
    best = normalised_distance(rec, gt)
    limit = 2 * len(rec) + 5
    for i in range(len(words)):
        span = words[i]
        for j in range(i + 1, len(words) + 1):
            if j > i + 1:
                span = span + " " + words[j - 1]
            if len(span) > limit:
                break
            d = edit_distance(rec, span) / max(len(rec), len(span))
            if d < best:
                best = d
                if best == 0.0:
                    return 0.0
    return best


def word_runs(lines: Iterable[str], max_chars: int = 80) -> list[str]:
    """Every run of whole words of every line (up to ``max_chars`` characters)."""
    runs: list[str] = []
    for line in lines:
        words = line.split()
        for i in range(len(words)):
            span = words[i]
            runs.append(span)
            for j in range(i + 1, len(words)):
                span = span + " " + words[j]
                if len(span) > max_chars:
                    break
                runs.append(span)
    return list(dict.fromkeys(runs))


def composite_distance(rec: str, runs: Sequence[str]) -> float:
    """Distance of a recognised line read as *several* GT pieces side by side.

    The recognised words are split into consecutive groups; each group costs its edit distance
    to the closest GT word run (from any line); the best split's total edits / len(rec).  A
    line that merges two correct lines of a row ("Bergen Essex: *") is then at distance 0.
    """
    from rapidfuzz import process

    words = rec.split()
    if not words or not runs:
        return 1.0
    n = len(words)
    cost: dict[tuple[int, int], float] = {}
    for i in range(n):
        for j in range(i + 1, n + 1):
            group = " ".join(words[i:j])
            hit = process.extractOne(group, runs, scorer=Levenshtein.distance)
            cost[(i, j)] = float(hit[1]) if hit else float(len(group))
    best = [0.0] + [float("inf")] * n
    for j in range(1, n + 1):
        for i in range(j):
            best[j] = min(best[j], best[i] + cost[(i, j)])
    return min(1.0, best[n] / len(rec))


# --------------------------------------------------------------------------- diacritics
def base_text(text: str) -> str:
    """The text with every letter's marks stripped (same length as ``text``)."""
    return "".join(base_letter(char) for char in text)


@dataclass(frozen=True)
class MarkCounts:
    """How a reference's marked letters were read (see the module docstring)."""

    marked: int = 0  # marked letters in the reference
    right: int = 0  # ... read exactly
    base_read: int = 0  # ... whose base letter was read
    base_read_right: int = 0  # ... of those, read with the right marks
    base_edits: int = 0  # edit distance with every mark stripped


def mark_counts(recognised: str, reference: str) -> MarkCounts:
    """Align on base letters, then check each reference marked letter's reading."""
    rec_base, ref_base = base_text(recognised), base_text(reference)
    marked = right = base_read = base_read_right = 0
    read_at: dict[int, int] = {}
    for tag, ref_start, ref_end, rec_start, _rec_end in Levenshtein.opcodes(ref_base, rec_base):
        if tag == "equal":
            for offset in range(ref_end - ref_start):
                read_at[ref_start + offset] = rec_start + offset
    for index, char in enumerate(reference):
        if not is_marked(char):
            continue
        marked += 1
        if index in read_at:
            base_read += 1
            if recognised[read_at[index]] == char:
                right += 1
                base_read_right += 1
    return MarkCounts(marked, right, base_read, base_read_right, edit_distance(rec_base, ref_base))


# --------------------------------------------------------------------------- ground truth
@dataclass(frozen=True)
class GtLine:
    """One ground-truth line."""

    text: str
    optional: bool = False


def parse_ground_truth(text: str) -> list[GtLine]:
    """Parse GT text: one line per image line, ``~ `` prefix = optional, blanks ignored."""
    lines: list[GtLine] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if raw.startswith(OPTIONAL_PREFIX):
            body = normalise(raw[len(OPTIONAL_PREFIX) :])
            if body:
                lines.append(GtLine(body, True))
        else:
            lines.append(GtLine(normalise(raw), False))
    return lines


def read_ground_truth(path: str | Path) -> list[GtLine]:
    """Read a ``<stem>.gt.txt`` file."""
    return parse_ground_truth(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class LineMatch:
    """A recognised line, the index of its best GT line and how far it is from it."""

    rec_index: int
    text: str
    gt_index: int
    distance: float  # fragment-aware normalised distance to gt_index
    composite: float = 1.0  # as pieces of several GT lines (see composite_distance)

    @property
    def wrong(self) -> bool:
        """More than 10% edits away from its best GT line *and* from any side-by-side
        composition of GT pieces."""
        return min(self.distance, self.composite) > WRONG_LINE_THRESHOLD


def match_lines(recognised: Sequence[str], gt: Sequence[GtLine]) -> list[LineMatch]:
    """Match every (non-empty) recognised line to its closest GT line."""
    matches: list[LineMatch] = []
    used: set[int] = set()
    runs: list[str] | None = None
    if not gt:
        return [
            LineMatch(i, normalise(t), -1, 1.0) for i, t in enumerate(recognised) if normalise(t)
        ]
    for i, raw in enumerate(recognised):
        rec = normalise(raw)
        if not rec:
            continue
        best: tuple[float, float, int] | None = None
        for j in range(len(gt)):
            key = (fragment_distance(rec, gt[j].text), normalised_distance(rec, gt[j].text), j)
            if best is None or key < best:
                best = key
        assert best is not None
        # A label written several times (a diagram's "Package" three times): each reading
        # goes to the next copy not matched yet, not all to the first.
        same = [j for j in range(len(gt)) if gt[j].text == gt[best[2]].text]
        free = [j for j in same if j not in used]
        if free:
            best = (best[0], best[1], free[0])
        used.add(best[2])
        composite = 1.0
        if best[0] > WRONG_LINE_THRESHOLD and len(rec.split()) > 1:
            if runs is None:
                runs = word_runs(line.text for line in gt)
            composite = composite_distance(rec, runs)
        matches.append(LineMatch(i, rec, best[2], best[0], composite))
    return matches


# --------------------------------------------------------------------------- per image
@dataclass
class ImageScore:
    """Scores of one image."""

    name: str
    kind: str
    char_edits: int
    char_total: int
    word_edits: int
    word_total: int
    required_lines: int
    required_lines_ok: int
    matches: list[LineMatch] = field(default_factory=list)
    reordered: str = ""
    reference: str = ""
    marks: MarkCounts = field(default_factory=MarkCounts)

    @property
    def cer(self) -> float:
        return self.char_edits / self.char_total if self.char_total else 0.0

    @property
    def wer(self) -> float:
        return self.word_edits / self.word_total if self.word_total else 0.0

    @property
    def lines_ok_share(self) -> float:
        return self.required_lines_ok / self.required_lines if self.required_lines else 0.0

    @property
    def returned_edits(self) -> float:
        """Edits inside what the engine returned (each line against its best GT piece)."""
        return sum(m.distance * len(m.text) for m in self.matches)

    @property
    def returned_chars(self) -> int:
        return sum(len(m.text) for m in self.matches)


def score_image(
    recognised: Sequence[str],
    gt: Sequence[GtLine],
    name: str = "",
    kind: str = "",
    order_keys: Sequence[float] | None = None,
) -> ImageScore:
    """Score one image's recognised lines against its GT.

    ``order_keys`` (e.g. the x coordinate of each recognised line) orders several recognised
    lines that match the same GT line; by default the engine's order is kept.
    """
    matches = match_lines(recognised, gt)
    per_gt: dict[int, list[LineMatch]] = defaultdict(list)
    for m in matches:
        per_gt[m.gt_index].append(m)
    for j in per_gt:
        if order_keys is not None:
            per_gt[j].sort(key=lambda m: (order_keys[m.rec_index], m.rec_index))
        else:
            per_gt[j].sort(key=lambda m: m.rec_index)

    rec_lines: list[str] = []
    ref_lines: list[str] = []
    required = ok = 0
    for j, line in enumerate(gt):
        got = " ".join(m.text for m in per_gt.get(j, []))
        if got:
            rec_lines.append(got)
        if line.optional and j not in per_gt:
            continue
        ref_lines.append(line.text)
        if not line.optional:
            required += 1
            if edit_distance(got, line.text) <= LINE_OK_CER * len(line.text):
                ok += 1
    for m in per_gt.get(-1, []):  # only when there is no GT at all
        rec_lines.append(m.text)
    reordered = "\n".join(rec_lines)
    reference = "\n".join(ref_lines)
    rw, fw = reordered.split(), reference.split()
    return ImageScore(
        name=name,
        kind=kind,
        char_edits=edit_distance(reordered, reference),
        char_total=len(reference),
        word_edits=edit_distance(rw, fw),
        word_total=len(fw),
        required_lines=required,
        required_lines_ok=ok,
        matches=matches,
        reordered=reordered,
        reference=reference,
        marks=mark_counts(reordered, reference),
    )


# --------------------------------------------------------------------------- aggregates
@dataclass(frozen=True)
class Aggregate:
    """Pooled and mean rates over a group of images."""

    images: int
    pooled_cer: float
    pooled_wer: float
    mean_cer: float
    mean_wer: float
    lines_ok_share: float  # pooled over required GT lines
    returned_cer: float = 0.0  # edits inside returned lines / returned characters (pooled)
    returned_share: float = 0.0  # returned characters / reference characters (pooled)
    marked_letters: int = 0  # reference letters with diacritics (pooled)
    marked_right: float = 0.0  # share of them read exactly
    marks_right_where_read: float = 0.0  # share right among those whose base letter was read
    base_cer: float = 0.0  # pooled CER with every mark stripped


def aggregate(scores: Iterable[ImageScore]) -> Aggregate:
    """Pooled (sum of edits / sum of lengths) and mean (per image) CER/WER, lines read right."""
    s = list(scores)
    if not s:
        return Aggregate(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    ce, ct = sum(x.char_edits for x in s), sum(x.char_total for x in s)
    we, wt = sum(x.word_edits for x in s), sum(x.word_total for x in s)
    rl, ro = sum(x.required_lines for x in s), sum(x.required_lines_ok for x in s)
    rc = sum(x.returned_chars for x in s)
    return Aggregate(
        images=len(s),
        pooled_cer=ce / ct if ct else 0.0,
        pooled_wer=we / wt if wt else 0.0,
        mean_cer=sum(x.cer for x in s) / len(s),
        mean_wer=sum(x.wer for x in s) / len(s),
        lines_ok_share=ro / rl if rl else 0.0,
        returned_cer=(sum(x.returned_edits for x in s) / rc) if rc else 0.0,
        returned_share=rc / ct if ct else 0.0,
        marked_letters=(marked := sum(x.marks.marked for x in s)),
        marked_right=sum(x.marks.right for x in s) / marked if marked else 0.0,
        marks_right_where_read=(
            sum(x.marks.base_read_right for x in s) / base_read
            if (base_read := sum(x.marks.base_read for x in s))
            else 0.0
        ),
        base_cer=sum(x.marks.base_edits for x in s) / ct if ct else 0.0,
    )


def aggregate_by_kind(scores: Iterable[ImageScore]) -> dict[str, Aggregate]:
    """``aggregate`` per kind, plus ``"all"``."""
    s = list(scores)
    groups: dict[str, list[ImageScore]] = defaultdict(list)
    for x in s:
        groups[x.kind].append(x)
    out = {k: aggregate(v) for k, v in sorted(groups.items())}
    out["all"] = aggregate(s)
    return out


# --------------------------------------------------------------------------- flagging
@dataclass(frozen=True)
class FlagStats:
    """How well ``confidence < threshold`` separates wrong from correct lines."""

    threshold: float
    wrong: int
    correct: int
    flagged_wrong: int
    flagged_correct: int

    @property
    def recall(self) -> float:
        """Flagged wrong / all wrong."""
        return self.flagged_wrong / self.wrong if self.wrong else 1.0

    @property
    def false_flag_rate(self) -> float:
        """Flagged correct / all correct."""
        return self.flagged_correct / self.correct if self.correct else 0.0


def flag_stats(lines: Iterable[tuple[bool, float]], threshold: float = 0.75) -> FlagStats:
    """``lines`` = (is_wrong, confidence) per recognised line; flagged when conf < threshold."""
    wrong = correct = fw = fc = 0
    for is_wrong, conf in lines:
        flagged = conf < threshold
        if is_wrong:
            wrong += 1
            fw += flagged
        else:
            correct += 1
            fc += flagged
    return FlagStats(threshold, wrong, correct, fw, fc)


def load_manifest(folder: str | Path) -> list[Mapping[str, str]]:
    """Rows of ``manifest.csv`` in a data-set folder."""
    import csv

    with open(Path(folder) / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
