"""sedkit's PSDS against psds_eval (operating points) and sed_scores_eval (frame scores), tolerance 1e-6."""
import warnings

import numpy as np
import pytest

from sedkit.io import write_scores
from sedkit.metrics.psds import (PSDSWarning, encode_detections, merge_overlaps, prepare_ground_truth,
                                 psds_from_operating_points)
from sedkit.metrics.psds_scores import psds_from_scores
from tests.metrics.conftest import CLASSES, psds_criteria, reference_rows, table, write_score_folder
from tests.metrics.conftest import psds_eval_value, sed_scores_eval_psds

def operating_points(seed, n_files=25, n_points=7, order="class"):
    """``order``: the detection rows by (file, class, onset), by (file, onset) or shuffled."""
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
        if order == "time":
            clean.sort(key=lambda r: (r[0], r[1], r[2]))
        elif order == "shuffled":
            clean = [clean[i] for i in rng.permutation(len(clean))]
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
    import psds_eval  # noqa: F401
    ref, points, durations = operating_points(seed)
    gt = prepare_ground_truth(ref, durations)
    encoded = (encode_detections(p, gt, list(CLASSES)) for p in points)
    detections = list(encoded) if seed % 2 else encoded  # a list or a generator
    ours = psds_from_operating_points(gt, detections, psds_criteria(**options))
    theirs = psds_eval_value(ref, durations, points, **options)
    assert ours.psds == pytest.approx(theirs.value, abs=1e-6)
    assert ours.n_operating_points == len(points) == len(ours.extra["operating_points"])
    np.testing.assert_allclose(ours.efpr, theirs.plt.xp, atol=1e-6)
    np.testing.assert_allclose(ours.etpr, theirs.plt.yp, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", ["time", "shuffled"])
def test_operating_points_match_psds_eval_in_any_row_order(seed, order):
    """Rows in time order within each file (sorted by class in one stable pass) or in no order at all."""
    options = dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
    ref, points, durations = operating_points(seed, order=order)
    gt = prepare_ground_truth(ref, durations)
    ours = psds_from_operating_points(gt, [encode_detections(p, gt, list(CLASSES)) for p in points],
                                      psds_criteria(**options))
    theirs = psds_eval_value(ref, durations, points, **options)
    assert ours.psds == pytest.approx(theirs.value, abs=1e-6)
    np.testing.assert_allclose(ours.efpr, theirs.plt.xp, atol=1e-6)


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


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("options", [dict(), dict(alpha_ct=0.5, alpha_st=0.0),
                                     dict(dtc=0.1, gtc=0.1, alpha_st=0.0, max_efpr=200.0)])
def test_scores_match_sed_scores_eval(tmp_path, seed, options):
    import sed_scores_eval  # noqa: F401
    ref, durations = write_score_folder(tmp_path, seed, decimals=3 if seed < 2 else 8)  # ties, then none
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    ours = psds_from_scores(gt, tmp_path, psds_criteria(**options), jobs=1 + seed % 2)  # on 2 threads for odd seeds
    value, etpr, efpr = sed_scores_eval_psds(ref, durations, tmp_path, **options)
    assert ours.psds == pytest.approx(value, abs=1e-6)
    np.testing.assert_allclose(np.append(ours.efpr, options.get("max_efpr", 100.0)), efpr, atol=1e-9)
    np.testing.assert_allclose(np.append(ours.etpr, ours.etpr[-1]), etpr, atol=1e-9)


def test_scores_on_threads_equal_one_thread(tmp_path):
    from sedkit.metrics.psds_scores import score_deltas

    ref, durations = write_score_folder(tmp_path, 5)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    one, three = (score_deltas(gt, tmp_path, psds_criteria(alpha_ct=0.5), jobs=jobs) for jobs in (1, 3))
    assert len(one) == len(three) == len(gt.classes) > 1
    for a, b in zip(one, three):  # class by class, in class order
        np.testing.assert_array_equal(a.thresholds, b.thresholds)
        assert len(a.rows) == len(b.rows) == 2 and a.cross is not None and b.cross is not None
        for row_a, row_b in zip(a.rows, b.rows):
            for name in ("up", "up_file", "down", "down_file"):
                np.testing.assert_array_equal(getattr(row_a, name), getattr(row_b, name))
        for name in ("up", "up_file", "up_class", "down", "down_file", "down_class"):
            np.testing.assert_array_equal(getattr(a.cross, name), getattr(b.cross, name))
    threads = psds_from_scores(gt, tmp_path, psds_criteria(alpha_ct=0.5), jobs=3)
    assert threads.psds == psds_from_scores(gt, tmp_path, psds_criteria(alpha_ct=0.5)).psds > 0


def test_score_folder_errors(tmp_path):
    from sedkit.errors import InputError

    ref, durations = write_score_folder(tmp_path, 0, n_files=3)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    (tmp_path / "stranger.tsv").write_text((tmp_path / "clip00.tsv").read_text())
    with pytest.raises(InputError, match="stranger.tsv: clip stranger is not in the reference"):
        psds_from_scores(gt, tmp_path, psds_criteria())
    (tmp_path / "stranger.tsv").unlink()
    (tmp_path / "clip01.tsv").unlink()
    with pytest.raises(InputError, match="no score file for clip01.wav"):
        psds_from_scores(gt, tmp_path, psds_criteria())


def _with_label(points, label):
    """Each operating point with one more detection of ``label`` per file (0.1 s to 2.5 s)."""
    out = []
    for point in points:
        rows = list(zip(point.filename, point.onset.tolist(), point.offset.tolist(), point.label))
        rows += [(f, 0.1, 2.5, label) for f in point.files]
        out.append(table(point.path, point.files, rows))
    return out


def test_detections_with_unknown_labels_are_ignored_as_psds_eval_does():
    ref, points, durations = operating_points(3)
    mixed = _with_label(points, "zebra")
    gt = prepare_ground_truth(ref, durations)
    with pytest.warns(PSDSWarning, match="labels not in the class list ignored, as psds_eval does \\(zebra\\)"):
        detections = [encode_detections(p, gt, list(CLASSES)) for p in mixed]
    options = dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
    ours = psds_from_operating_points(gt, detections, psds_criteria(**options)).psds
    theirs = psds_eval_value(ref, durations, mixed, **options).value
    assert ours == pytest.approx(theirs, abs=1e-6)
    # ... and the same as without those rows.
    clean = psds_from_operating_points(gt, [encode_detections(p, gt, list(CLASSES)) for p in points],
                                      psds_criteria(**options))
    assert ours == pytest.approx(clean.psds, abs=1e-12)


def test_repeated_durations_rows(tmp_path):
    from sedkit.errors import InputError, InputWarning
    from sedkit.io import read_durations

    ref, points, durations = operating_points(4)
    rows = "".join(f"{name}\t{value}\n" for name, value in durations.items())
    (tmp_path / "dup.tsv").write_text("filename\tduration\n" + rows + rows.splitlines(keepends=True)[0] + rows)
    with pytest.warns(InputWarning, match="dup.tsv: 26 repeated row\\(s\\) with the same duration read once"):
        read = read_durations(tmp_path / "dup.tsv")
    assert read == durations
    options = dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
    gt = prepare_ground_truth(ref, read)
    ours = psds_from_operating_points(gt, [encode_detections(p, gt, list(CLASSES)) for p in points],
                                      psds_criteria(**options))
    theirs = psds_eval_value(ref, {**durations, **{"clip00.wav": 10.0}}, points, **options)  # same values
    assert ours.psds == pytest.approx(theirs.value, abs=1e-6)
    (tmp_path / "conflict.tsv").write_text("filename\tduration\na.wav\t10\nb.wav\t5\na.wav\t9.5\n")
    with pytest.raises(InputError, match="conflict.tsv:4: a.wav appears twice with different durations"):
        read_durations(tmp_path / "conflict.tsv")


def test_reference_without_events_gives_zero(tmp_path):
    ref = table("ref", ["a.wav", "b.wav"], [])
    durations = {"a.wav": 10.0, "b.wav": 10.0}
    det = table("op", ["a.wav"], [("a.wav", 1.0, 2.0, "a")])
    with pytest.warns(PSDSWarning, match="no reference events at all: PSDS is 0"):
        gt = prepare_ground_truth(ref, durations)
    with pytest.warns(PSDSWarning, match="labels not in the class list"):
        detections = [encode_detections(det, gt, [])]
    assert psds_from_operating_points(gt, detections, psds_criteria()).psds == 0.0
    write_scores(tmp_path / "a.tsv", np.arange(11.0), ["a", "b"], np.full((10, 2), 0.5))
    write_scores(tmp_path / "b.tsv", np.arange(11.0), ["a", "b"], np.full((10, 2), 0.5))
    with pytest.warns(PSDSWarning):
        assert psds_from_scores(gt, tmp_path, psds_criteria()).psds == 0.0


def test_score_files_with_more_columns_than_classes(tmp_path):
    """--classes a b on score files holding a, b, c: PSDS on a and b, equal to sed_scores_eval's on the
    score files cut to those columns."""
    import sed_scores_eval  # noqa: F401
    from sedkit.io import read_scores

    ref, durations = write_score_folder(tmp_path / "full", 5)
    keep = [i for i, label in enumerate(ref.label) if label != "c"]
    ref_ab = table("ref", ref.files, [(ref.filename[i], ref.onset[i], ref.offset[i], ref.label[i]) for i in keep])
    for path in sorted((tmp_path / "full").glob("*.tsv")):
        stamps, classes, scores = read_scores(path)
        write_scores(tmp_path / "ab" / path.name, stamps, classes[:2], scores[:, :2])
    gt = prepare_ground_truth(ref_ab, durations, classes=["a", "b"], merge_touching=True)
    with pytest.warns(PSDSWarning, match="score columns c are not in --classes: ignored"):
        ours = psds_from_scores(gt, tmp_path / "full", psds_criteria(), all_classes=["a", "b"])
    value, _, _ = sed_scores_eval_psds(ref_ab, durations, tmp_path / "ab")
    assert ours.classes == ["a", "b"] and ours.psds == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("criteria", [(0.5, 0.5), (0.7, 0.7), (0.1, 0.3)])
def test_intersection_f1_matches_psds_eval(seed, criteria):
    """Per operating point, psds_eval's compute_macro_f_score (PSDSEval(dtc, gtc, cttc) on that table)."""
    import psds_eval
    import pandas as pd

    dtc, gtc = criteria
    ref, points, durations = operating_points(seed + 20)
    gt = prepare_ground_truth(ref, durations)
    ours = psds_from_operating_points(gt, [encode_detections(p, gt, list(CLASSES)) for p in points],
                                      psds_criteria(dtc=dtc, gtc=gtc, alpha_st=0.0), names=[p.path for p in points])
    def frame(t):
        return pd.DataFrame({"filename": t.filename, "onset": t.onset, "offset": t.offset, "event_label": t.label})
    metadata = pd.DataFrame({"filename": list(durations), "duration": list(durations.values())})
    for point, mine in zip(points, ours.extra["operating_points"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            evaluator = psds_eval.PSDSEval(dtc_threshold=dtc, gtc_threshold=gtc, cttc_threshold=0.3,
                                           ground_truth=frame(ref), metadata=metadata)
            macro, per_class = evaluator.compute_macro_f_score(frame(point))
        assert mine["name"] == point.path
        assert mine["intersection_f1"]["macro"] == pytest.approx(macro, abs=1e-6)
        for c in CLASSES:
            theirs = per_class[c]
            if np.isnan(theirs):  # psds_eval: a class without true positive (0 / 0)
                assert mine["intersection_f1"]["per_class"][c] is None
            else:
                assert mine["intersection_f1"]["per_class"][c] == pytest.approx(theirs, abs=1e-6)


def test_per_operating_point_rates_by_hand():
    """Two files of 1800 s (1 h in all); class a: 2 events, b: 1 event of 10 s. One point: an a detection
    on the first a event (TP), one a detection on the b event (FP and a cross-trigger on b), nothing for b."""
    ref = table("ref", ["x.wav", "y.wav"], [("x.wav", 10.0, 20.0, "a"), ("y.wav", 10.0, 20.0, "a"),
                                            ("y.wav", 100.0, 110.0, "b")])
    det = table("op", ["x.wav"], [("x.wav", 10.0, 20.0, "a"), ("y.wav", 100.0, 110.0, "a")])
    gt = prepare_ground_truth(ref, {"x.wav": 1800.0, "y.wav": 1800.0})
    result = psds_from_operating_points(gt, [encode_detections(det, gt, ["a", "b"])],
                                        psds_criteria(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=1.0, alpha_st=0.0),
                                        names=["op.tsv"])
    point = result.extra["operating_points"][0]
    assert point["tpr"] == {"a": 0.5, "b": 0.0}
    assert point["fpr_per_hour"] == {"a": 1.0, "b": 0.0}
    assert point["ctr_per_hour"]["a"]["b"] == pytest.approx(360.0)  # 1 per 10 s of b events
    assert point["efpr_per_hour"]["a"] == pytest.approx(1.0 + 360.0)
    # F1 of a: 2 * 1 / (2 * 1 + 1 FN + 1 FP) = 0.5; b has no TP: NaN, out of the mean (psds_eval's 0 / 0).
    assert point["intersection_f1"]["per_class"] == {"a": 0.5, "b": None}
    assert point["intersection_f1"]["macro"] == 0.5


def test_intersecting_pairs_equal_every_pair_tested_one_by_one():
    """The binary-search candidates, exact test after, against all same-file pairs tested one by one
    (touching is not intersecting; long reference events reach past shorter later ones)."""
    from sedkit.metrics.common import EncodedEvents
    from sedkit.metrics.common import intersecting_pairs

    rng = np.random.default_rng(3)
    n_files = 6
    ref_on = np.round(rng.uniform(0, 9, 40), 1)
    ref = EncodedEvents(rng.integers(0, n_files, 40), rng.integers(0, 3, 40), ref_on,
                        ref_on + np.round(rng.uniform(0.1, 4, 40), 1))
    order = np.lexsort((ref.onset, ref.file))
    ref = EncodedEvents(*(a[order] for a in (ref.file, ref.label, ref.onset, ref.offset)))
    det_on = np.concatenate((np.round(rng.uniform(0, 9, 60), 1), ref.offset[:5]))  # 5 that only touch
    det = EncodedEvents(np.concatenate((rng.integers(0, n_files, 60), ref.file[:5])), np.zeros(65, dtype=np.int64),
                        det_on, det_on + np.round(rng.uniform(0.1, 2, 65), 1))
    expected = {(d, g) for d in range(65) for g in range(40) if det.file[d] == ref.file[g]
                and det.onset[d] < ref.offset[g] and ref.onset[g] < det.offset[d]}
    pair_det, pair_ref = intersecting_pairs(det, ref)
    assert sorted(zip(pair_det.tolist(), pair_ref.tolist())) == sorted(expected) and len(expected) > 20


def test_intersecting_pairs_of_frame_runs_equal_every_pair_tested_one_by_one():
    """Runs of frames (0.1 s frames, 100 a file) whose candidates come per frame (frame_event_ranges):
    against all same-file pairs tested one by one, touching excluded, long events reaching past later ones."""
    from sedkit.metrics.common import EncodedEvents, frame_event_ranges, intersecting_pairs

    rng = np.random.default_rng(4)
    n_files, per_file = 5, 100
    file = np.repeat(np.arange(n_files), per_file)
    starts = np.tile(np.round(np.arange(per_file) * 0.1, 1), n_files)
    ends = np.round(starts + 0.1, 1)
    ref_on = np.round(rng.uniform(0, 9, 30), 1)
    ref = EncodedEvents(rng.integers(0, n_files, 30), np.zeros(30, dtype=np.int64), ref_on,
                        ref_on + np.round(rng.uniform(0.1, 4, 30), 1))
    order = np.lexsort((ref.onset, ref.file))
    ref = ref.take(order)
    first = rng.integers(0, per_file, 200) + per_file * rng.integers(0, n_files, 200)
    last = np.minimum(first + rng.integers(0, 30, 200), (first // per_file + 1) * per_file - 1)  # same file
    det = EncodedEvents(file[first], np.zeros(200, dtype=np.int64), starts[first], ends[last])
    expected = {(d, g) for d in range(200) for g in range(30) if det.file[d] == ref.file[g]
                and det.onset[d] < ref.offset[g] and ref.onset[g] < det.offset[d]}
    grid = (*frame_event_ranges(starts, ends, file, ref), first, last)
    pair_det, pair_ref = intersecting_pairs(det, ref, grid=grid)
    assert sorted(zip(pair_det.tolist(), pair_ref.tolist())) == sorted(expected) and len(expected) > 50
    touching = {(d, g) for d in range(200) for g in range(30) if det.file[d] == ref.file[g]
                and (det.offset[d] == ref.onset[g] or ref.offset[g] == det.onset[d])}
    assert touching and not touching & set(zip(pair_det.tolist(), pair_ref.tolist()))
