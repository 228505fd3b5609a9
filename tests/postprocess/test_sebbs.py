"""cSEBBs (sedkit.postprocess.sebbs), their tuning (sedkit.tuning) and `sedkit postprocess --sebbs` against the
authors' package sebbs 1.0.2 (installed by `make test` without its dependencies: it needs a fork of
sed_scores_eval whose module name collides with the sed_scores_eval the other tests use), called with its public
arguments: boxes and confidences, detection scores, the per-class selection of the tuning."""
import math
import os
from pathlib import Path

import numpy as np
import pytest

from sedkit.cli.main import main
from sedkit.errors import InputError
from sedkit.io import read_events, read_scores
from sedkit.postprocess.sebbs import SEBBParams, predict_sebbs, predict_sebbs_grid, sebbs_to_frames, tune_grid
from tests.metrics.conftest import write_score_folder

sebbs = pytest.importorskip("sebbs", reason="sebbs 1.0.2 is installed by `make test` (the reference for cSEBBs)")
CLASSES3 = ["a", "b", "c"]


def _frame(scores, stamps, classes):
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    return create_score_dataframe(scores, stamps, classes)


def test_sebbs_by_hand():
    """1 s frames 0 0 1 1 0 0, step filter L = 2 s: delta(c) = mean over [c, c + 1] - mean over [c - 1, c] is 0
    up to c = 1, rises to +1 at c = 2, falls to -1 at c = 4, and is 0 again from c = 5. A local maximum of delta
    opens a candidate and the next local minimum closes it: the flat start counts as a maximum (delta does not
    rise from its first value), closed at c = 1 where delta starts rising: [0, 1); the peak at 2 and the dip at
    4: [2, 4); the flat end after the dip's rise at 5: [5, 6), closed at the clip's end. No merge (the gaps dip to
    0 from 1: ratio 1001 > 2). Three candidates, so the confidences are sum(length x mean) / (length + 1e-6)
    (sebbs' merge step): 0, 2 / 2.000001, 0. A second class at 0.5 throughout: one candidate over the clip,
    confidence 0.5 exactly."""
    scores = np.array([[0, 0.5], [0, 0.5], [1, 0.5], [1, 0.5], [0, 0.5], [0, 0.5]])
    boxes = predict_sebbs([np.arange(7.0)], [scores], ["x", "y"], ["clip"], SEBBParams(2.0, 1.0, 2.0))
    expected = [("clip", 0.0, 1.0, "x", 0.0), ("clip", 2.0, 4.0, "x", 2 / (2 + 1e-6)), ("clip", 5.0, 6.0, "x", 0.0),
                ("clip", 0.0, 6.0, "y", 0.5)]
    assert boxes.rows("") == expected
    from sebbs.csebbs import CSEBBsPredictor

    theirs = CSEBBsPredictor(2.0, 1.0, 2.0, sound_classes=["x", "y"]).predict({"clip": _frame(scores, np.arange(7.0),
                                                                                                ["x", "y"])})
    assert theirs["clip"] == [row[1:] for row in expected]
    assert [r[:4] for r in boxes.rows(".wav", threshold=[0.5, 0.4])] == [("clip.wav", 2.0, 4.0, "x"),
                                                                          ("clip.wav", 0.0, 6.0, "y")]


def _random_clip(rng, trial):
    n = int(rng.integers(5, 150))
    hop = float(rng.choice([0.064, 0.02, 0.1]))
    stamps = np.round(np.arange(n + 1) * hop, 6)
    if trial % 2:  # blobs on a noise floor (merges happen)
        scores = np.zeros((n, 3))
        for k in range(3):
            for _ in range(rng.integers(0, 4)):
                a = int(rng.integers(0, n))
                scores[a:a + int(rng.integers(1, 40)), k] += rng.uniform(0.3, 0.9)
        scores = np.clip(scores + 0.1 * rng.random((n, 3)), 0, 1)
    else:
        scores = rng.random((n, 3))
    if trial % 5 == 0:
        scores = np.round(scores, 1)  # flat stretches: equal deltas
    return stamps, scores


def test_boxes_equal_sebbs():
    from sebbs.csebbs import CSEBBsPredictor

    rng = np.random.default_rng(0)
    for trial in range(150):
        stamps, scores = _random_clip(rng, trial)
        params = (float(rng.choice([0.2, 0.32, 0.48, 0.64, 1.0])), float(rng.choice([0.15, 0.3, 1.0, np.inf])),
                  float(rng.choice([1.5, 2.0, 3.0, np.inf])))
        theirs = CSEBBsPredictor(*params, sound_classes=CLASSES3).predict({"x": _frame(scores, stamps, CLASSES3)})["x"]
        ours = predict_sebbs([stamps], [scores], CLASSES3, ["x"], SEBBParams(*params), jobs=1 + trial % 2).rows("")
        assert len(ours) == len(theirs), trial
        for (onset, offset, label, confidence), row in zip(theirs, ours):
            assert row[1:4] == (onset, offset, label), trial
            assert row[4] == pytest.approx(confidence, abs=1e-12), trial


