import numpy as np
import pytest
from scipy.ndimage import median_filter

from sedkit.errors import InputError
from sedkit.io import EventTable, read_events, write_scores
from sedkit.postprocess.decode import decode_clip, decisions_to_events
from sedkit.postprocess.median import adaptive_windows, median_filter_decisions, window_frames


@pytest.mark.parametrize("window_s, hop, frames", [
    (0.45, 0.078125, 5),   # 5.76 -> nearest odd 5
    (0.0, 0.1, 1), (0.1, 0.1, 1), (0.2, 0.1, 3),  # 2.0 is halfway between 1 and 3 -> up
    (0.6, 0.1, 7),         # 6.0 -> 7 (half up)
    (0.69, 0.1, 7), (0.71, 0.1, 7), (0.81, 0.1, 9),
])
def test_window_frames_rule(window_s, hop, frames):
    assert window_frames(window_s, hop) == frames


def test_median_filter_matches_scipy_per_class():
    rng = np.random.default_rng(0)
    decisions = rng.random((200, 4)) > 0.6
    sizes = [1, 3, 7, 15]
    ours = median_filter_decisions(decisions, sizes)
    for c, size in enumerate(sizes):
        expected = median_filter(decisions[:, c].astype(np.uint8), size=size, mode="reflect").astype(bool)
        np.testing.assert_array_equal(ours[:, c], expected)


def _runs(active):
    """Hand-written reference: scan each class for runs of True."""
    events = []
    for c in range(active.shape[1]):
        start = None
        for t in range(active.shape[0] + 1):
            on = t < active.shape[0] and active[t, c]
            if on and start is None:
                start = t
            elif not on and start is not None:
                events.append((start, t, c))
                start = None
    return events


def test_decode_clip_against_hand_computation():
    rng = np.random.default_rng(1)
    hop, classes = 0.064, ["a", "b", "c"]
    timestamps = np.arange(157) * hop
    scores = np.clip(np.cumsum(rng.normal(0, 0.1, (156, 3)), axis=0) + 0.5, 0, 1)
    thresholds, windows = np.array([0.5, 0.4, 0.6]), np.array([0.45, 0.0, 1.0])
    events = decode_clip(timestamps, scores, classes, thresholds, windows)
    active = np.stack([median_filter((scores[:, c] > thresholds[c]).astype(np.uint8),
                                     size=window_frames(windows[c], hop), mode="reflect") for c in range(3)], axis=1)
    expected = sorted((timestamps[a], timestamps[b], classes[c]) for a, b, c in _runs(active.astype(bool)))
    assert sorted(events) == expected
    assert decisions_to_events(np.zeros((5, 3), dtype=bool), timestamps[:6], classes) == []


def test_adaptive_windows_are_a_third_of_mean_duration():
    table = EventTable("train.tsv", ["x"], ["x", "x", "x"], np.array([0.0, 1.0, 2.0]), np.array([3.0, 2.0, 2.6]),
                       ["a", "a", "b"], [2, 3, 4])
    assert adaptive_windows(table, ["a", "b"]) == pytest.approx({"a": 2.0 / 3, "b": 0.2})
    with pytest.raises(InputError, match="no c events"):
        adaptive_windows(table, ["a", "c"])
    with pytest.warns(UserWarning, match="no c events"):
        assert adaptive_windows(table, ["c"], fallback_s=0.45) == {"c": 0.45}


def test_postprocess_cli_roundtrip(tmp_path, capsys):
    from sedkit.cli.main import main

    scores = tmp_path / "scores"
    stamps = np.arange(11) * 0.5
    values = np.zeros((10, 2))
    values[2:6, 0] = 0.9
    values[7:9, 1] = 0.8
    write_scores(scores / "clip1.tsv", stamps, ["Dog", "Cat"], values)
    write_scores(scores / "clip2.tsv", stamps, ["Dog", "Cat"], np.zeros((10, 2)))
    train = tmp_path / "train.tsv"
    train.write_text("filename\tonset\toffset\tevent_label\nt.wav\t0\t3\tDog\nt.wav\t1\t1.6\tCat\n")
    out = tmp_path / "pred.tsv"
    assert main(["postprocess", str(scores), str(out), "--adaptive-median", str(train),
                 "--write-median-windows", str(tmp_path / "w.yaml"), "--no-progress"]) == 0
    table = read_events(out)
    assert list(zip(table.filename, table.onset, table.offset, table.label)) == [
        ("clip1.wav", 1.0, 3.0, "Dog"), ("clip1.wav", 3.5, 4.5, "Cat")]
    assert "Dog: 1.000000" in (tmp_path / "w.yaml").read_text()
    assert main(["postprocess", str(scores), str(out), "--median-windows", str(tmp_path / "w.yaml"),
                 "--threshold", "0.85", "--no-progress"]) == 0
    assert read_events(out).label == ["Dog"]
    (tmp_path / "t.yaml").write_text("Dog: 0.5\n")
    assert main(["postprocess", str(scores), str(out), "--thresholds", str(tmp_path / "t.yaml")]) == 2
    assert "no threshold for Cat" in capsys.readouterr().err
    assert main(["postprocess", str(tmp_path / "none"), str(out)]) == 2
