"""Reading the PhotoTriage release: pair-list format, ambiguity band, series draw, and every bad input."""

import shutil

import pytest

from ranker.datasets import (
    DEFAULT_AMBIGUITY_BAND,
    DatasetError,
    image_name,
    load_pairs,
    parse_pairlist,
)
from ranker.datasets.phototriage import (
    empty_split_message,
    open_release,
    parse_line,
    select_series,
    validate_band,
)


def test_image_names_follow_the_release():
    assert image_name(12, 3) == "000012-03.JPG"
    assert image_name(123456, 10) == "123456-10.JPG"


def test_parse_line_reads_series_a_b_p_and_ignores_extra_columns():
    pair = parse_line("  7 2 4 0.875 5 8 extra  ", 3)
    assert (pair.series, pair.first, pair.second, pair.preference, pair.line) == (7, 2, 4, 0.875, 3)
    assert (pair.first_name, pair.second_name) == ("000007-02.JPG", "000007-04.JPG")
    assert pair.winner_loser() == ("000007-04.JPG", "000007-02.JPG")  # P = share preferring B
    assert parse_line("7 2 4 0.1", 1).winner_loser() == ("000007-02.JPG", "000007-04.JPG")
    assert parse_line("", 1) is None and parse_line("# comment", 2) is None
    assert parse_line("7\t2\t4\t1", 1).preference == 1.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("7 2 4", "at least 4 columns"),
        ("x 2 4 0.5", "SERIES 'x' is not a whole number"),
        ("7 2.5 4 0.5", "A '2.5'"),
        ("7 2 -4 0.5", "B -4 is negative"),
        ("7 2 4 high", "P 'high' is not a number"),
        ("7 2 4 1.5", "between 0 and 1"),
        ("7 2 4 nan", "between 0 and 1"),
        ("7 3 3 0.9", "the same photo"),
        ("7 2 100 0.9", "2 digits"),
    ],
)
def test_parse_line_rejects_malformed_lines(text, message):
    with pytest.raises(ValueError, match=message):
        parse_line(text, 1)