def test_grid_of_settings_equals_sebbs_setting_by_setting():
    """predict_sebbs_grid (one change detection per step filter length, shared by its merge settings) against
    sebbs' predictor of each setting, on sebbs' tuning grid shuffled so that lengths interleave, over 5 clips
    and 2 threads: every setting's boxes, in the settings' order."""
    from sebbs.csebbs import CSEBBsPredictor

    rng = np.random.default_rng(3)
    clips = [_random_clip(rng, trial) for trial in (1, 2, 3, 5, 7)]
    names = ["p", "q", "r", "s", "t"]
    grid = tune_grid()
    grid = [grid[i] for i in rng.permutation(len(grid))]
    grid.append(SEBBParams({"a": 0.32, "b": 0.64, "c": 0.48}, 0.2, math.inf))  # lengths per class
    boxes = predict_sebbs_grid([c[0] for c in clips], [c[1] for c in clips], CLASSES3, names, grid, jobs=2)
    assert len(boxes) == len(grid)
    for setting, ours in zip(grid, boxes):
        per_class = setting.per_class(CLASSES3)  # (L, abs, rel), one value per class
        theirs = []
        for name, (stamps, scores) in zip(names, clips):
            for k, c in enumerate(CLASSES3):
                predictor = CSEBBsPredictor(*(float(v[k]) for v in per_class), sound_classes=[c])
                found = predictor.predict({name: _frame(scores[:, [k]], stamps, [c])})[name]
                theirs += [(name, *row) for row in found]
        rows = ours.rows("")
        assert [r[:4] for r in rows] == [r[:4] for r in theirs], setting
        np.testing.assert_allclose([r[4] for r in rows], [r[4] for r in theirs], atol=1e-12)


def test_detection_scores_equal_sebbs(tmp_path):
    from sebbs.csebbs import CSEBBsPredictor
    from sebbs.utils import sed_scores_from_sebbs

    rng = np.random.default_rng(1)
    clips = [_random_clip(rng, 1) for _ in range(4)]
    names = ["p", "q", "r", "s"]
    durations = [float(stamps[-1]) + extra for (stamps, _), extra in zip(clips, (0.0, 0.5, 0.0, 1.0))]
    boxes = predict_sebbs([c[0] for c in clips], [c[1] for c in clips], CLASSES3, names, SEBBParams(0.32, 0.2, 3.0))
    start, end, file, scores = sebbs_to_frames(boxes, durations)
    theirs = CSEBBsPredictor(0.32, 0.2, 3.0, sound_classes=CLASSES3).predict(
        {n: _frame(c[1], c[0], CLASSES3) for n, c in zip(names, clips)})
    frames = sed_scores_from_sebbs(theirs, CLASSES3, audio_duration=dict(zip(names, durations)))
    for i, name in enumerate(names):
        mine = file == i
        np.testing.assert_array_equal(frames[name]["onset"].to_numpy(), start[mine])
        np.testing.assert_array_equal(frames[name]["offset"].to_numpy(), end[mine])
        np.testing.assert_allclose(frames[name][CLASSES3].to_numpy(), scores[mine], atol=1e-12)


def test_bad_parameters():
    with pytest.raises(InputError, match="step_filter_length -0.1: must be > 0"):
        SEBBParams(-0.1).per_class(["a"])
    with pytest.raises(InputError, match="no value for class b"):
        SEBBParams({"a": 0.3}).per_class(["a", "b"])
    with pytest.raises(InputError, match="must increase"):
        predict_sebbs([np.array([0.0, 1.0, 1.0])], [np.zeros((2, 1))], ["a"], ["x"], SEBBParams())


