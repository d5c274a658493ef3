"""Turn the engine's raw output into lines: watermark removed, confidence and alternatives attached.

Pure functions over plain data (no Aspose import), so they are tested on constructed output.
The recognized text is the source of truth for line text; the engine's line list can be empty
or shorter (trial mode), and its confidence 0 means "not computed".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from bot.domain.models import Box

# The trial watermark, whole or cut anywhere after the asterisks: '***** Trial Licenses *****'.
_TRIAL_WORDS = "Trial Licenses"
_WATERMARK = re.compile(r"^\*{5,}\s*(?P<words>[A-Za-z ]*?)\s*\**$")


@dataclass(frozen=True)
class EngineLine:
    text: str
    confidence: float
    box: Box | None = None  # the line's rectangle in the pixels given to the engine


@dataclass(frozen=True)
class ParsedLine:
    text: str
    engine_confidence: float | None
    alternatives: list[list[str]] = field(default_factory=list)  # per character of text
    box: Box | None = None  # the whole line's rectangle (union of its pieces)
    pieces: list[Box] = field(default_factory=list)  # the engine lines it was made of
    cut: bool = False  # the text shows only the start of its engine line (trial truncation)


def is_watermark(line: str) -> bool:
    """The trial watermark, whole or cut anywhere: asterisks, then a prefix of 'Trial Licenses'."""
    match = _WATERMARK.match(line.strip())
    if match is None:
        return False
    words = " ".join(match.group("words").split())
    return _TRIAL_WORDS.startswith(words)


def characters_from_json(json_text: str) -> list[tuple[str, list[str]]]:
    """Per-character replacement candidates from `get_json(True)`; [] when absent or invalid."""
    try:
        data = json.loads(json_text)
    except (TypeError, ValueError):
        return []
    entries = data.get("CharactersWithReplacements") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    characters: list[tuple[str, list[str]]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        char = entry.get("Character")
        replacements = entry.get("Replacements") or []
        if isinstance(char, str) and len(char) == 1 and isinstance(replacements, list):
            characters.append((char, [r for r in replacements if isinstance(r, str)]))
    return characters


def _align(lines: list[str], characters: list[tuple[str, list[str]]]) -> list[list[list[str]]]:
    """Greedy alignment of engine characters to the lines' characters, skipping whitespace."""
    stream = [(c, alts) for c, alts in characters if not c.isspace()]
    position = 0
    aligned: list[list[list[str]]] = []
    for text in lines:
        per_char: list[list[str]] = []
        for char in text:
            if char.isspace():
                per_char.append([])
                continue
            found = None
            for look in range(position, min(position + 3, len(stream))):
                if stream[look][0] == char:
                    found = look
                    break
            if found is None:
                per_char.append([])
            else:
                per_char.append(list(stream[found][1]))
                position = found + 1
        aligned.append(per_char)
    return aligned


def parse_engine_output(
    recognition_text: str,
    engine_lines: list[EngineLine],
    characters: list[tuple[str, list[str]]],
) -> tuple[list[ParsedLine], bool]:
    """Lines of the recognized text with engine confidence (None if unknown) and alternatives.

    Returns (lines, watermark_seen).
    """
    texts: list[str] = []
    watermark = False
    for raw in recognition_text.splitlines():
        text = raw.strip()
        if not text:
            continue
        if is_watermark(text):
            watermark = True
            continue
        texts.append(text)
    confidences: list[float | None] = []
    remaining = [(line.text.strip(), line.confidence) for line in engine_lines]
    for text in texts:
        match = next((i for i, (t, _) in enumerate(remaining) if t == text), None)
        if match is None:
            confidences.append(None)
            continue
        confidence = remaining[match][1]
        remaining = remaining[match + 1 :]
        confidences.append(confidence if confidence > 0 else None)
    alternatives = _align(texts, characters)
    places = locate(texts, engine_lines)
    return [
        ParsedLine(text, confidence, alts, union(boxes), boxes, cut)
        for text, confidence, alts, (boxes, cut) in zip(
            texts, confidences, alternatives, places, strict=True
        )
    ], watermark


def locate(texts: list[str], engine_lines: list[EngineLine]) -> list[tuple[list[Box], bool]]:
    """Where each recognized line is: the boxes of the engine lines it was made of, and
    whether the text is only the start of its engine line (cut short).

    The engine's line list is not in reading order and, in trial mode, holds lines the text
    shows cut short ('...all ty' for '...all types') or joins ('INDEX.JS' and '0l1o' as one
    line): a line is located by an equal engine line, else one it is the start of, else the
    engine lines found inside it that make up nearly all of its characters. [] when not found.
    """
    located: list[tuple[list[Box], bool]] = []
    free = [line for line in engine_lines if line.box is not None and line.text.strip()]
    for text in texts:
        single = next((line for line in free if line.text.strip() == text), None)
        single = single or next((line for line in free if line.text.strip().startswith(text)), None)
        if single is not None:
            free.remove(single)
            cut = single.text.strip() != text
            located.append(([single.box] if single.box else [], cut))
            continue
        inside = sorted(
            (text.find(line.text.strip()), index)
            for index, line in enumerate(free)
            if line.text.strip() in text
        )
        chosen = [free[index] for _, index in inside]
        covered = sum(len("".join(line.text.split())) for line in chosen)
        if chosen and covered >= 0.9 * len("".join(text.split())):
            for line in chosen:
                free.remove(line)
            located.append(([line.box for line in chosen if line.box], False))
        else:
            located.append(([], False))
    return located


def union(boxes: list[Box]) -> Box | None:
    """The smallest (x, y, w, h) holding every box; None for none."""
    if not boxes:
        return None
    left = min(x for x, _, _, _ in boxes)
    top = min(y for _, y, _, _ in boxes)
    right = max(x + w for x, _, w, _ in boxes)
    bottom = max(y + h for _, y, _, h in boxes)
    return left, top, right - left, bottom - top