def test_malformed_lines_are_reported_with_file_and_line(tmp_path):
    path = tmp_path / "train_pairlist.txt"
    path.write_text("1 1 2 0.9\n\n1 1 3 oops\n" + "2 1 2\n" * 7, encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        parse_pairlist(path)
    message = str(info.value)
    assert f"{path}:3: P 'oops' is not a number" in message
    assert f"{path}:4: expected at least 4 columns" in message
    assert "8 malformed line(s)" in message and "and 3 more" in message


def test_binary_or_missing_pair_list(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(DatasetError, match="not a text pair list"):
        parse_pairlist(path)
    with pytest.raises(DatasetError, match="pair list not found"):
        parse_pairlist(tmp_path / "absent.txt")


def test_mini_release_is_read_in_full(pristine):
    _, splits = load_pairs(pristine.root)
    assert list(splits) == ["train", "val", "test"]
    for name, split in splits.items():
        expected = pristine.expected[name]
        c = split.counts
        assert (c.lines, c.series, c.series_selected) == (expected["lines"], expected["series"], expected["series"])
        assert c.ambiguous == expected["ambiguous"] > 0
        assert c.used == c.lines - c.ambiguous and c.missing_image == c.outside_selection == 0
    assert splits["train"].image_dir == splits["val"].image_dir == pristine.image_dir
    assert splits["test"].image_dir == pristine.test_dir
    train_series = {p.series for _, _, p in splits["train"].pairs}
    assert train_series.isdisjoint({p.series for _, _, p in splits["val"].pairs})


def test_ambiguity_band_is_configurable(pristine):
    _, default = load_pairs(pristine.root)
    _, narrow = load_pairs(pristine.root, band=(0.5, 0.5))  # only exact ties go
    _, wide = load_pairs(pristine.root, band=(0.0, 1.0))  # nothing is confident enough
    assert DEFAULT_AMBIGUITY_BAND == (0.3, 0.7)
    assert narrow["train"].counts.ambiguous == default["train"].counts.ambiguous  # the mini set's are ties
    assert wide["train"].counts.used == 0 and wide["train"].counts.ambiguous == wide["train"].counts.lines
    assert "ambiguous" in empty_split_message(wide["train"])
    with pytest.raises(DatasetError, match="0 <= LOW <= HIGH <= 1"):
        validate_band((0.7, 0.3))


def test_band_is_inclusive(tmp_path, mini):
    mini.pairlist("val").write_text("9 1 2 0.3\n9 1 3 0.7\n9 2 3 0.71\n10 1 2 0.29\n", encoding="utf-8")
    _, splits = load_pairs(mini.root)
    assert splits["val"].counts.ambiguous == 2 and splits["val"].counts.used == 2


def test_quick_experiment_draws_whole_series_with_a_seed(pristine):
    release = open_release(pristine.root)
    first = select_series(release, 0.5, seed=1)
    assert first == select_series(release, 0.5, seed=1)
    assert {name: len(s) for name, s in first.items()} == {"train": 4, "val": 1, "test": 1}
    draws = {frozenset(select_series(release, 0.5, seed=s)["train"]) for s in range(6)}
    assert len(draws) > 1  # the seed matters
    assert select_series(release, 0.01, seed=0)["train"]  # never an empty draw
    assert (
        select_series(release, None, seed=0)
        == select_series(release, 1.0, seed=0)
        == {"train": None, "val": None, "test": None}
    )

    _, splits = load_pairs(pristine.root, fraction=0.5, seed=1)
    train = splits["train"]
    assert {p.series for _, _, p in train.pairs} <= first["train"]
    c = train.counts
    assert c.series_selected == 4
    assert c.used + c.ambiguous + c.outside_selection + c.missing_image == c.lines
    # every line of a drawn series is kept (never single lines of a series)
    drawn_lines = [p for p in release.splits["train"].lines if p.series in first["train"]]
    assert c.used + c.ambiguous == len(drawn_lines)


def test_missing_images_are_skipped_counted_and_named(mini):
    (mini.image_dir / "000001-02.JPG").unlink()
    _, splits = load_pairs(mini.root)
    train = splits["train"]
    assert train.counts.missing_image == 2  # series 1 has 3 photos: pairs (1,2) and (2,3)
    assert train.counts.used == train.counts.lines - train.counts.ambiguous - 2
    assert any(
        example.endswith("000001-02.JPG") and "train_pairlist.txt:" in example for example in train.missing_examples
    )
    assert all("000001-02.JPG" not in (w, loser) for w, loser, _ in train.pairs)


def test_image_names_match_case_insensitively(mini):
    (mini.image_dir / "000001-01.JPG").rename(mini.image_dir / "000001-01.jpg")
    _, splits = load_pairs(mini.root)
    assert splits["train"].counts.missing_image == 0
    assert "000001-01.jpg" in splits["train"].images


def test_missing_folder_or_pair_list(tmp_path, mini):
    with pytest.raises(DatasetError, match="dataset folder not found"):
        load_pairs(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="not a folder"):
        load_pairs(tmp_path / "file")
    mini.pairlist("val").unlink()
    with pytest.raises(DatasetError, match=r"val split is incomplete: missing .*val_pairlist.txt"):
        load_pairs(mini.root)


def test_missing_image_folder(mini):
    shutil.rmtree(mini.image_dir)
    with pytest.raises(DatasetError, match="train split is incomplete: missing .*train_val_imgs"):
        load_pairs(mini.root)


def test_test_split_is_optional_but_not_half_present(mini):
    mini.pairlist("test").unlink()
    with pytest.raises(DatasetError, match="test split is incomplete"):
        load_pairs(mini.root)
    shutil.rmtree(mini.root / "test")
    _, splits = load_pairs(mini.root)
    assert list(splits) == ["train", "val"]


def test_empty_split_message_explains_itself(mini):
    mini.pairlist("val").write_text("# nothing yet\n", encoding="utf-8")
    _, splits = load_pairs(mini.root)
    assert splits["val"].counts.lines == 0
    assert "val split is empty" in empty_split_message(splits["val"])
    shutil.rmtree(mini.image_dir)
    mini.image_dir.mkdir()
    _, splits = load_pairs(mini.root)
    message = empty_split_message(splits["train"])
    assert "naming missing images" in message and "Are the images in" in message
