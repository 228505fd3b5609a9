import numpy as np
import pytest

from sedkit.errors import InputError
from sedkit.io import atomic_write, read_tsv, save_npy, write_tsv


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("new, half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_save_npy_roundtrip(tmp_path):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    save_npy(tmp_path / "x.npy", array)
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), array)


def test_tsv_roundtrip_and_errors(tmp_path):
    path = tmp_path / "t.tsv"
    write_tsv(path, ["filename", "path"], [("a.wav", "x/a.wav")])
    assert read_tsv(path, ["filename", "path"]) == [{"filename": "a.wav", "path": "x/a.wav"}]
    path.write_text("filename,path\na.wav,x\n")
    with pytest.raises(InputError, match=r"t\.tsv:1: missing columns filename, path.*tab-separated"):
        read_tsv(path, ["filename", "path"])
    path.write_text("filename\tpath\na.wav\n")
    with pytest.raises(InputError, match=r"t\.tsv:2: expected 2 tab-separated fields, got 1"):
        read_tsv(path, ["filename", "path"])
    path.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_tsv(path, ["filename"])
    with pytest.raises(InputError, match="no such file"):
        read_tsv(tmp_path / "none.tsv", ["filename"])


def test_fast_and_row_by_row_event_readers_agree(tmp_path):
    """The numpy fast path gives exactly the row-by-row reader's table (files in order of first appearance,
    clips without events, row numbers), and leaves anything irregular to the row-by-row checks."""
    from sedkit.io import _fast_events, _read_event_rows, read_events

    rng = np.random.default_rng(0)
    lines = ["filename\tonset\toffset\tevent_label"]
    for i in range(400):
        name = f"clip{rng.integers(60):03d}.wav"
        if rng.random() < 0.05:
            lines.append(f"empty{i:03d}.wav\t\t\t")
        on = round(float(rng.uniform(0, 9)), 3)
        lines.append(f"{name}\t{on}\t{on + round(float(rng.uniform(0, 1)), 3)}\t{rng.choice(['Dog', 'Cat'])}")
    lines.insert(1, "first_empty.wav\t\t\t")
    path = tmp_path / "t.tsv"
    path.write_text("\n".join(lines) + "\n")
    fast, slow = _fast_events(path, path.read_text()), _read_event_rows(path, True)
    assert fast is not None
    assert fast.files == slow.files and fast.filename == slow.filename and fast.label == slow.label
    assert fast.row_numbers == slow.row_numbers and np.array_equal(fast.onset, slow.onset)
    assert np.array_equal(fast.offset, slow.offset) and fast.files[0] == "first_empty.wav"
    only_empty = tmp_path / "e.tsv"
    only_empty.write_text("filename\tonset\toffset\tevent_label\na.wav\t\t\t\nb.wav\t\t\t\n")
    assert read_events(only_empty).files == ["a.wav", "b.wav"] and len(read_events(only_empty)) == 0
    for irregular in ("a.wav\t1\t2\tDog\n\nb.wav\t1\t2\tDog\n", "a.wav\t1\t2\tDog extra\n", "a.wav\t1\t\tDog\n",
                      "a.wav\t2\t1\tDog\n", "a.wav\t1\t2\t\t\n", "a.wav\tnan\t2\tDog\n",
                      "a.wav\t\t\t\n\nb.wav\t1\t2\tDog\n", "a.wav\t\t\t\n\nb.wav\t\t\t\n"):  # blank lines
        path.write_text("filename\tonset\toffset\tevent_label\n" + irregular)
        assert _fast_events(path, path.read_text()) is None, irregular


# --- score files: the all-at-once reader and the file-by-file one agree, values and errors ---

def _score_folder(tmp_path, frames=(3, 1, 4)):
    from sedkit.io import write_scores

    rng = np.random.default_rng(0)
    names = []
    for index, n in enumerate(frames):
        stamps = np.round(np.cumsum(rng.uniform(0.01, 0.1, n + 1)), 6)
        write_scores(tmp_path / f"c{index}.tsv", stamps, ["x", "y"], rng.uniform(0, 1, (n, 2)))
        names.append(f"c{index}.wav")
    return names


def test_score_files_read_at_once_equal_file_by_file(tmp_path):
    from sedkit.io import read_score_files, read_scores

    names = _score_folder(tmp_path)
    (tmp_path / "c2.tsv").write_text((tmp_path / "c2.tsv").read_text().replace("\n", "\r\n"))  # file by file
    for files in (read_score_files(tmp_path, names), read_score_files(tmp_path, names, ["y"])):
        for index, name in enumerate(files.names):
            stamps, columns, scores = read_scores(tmp_path / f"{name[:-4]}.tsv")
            np.testing.assert_array_equal(files.timestamps[index], stamps)
            np.testing.assert_array_equal(files.scores[index], scores[:, [columns.index(c) for c in files.classes]])
    assert read_score_files(tmp_path, names, ["y"]).scores[1].shape == (1, 1)
    (tmp_path / "c2.tsv").write_text((tmp_path / "c2.tsv").read_text().replace("\r\n", "\n"))  # all at once
    files = read_score_files(tmp_path, names)
    assert [len(t) for t in files.timestamps] == [4, 2, 5]
    first = (tmp_path / "c1.tsv").read_text().splitlines()[1].split("\t")  # by hand: the second file's first row
    assert files.timestamps[1][0] == float(first[0]) and files.scores[1][0, 1] == float(first[3])