def test_postprocess_sebbs_command(tmp_path, capsys):
    """Tune on a development folder, apply to another, evaluate the boxes as detection scores: the kept boxes
    are sebbs' with confidence > threshold, and `eval psds` on the written scores is sed_scores_eval's PSDS of
    sebbs' detection scores."""
    from sebbs.csebbs import CSEBBsPredictor
    from sebbs.utils import sed_scores_from_sebbs
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.io import read_sed_scores

    dev_ref, dev_durations = write_score_folder(tmp_path / "dev", 4, n_files=15, decimals=4)
    (tmp_path / "dev_ref.tsv").write_text(Path(dev_ref.path).read_text() if Path(dev_ref.path).exists() else
                                          "filename\tonset\toffset\tevent_label\n" + "".join(
                                              f"{f}\t{a}\t{b}\t{c}\n" for f, a, b, c in zip(
                                                  dev_ref.filename, dev_ref.onset, dev_ref.offset, dev_ref.label)))
    ev_ref, ev_durations = write_score_folder(tmp_path / "eval", 5, n_files=12, decimals=4)
    (tmp_path / "ev_ref.tsv").write_text("filename\tonset\toffset\tevent_label\n" + "".join(
        f"{f}\t{a}\t{b}\t{c}\n" for f, a, b, c in zip(ev_ref.filename, ev_ref.onset, ev_ref.offset, ev_ref.label)))
    (tmp_path / "ev_dur.tsv").write_text("filename\tduration\n" + "".join(f"{f}\t{d}\n" for f, d in
                                                                        ev_durations.items()))
    params = tmp_path / "p.yaml"
    assert main(["postprocess", str(tmp_path / "dev"), str(tmp_path / "dev.tsv"), "--sebbs", "--sebbs-tune", "cbf",
                 "--reference", str(tmp_path / "dev_ref.tsv"), "--step-filter-lengths", "0.3", "0.6",
                 "--merge-thresholds-abs", "0.2", "--merge-thresholds-rel", "2", "--write-sebb-params", str(params),
                 "--no-progress"]) == 0
    assert "sebbs-tune" in capsys.readouterr().out
    out = tmp_path / "ev.tsv"
    assert main(["postprocess", str(tmp_path / "eval"), str(out), "--sebbs", "--sebb-params", str(params),
                 "--write-scores", str(tmp_path / "sebb_scores"), "--write-sebbs", str(tmp_path / "all.tsv")]) == 0
    from sedkit.postprocess.sebbs import read_sebb_params

    _, classes, _ = read_scores(next((tmp_path / "eval").glob("*.tsv")))
    tuned, thresholds = read_sebb_params(params, classes)
    table = tuned.to_dict(classes)
    scores = {p.stem: read_sed_scores(p) for p in sorted((tmp_path / "eval").glob("*.tsv"))}
    predictors = [CSEBBsPredictor(**table[c], sound_classes=classes) for c in classes]
    theirs = {}
    for k, c in enumerate(classes):  # per-class parameters: each class's boxes from its own predictor
        for clip, boxes in predictors[k].predict(scores).items():
            theirs.setdefault(clip, []).extend(b for b in boxes if b[2] == c)
    kept = sorted((f"{clip}.wav", a, b, c) for clip, boxes in theirs.items() for a, b, c, s in boxes
                  if s > thresholds[c])
    written = read_events(out)
    assert sorted(zip(written.filename, written.onset.tolist(), written.offset.tolist(), written.label)) == [
        (f, round(a, 6), round(b, 6), c) for f, a, b, c in kept]
    assert len(read_events(tmp_path / "all.tsv").filename) == sum(len(v) for v in theirs.values())
    capsys.readouterr()
    assert main(["eval", "psds", "--reference", str(tmp_path / "ev_ref.tsv"), "--durations",
                 str(tmp_path / "ev_dur.tsv"), "--scores", str(tmp_path / "sebb_scores"), "--json",
                 str(tmp_path / "psds.json")]) == 0
    import json

    value = json.loads((tmp_path / "psds.json").read_text())["psds"]
    ground_truth = {os.path.splitext(f)[0]: [] for f in ev_durations}
    for name, a, b, c in zip(ev_ref.filename, ev_ref.onset.tolist(), ev_ref.offset.tolist(), ev_ref.label):
        ground_truth[os.path.splitext(name)[0]].append((a, b, c))
    durations = {os.path.splitext(f)[0]: d for f, d in ev_durations.items()}
    reference = intersection_based.psds(sed_scores_from_sebbs(theirs, classes, audio_duration=durations),
                                        ground_truth, durations, dtc_threshold=0.7, gtc_threshold=0.7,
                                        alpha_st=1.0, max_efpr=100.0)[0]
    assert value == pytest.approx(reference, abs=1e-6) and value > 0.2


def test_postprocess_sebbs_errors(tmp_path, capsys):
    write_score_folder(tmp_path / "s", 0, n_files=3)
    cases = [(["--sebbs", "--step-filter-length", "-1"], "SEBB step_filter_length -1: must be > 0 and finite"),
             (["--sebbs", "--median-window-s", "0.3"], "--sebbs replaces the median filter"),
             (["--sebbs", "--sebbs-tune", "psds"], "--sebbs-tune needs --reference"),
             (["--write-sebbs", str(tmp_path / "x.tsv")], "--write-sebbs is for --sebbs"),
             (["--sebbs", "--write-scores", str(tmp_path / "s" / "clip00.tsv")], "exists and is not a folder"),
             (["--sebbs", "--sebbs-tune", "psds", "--reference", str(tmp_path / "nothing.tsv"), "--psds-scenario",
               "3"], "unknown PSDS scenario '3'")]
    for name, text, message in (("unknown.yaml", "zzz: {step_filter_length: 0.3}\n", "'zzz' is not a class of the"),
                                ("missing.yaml", "a: {step_filter_length: 0.3}\n", "no SEBB parameters for b, c"),
                                ("keys.yaml", "".join(f"{c}: {{step_filter_length: 0.3}}\n" for c in "abc"),
                                 "a: expected {step_filter_length, merge_threshold_abs, merge_threshold_rel")):
        (tmp_path / name).write_text(text)
        cases.append((["--sebbs", "--sebb-params", str(tmp_path / name)], message))
    for extra, message in cases:
        assert main(["postprocess", str(tmp_path / "s"), str(tmp_path / "out.tsv"), *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
        assert not (tmp_path / "out.tsv").exists() and not (tmp_path / "x.tsv").exists()
