"""Engine output → lines, on output we construct from what the engine was seen to return."""

from __future__ import annotations

import json

import pytest

from bot.ocr.engines.parse import (
    EngineLine,
    characters_from_json,
    is_watermark,
    locate,
    parse_engine_output,
    union,
)


@pytest.mark.parametrize(
    "line",
    [
        "************* Trial Licenses *************",
        " ************* Trial Licenses ************* ",
        " ************* Trial",
        "***** Trial Lic",
        "*****",
    ],
)
def test_watermark_whole_or_cut_is_recognized(line: str) -> None:
    assert is_watermark(line)


@pytest.mark.parametrize(
    "line",
    [
        "Trial run on Monday",
        "Trial Licenses are expensive",
        "*** urgent",
        "***** Trial Licenses are",
    ],
)
def test_look_alikes_are_kept(line: str) -> None:
    assert not is_watermark(line)


def test_trial_output_keeps_every_text_line_and_drops_the_watermark() -> None:
    text = "Alpha\nBravo\nCha\n ************* Trial\n ************* Trial Licenses ************* \n"
    lines, watermark = parse_engine_output(text, [EngineLine("Alpha", 0.0)], [])
    assert [line.text for line in lines] == ["Alpha", "Bravo", "Cha"]
    assert watermark is True
    assert all(line.engine_confidence is None for line in lines)  # 0.0 means "not computed"


def test_engine_confidence_is_attached_to_the_matching_line() -> None:
    engine = [EngineLine("Buy milk", 0.93), EngineLine("Call Alice", 0.41)]
    lines, watermark = parse_engine_output(" Buy milk\n\nCall Alice\n", engine, [])
    assert [(line.text, line.engine_confidence) for line in lines] == [
        ("Buy milk", 0.93),
        ("Call Alice", 0.41),
    ]
    assert watermark is False


def test_engine_line_list_shorter_than_text() -> None:
    lines, _ = parse_engine_output("one\ntwo\n", [], [])
    assert [(line.text, line.engine_confidence) for line in lines] == [("one", None), ("two", None)]


def test_alternatives_align_with_and_without_space_entries() -> None:
    def chars(text: str) -> list[tuple[str, list[str]]]:
        return [(c, [c.upper(), "#"]) for c in text]

    for stream in (chars("Ab Cd"), chars("AbCd")):
        (line,), _ = parse_engine_output("Ab Cd", [], stream)
        assert line.alternatives == [["A", "#"], ["B", "#"], [], ["C", "#"], ["D", "#"]]


def test_characters_from_json_is_tolerant() -> None:
    good = json.dumps({"CharactersWithReplacements": [{"Character": "m", "Replacements": ["n"]}]})
    assert characters_from_json(good) == [("m", ["n"])]
    assert characters_from_json("not json") == []
    assert characters_from_json(json.dumps([1, 2])) == []
    assert characters_from_json(json.dumps({"CharactersWithReplacements": [{"x": 1}, 3]})) == []


def test_lines_are_located_by_the_engine_lines_they_came_from() -> None:
    """As trial Aspose returns them: its line list out of reading order, with the text's lines
    cut short ('...all ty') or made of two engine lines side by side."""
    engine = [
        EngineLine("0l1o", 0.0, (267, 130, 116, 73)),
        EngineLine("INDEX.JS", 0.0, (84, 152, 146, 22)),
        EngineLine("ocr code and see if it works on all types", 0.0, (35, 126, 580, 26)),
        EngineLine("MANGAL SWEETS", 0.0, (378, 128, 140, 24)),
    ]
    texts = ["MANGAL SWEETS", "ocr code and see if it works on all ty", "INDEX.JS 0l1o", "ghost"]
    assert locate(texts, engine) == [
        ([(378, 128, 140, 24)], False),
        ([(35, 126, 580, 26)], True),  # cut short
        ([(84, 152, 146, 22), (267, 130, 116, 73)], False),  # in the text's order
        ([], False),
    ]
    lines, _ = parse_engine_output("\n".join(texts), engine, [])
    assert lines[2].box == union([(84, 152, 146, 22), (267, 130, 116, 73)]) == (84, 130, 299, 73)
    assert lines[3].box is None


def test_a_word_found_inside_a_line_does_not_locate_it() -> None:
    engine = [EngineLine("milk", 0.0, (10, 10, 40, 20))]
    assert locate(["Buy milk today"], engine) == [([], False)]  # 4 of 12 characters: not the line
