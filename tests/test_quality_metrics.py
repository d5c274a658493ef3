"""Tests for quality_metrics (run: pytest -q in this folder)."""

from bench.quality_metrics import (
    GtLine,
    MarkCounts,
    aggregate,
    flag_stats,
    fragment_distance,
    mark_counts,
    parse_ground_truth,
    score_image,
)


def test_parse_optional_and_blank_lines():
    gt = parse_ground_truth("Hello  world\n\n~ maybe this\nlast\n")
    assert gt == [GtLine("Hello world"), GtLine("maybe this", True), GtLine("last")]


def test_fragment_distance_accepts_pieces_but_not_merges():
    assert fragment_distance("This is a lot", "This is a lot of text") == 0.0
    assert fragment_distance("is a lot of", "This is a lot of text") == 0.0
    assert fragment_distance("This is a lot of text more", "This is a lot of text") > 0.1


def test_reading_order_does_not_count():
    gt = parse_ground_truth("alpha beta\ngamma delta")
    s = score_image(["gamma delta", "alpha beta"], gt)
    assert s.char_edits == 0
    assert s.cer == 0.0
    assert s.wer == 0.0
    assert s.required_lines_ok == 2


def test_optional_lines_count_only_when_matched():
    gt = parse_ground_truth("required line\n~ optional words")
    s1 = score_image(["required line"], gt)
    assert s1.cer == 0.0
    assert s1.required_lines == 1
    s2 = score_image(["required line", "optional wordz"], gt)
    assert s2.char_edits == 1
    assert s2.char_total == len("required line\noptional words")


def test_missing_lines_and_wrong_flags():
    gt = parse_ground_truth("one two three\nfour five six")
    s = score_image(["one twa three"], gt)
    # second line missing entirely -> its characters plus the newline are deletions
    assert s.char_edits == 1 + len("\nfour five six")
    assert [m.wrong for m in s.matches] == [False]  # 1 edit in 13 chars < 10%
    s = score_image(["onx twx thrxx"], gt)
    assert [m.wrong for m in s.matches] == [True]
    assert s.required_lines_ok == 0


def test_split_line_fragments_are_joined_in_x_order():
    gt = parse_ground_truth("left part right part")
    s = score_image(["right part", "left part"], gt, order_keys=[300.0, 10.0])
    assert s.cer == 0.0


def test_aggregate_pooled_vs_mean():
    gt_a = parse_ground_truth("abcdefghij")  # 10 chars
    gt_b = parse_ground_truth("ab")  # 2 chars
    a = score_image(["abcdefghij"], gt_a)
    b = score_image(["xx"], gt_b)
    agg = aggregate([a, b])
    assert abs(agg.pooled_cer - 2 / 12) < 1e-9
    assert abs(agg.mean_cer - 0.5) < 1e-9


def test_flag_stats():
    st = flag_stats([(True, 0.2), (True, 0.9), (False, 0.95), (False, 0.5)], threshold=0.75)
    assert st.recall == 0.5
    assert st.false_flag_rate == 0.5


def test_short_shards_are_not_fragments_but_cells_are():
    assert fragment_distance("wo", "Dress, clean, and truss a four-pound fowl. Try out two") > 0.3
    assert fragment_distance("136", "DAL MAKHNI 1 136 136") == 0.0  # a receipt column cell
    assert fragment_distance("Ben", "1 Ben") == 0.0
    assert fragment_distance("This is a lot of 12 point te", "This is a lot of 12 point text") < 0.1


def test_merged_row_is_not_wrong():
    gt = parse_ground_truth("Bergen\nEssex: *\nDavid\nKevin")
    s = score_image(["Bergen Essex: *", "Davd Kevin", "Bxrgxn Exxex"], gt)
    assert [m.wrong for m in s.matches] == [False, False, True]


def test_a_label_written_several_times_takes_one_reading_per_copy():
    """A diagram's "Package" three times: three readings of it are three right lines, not
    one line read three times and two lines missed."""
    gt = parse_ground_truth("Package\nReady\nPackage\nScan\nPackage")
    s = score_image(["Package", "Package", "Ready", "Scan", "Package"], gt)
    assert s.cer == 0.0
    assert s.required_lines_ok == 5
    s = score_image(["Package", "Ready"], gt)  # two copies missing
    assert s.required_lines_ok == 2
    assert s.char_edits == len("\nPackage\nScan\nPackage")


def test_diacritics_are_scored_where_the_base_letters_were_read():
    """ "Ch Sùi Phú Th" for "Chợ Sủi Phú Thị": of 4 marked letters, "ú" is right, "ủ" was read
    with the wrong mark, "ợ" and "ị" were dropped (no base letter read)."""
    counts = mark_counts("Ch Sùi Phú Th", "Chợ Sủi Phú Thị")
    assert counts == MarkCounts(marked=4, right=1, base_read=2, base_read_right=1, base_edits=2)
    assert mark_counts("HÓA DON", "HÓA ĐƠN").base_edits == 0  # only marks lost
    gt = parse_ground_truth("Chợ Sủi Phú Thị\nHÓA ĐƠN")
    total = aggregate(
        [score_image(["Ch Sùi Phú Th", "HÓA DON"], gt), score_image(["Chợ Sủi Phú Thị"], gt)]
    )
    assert total.marked_letters == 14
    assert total.marked_right == (1 + 1 + 4) / 14  # Ó, ú; then all four of the second image
    assert total.marks_right_where_read == (1 + 1 + 4) / (2 + 3 + 4)
    assert total.base_cer > 0


def test_an_image_counts_in_its_languages_row_when_a_set_mixes_languages():
    from bench.quality import groups_of

    image = {"kind": "receipt", "language": "VIE"}
    assert groups_of(image, {"VIE"}) == ["receipt", "all"]
    assert groups_of(image, {"VIE", "ENG"}) == ["receipt", "all", "lang VIE"]


def test_the_manifest_language_defaults_to_english(tmp_path):
    from bench.quality import _images

    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"")
        (tmp_path / name).with_suffix(".gt.txt").write_text("x\n")
    (tmp_path / "manifest.csv").write_text("file,kind,language\na.png,sign,vie\nb.png,scan,\n")
    assert [(row["kind"], row["language"]) for row in _images(tmp_path)] == [
        ("sign", "VIE"),
        ("scan", "ENG"),
    ]
