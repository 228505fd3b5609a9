"""sedkit's PSDS against psds_eval (operating points) and sed_scores_eval (frame scores), tolerance 1e-6."""
import warnings

import numpy as np
import pytest

from sedkit.io import EventTable, write_scores
from sedkit.metrics.psds import (PSDSWarning, encode_detections, merge_overlaps, prepare_ground_truth,
                                 psds_from_operating_points)
from sedkit.metrics.psds_scores import psds_from_scores
from tests.metrics.reference_scorers import psds_eval_value, sed_scores_eval_psds

CLASSES = ("a", "b", "c")


def table(path, files, rows):
    return EventTable(path, list(files), [r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                      np.array([r[2] for r in rows], dtype=float), [r[3] for r in rows],
                      list(range(2, len(rows) + 2)))


def reference_rows(rng, files, clip_s=10.0):
    rows = []
    for name in files:
        for label in CLASSES:
            t = 0.0
            for _ in range(rng.integers(0, 3)):
                onset = round(t + rng.uniform(0.1, 3), 3)
                offset = round(onset + rng.uniform(0.2, 3), 3)
                t = offset
                if offset < clip_s:
                    rows.append((name, onset, offset, label))
    return rows


def operating_points(seed, n_files=25, n_points=7):
    rng = np.random.default_rng(seed)
    files = [f"clip{i:02d}.wav" for i in range(n_files)]
    ref_rows = reference_rows(rng, files)
    points = []
    for threshold in np.linspace(0.1, 0.9, n_points):
        rows = []
        for name, onset, offset, label in ref_rows:
            if rng.random() < 1 - 0.8 * threshold:
                a = max(0.0, onset + rng.normal(0, 0.3))
                rows.append((name, a, max(a + 0.05, offset + rng.normal(0, 0.3)),
                             label if rng.random() < 0.8 else str(rng.choice(CLASSES))))
        for name in files:
            if rng.random() < 0.5 * (1 - threshold):
                a = rng.uniform(0, 9)
                rows.append((name, a, a + rng.uniform(0.1, 1), str(rng.choice(CLASSES))))
        rows.sort(key=lambda r: (r[0], r[3], r[1]))
        clean = []  # psds_eval refuses overlapping same-class detections
        for row in rows:
            if clean and clean[-1][0] == row[0] and clean[-1][3] == row[3] and row[1] < clean[-1][2]:
                continue
            clean.append(row)
        points.append(table(f"op{threshold:.1f}", files, clean))
    return table("ref", files, ref_rows), points, {name: 10.0 for name in files}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("options", [
    dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.0, alpha_st=0.0, max_efpr=100.0),
    dict(dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0),
    dict(dtc=0.1, gtc=0.1, cttc=0.1, alpha_ct=1.0, alpha_st=0.5, max_efpr=None),
    dict(dtc=0.0, gtc=0.0, cttc=0.0, alpha_ct=0.0, alpha_st=0.0, max_efpr=50.0),
])
def test_operating_points_match_psds_eval(seed, options):
    pytest.importorskip("psds_eval")
    ref, points, durations = operating_points(seed)
    gt = prepare_ground_truth(ref, durations)
    ours = psds_from_operating_points(gt, [encode_detections(p, gt, list(CLASSES)) for p in points], **options)
    theirs = psds_eval_value(ref, durations, points, **options)
    assert ours.psds == pytest.approx(theirs.value, abs=1e-6)
    np.testing.assert_allclose(ours.efpr, theirs.plt.xp, atol=1e-6)
    np.testing.assert_allclose(ours.etpr, theirs.plt.yp, atol=1e-6)


def test_overlapping_reference_events_are_merged_with_a_warning():
    files = ["x.wav"]
    ref = table("ref.tsv", files, [("x.wav", 1.0, 3.0, "a"), ("x.wav", 2.0, 4.0, "a"), ("x.wav", 5.0, 5.0, "b"),
                                   ("x.wav", 6.0, 7.0, "b")])
    with pytest.warns(PSDSWarning) as caught:
        gt = prepare_ground_truth(ref, {"x.wav": 10.0})
    messages = " ".join(str(w.message) for w in caught)
    assert "merged 2 overlapping same-class events into 1 (first in x.wav)" in messages
    assert "dropped 1 zero-length event(s) (first in x.wav)" in messages
    assert gt.events.onset.tolist() == [1.0, 6.0] and gt.events.offset.tolist() == [4.0, 7.0]


def test_merge_keeps_identical_duplicate_detections_and_merges_touching_on_request():
    from sedkit.metrics.common import EncodedEvents

    events = EncodedEvents(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64),
                           np.array([1.0, 1.0, 3.0, 4.0]), np.array([2.0, 2.0, 4.0, 5.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = merge_overlaps(events, ["x"], "d", keep_identical=True)
    assert kept.onset.tolist() == [1.0, 1.0, 3.0, 4.0]
    with pytest.warns(PSDSWarning):
        touching = merge_overlaps(events, ["x"], "d", keep_identical=True, touching=True)
    assert touching.onset.tolist() == [1.0, 1.0, 3.0] and touching.offset.tolist() == [2.0, 2.0, 5.0]


def write_score_folder(folder, seed, n_files=15, frames=100, hop=0.1):
    rng = np.random.default_rng(seed)
    files = [f"clip{i:02d}.wav" for i in range(n_files)]
    rows = reference_rows(rng, files, clip_s=frames * hop)
    timestamps = np.arange(frames + 1) * hop
    for name in files:
        scores = rng.uniform(0, 0.5, (frames, len(CLASSES)))
        for other, onset, offset, label in rows:
            if other == name:
                scores[int(onset / hop):int(offset / hop) + 1, CLASSES.index(label)] += rng.uniform(0.2, 0.6)
        write_scores(folder / (name[:-4] + ".tsv"), timestamps, list(CLASSES), np.round(scores, 3))  # ties
    return table("ref", files, rows), {name: frames * hop for name in files}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("options", [dict(), dict(alpha_ct=0.5, alpha_st=0.0),
                                     dict(dtc=0.1, gtc=0.1, alpha_st=0.0, max_efpr=200.0)])
def test_scores_match_sed_scores_eval(tmp_path, seed, options):
    pytest.importorskip("sed_scores_eval")
    ref, durations = write_score_folder(tmp_path, seed)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    ours = psds_from_scores(gt, tmp_path, **options)
    value, etpr, efpr = sed_scores_eval_psds(ref, durations, tmp_path, **options)
    assert ours.psds == pytest.approx(value, abs=1e-6)
    np.testing.assert_allclose(np.append(ours.efpr, options.get("max_efpr", 100.0)), efpr, atol=1e-9)
    np.testing.assert_allclose(np.append(ours.etpr, ours.etpr[-1]), etpr, atol=1e-9)


def test_score_folder_errors(tmp_path):
    from sedkit.errors import InputError

    ref, durations = write_score_folder(tmp_path, 0, n_files=3)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    (tmp_path / "stranger.tsv").write_text((tmp_path / "clip00.tsv").read_text())
    with pytest.raises(InputError, match="stranger.tsv: clip stranger is not in the reference"):
        psds_from_scores(gt, tmp_path)
    (tmp_path / "stranger.tsv").unlink()
    (tmp_path / "clip01.tsv").unlink()
    with pytest.raises(InputError, match="no score file for clip01.wav"):
        psds_from_scores(gt, tmp_path)
