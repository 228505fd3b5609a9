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