def test_score_files_fast_reader_parses_numerals_as_python_does(tmp_path):
    """The all-at-once reader (Arrow's C++ parser) takes the numerals Python's float takes and gives the same
    doubles (correct rounding, by hand-written strings); what it refuses goes to the row-by-row reader."""
    from sedkit.io import _read_scores_together, read_score_files

    numerals = ["+0.5", "5e-1", ".25", "1.", "1E0", "0.1000000000000000055511151231257827", "2.5000000000000004",
                "7.0e-310", "0.30000000000000004", "-0.0"]
    rows = [f"{i * 0.5}\t{(i + 1) * 0.5}\t{a}\t{b}" for i, (a, b) in enumerate(zip(numerals, numerals[::-1]))]
    (tmp_path / "a.tsv").write_text("onset\toffset\tx\ty\n" + "\n".join(rows) + "\n")
    (tmp_path / "b.tsv").write_text("onset\toffset\tx\ty\n0\t1\t1\t0")  # no final newline
    together = _read_scores_together([tmp_path / "a.tsv", tmp_path / "b.tsv"])
    assert together is not None
    classes, onset, offset, values, rows = together
    assert classes == ["x", "y"] and rows.tolist() == [10, 1]
    assert values[:10, 0].tolist() == [float(v) for v in numerals]
    assert values[:10, 1].tolist() == [float(v) for v in numerals[::-1]]
    assert onset[10] == 0.0 and offset[10] == 1.0 and values[10].tolist() == [1.0, 0.0]
    (tmp_path / "c.tsv").write_text("onset\toffset\tx\ty\r\n0\t1\t1\t0\r\n")  # Windows line ends: row by row
    assert _read_scores_together([tmp_path / "c.tsv", tmp_path / "a.tsv"]) is None
    assert read_score_files(tmp_path, ["a.wav", "b.wav", "c.wav"]).classes == ["x", "y"]
    (tmp_path / "c.tsv").unlink()
    for odd in (" 0.5", "1e3 ", "NA", "", "0x1p-1", "1_0", "nan"):  # Python's float is the judge
        (tmp_path / "b.tsv").write_text(f"onset\toffset\tx\ty\n0\t1\t{odd}\t0\n")
        together = _read_scores_together([tmp_path / "a.tsv", tmp_path / "b.tsv"])
        try:
            expected = float(odd)
        except ValueError:
            assert together is None
            with pytest.raises(InputError, match=r"b\.tsv:2: non-numeric value"):
                read_score_files(tmp_path, ["a.wav", "b.wav"])
            continue
        if expected != expected:  # NaN: refused by both
            assert together is None
            with pytest.raises(InputError, match=r"b\.tsv: NaN scores"):
                read_score_files(tmp_path, ["a.wav", "b.wav"])
            continue
        assert together is None or together[3][10, 0] == expected
        assert read_score_files(tmp_path, ["a.wav", "b.wav"]).scores[1][0, 0] == expected


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:3] + ["9.0\t9.5\t0.1\t0.2"] + lines[4:], r"c1\.tsv:4: frame onset differs from the previous"),
    (lambda lines: lines[:2] + ["0.5\t0.6\t0.1"] + lines[3:], r"c1\.tsv:3: expected 4 fields, got 3"),
    (lambda lines: lines[:2] + ["0.5\t0.6\tx\t0.1"] + lines[3:], r"c1\.tsv:3: non-numeric value"),
    (lambda lines: lines[:2] + [lines[2].rsplit("\t", 1)[0] + "\tnan"] + lines[3:], r"c1\.tsv: NaN scores"),
    (lambda lines: lines[:1] + ["0.5\t0.5\t0.1\t0.2"], r"c1\.tsv:2: frame offset must be after its onset"),
    (lambda lines: ["onset\toffset\tx\tz"] + lines[1:], r"c1\.tsv:1: columns differ from the other score files"),
    (lambda lines: [], r"c1\.tsv: empty score file"),
])
def test_score_file_errors_name_the_file_and_row(tmp_path, edit, message):
    from sedkit.io import read_score_files

    names = _score_folder(tmp_path, frames=(3, 4, 2))
    path = tmp_path / "c1.tsv"
    lines = edit(path.read_text().splitlines())
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(InputError, match=message):
        read_score_files(tmp_path, names)
