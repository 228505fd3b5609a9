"""Collar-based counts over all thresholds and the best-F1 thresholds, against sed_scores_eval's
collar_based functions (called with their public arguments) on the same score files."""
import warnings

import numpy as np
import pytest

from sedkit.metrics.collar_scores import best_f1_thresholds, collar_statistics
from sedkit.metrics.psds import prepare_ground_truth
from sedkit.metrics.psds_scores import read_score_folder
from tests.metrics.conftest import table, write_score_folder

import sed_scores_eval  # noqa: F401,E402  (a reference library: installed by make test)
COLLARS = dict(onset_collar=0.2, offset_collar=0.2, offset_collar_rate=0.2)


def _theirs(folder, ref, durations):
    from sed_scores_eval.base_modules.io import read_sed_scores

    scores = {p.stem: read_sed_scores(p) for p in sorted(folder.glob("*.tsv"))}
    truth = {f[:-4]: [] for f in durations}
    for name, on, off, label in zip(ref.filename, ref.onset.tolist(), ref.offset.tolist(), ref.label):
        truth[name[:-4]].append((on, off, label))
    return scores, truth


def _ours(folder, ref, durations, jobs=1):
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    start, end, file, scores = read_score_folder(folder, gt)
    return gt, collar_statistics(start, end, file, scores, gt, **COLLARS, jobs=jobs)


@pytest.mark.parametrize("seed", range(4))
def test_counts_and_best_f1_match_sed_scores_eval(tmp_path, seed):
    from sed_scores_eval import collar_based

    ref, durations = write_score_folder(tmp_path, seed, decimals=3 if seed < 2 else 8)  # ties, then none
    gt, stats = _ours(tmp_path, ref, durations, jobs=1 + seed % 2)
    scores, truth = _theirs(tmp_path, ref, durations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves, _ = collar_based.accumulated_intermediate_statistics(scores, truth, **COLLARS)
        f, p, r, thresholds, _ = collar_based.best_fscore(scores, truth, **COLLARS)
    best = best_f1_thresholds(stats, gt.classes)
    for i, c in enumerate(gt.classes):
        their_u, their_stats = curves[c]
        index = np.searchsorted(stats[i].thresholds, their_u, side="left")  # ours at or just above theirs
        np.testing.assert_array_equal(stats[i].tps[index], their_stats["tps"])
        np.testing.assert_array_equal(stats[i].fps[index], their_stats["fps"])
        assert best.f1[c] == pytest.approx(f[c], abs=1e-12)
        assert best.precision[c] == pytest.approx(p[c], abs=1e-12) and best.recall[c] == pytest.approx(r[c], abs=1e-12)
    # Our threshold lies between the best point's score and the next lower change point, so sed_scores_eval's
    # own fscore at it gives the best F1 (its reported threshold can differ: module doc).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        at_ours, *_ = collar_based.fscore(scores, truth, threshold=best.threshold, **COLLARS)
    for c in gt.classes:
        assert at_ours[c] == pytest.approx(f[c], abs=1e-12)


def test_a_run_hitting_two_events_is_matched(tmp_path):
    """Two 0.15 s events 0.05 s apart: one detection run spanning both meets both collars, so only a
    matching (not "events with a hitting run") counts it once."""
    from sed_scores_eval import collar_based

    from sedkit.io import write_scores

    stamps = np.round(np.arange(101) * 0.05, 6)
    score = np.zeros((100, 1)) + 0.05
    score[20:27, 0] = [0.5, 0.9, 0.9, 0.6, 0.9, 0.9, 0.5]  # runs 1.0-1.35 at 0.5, split in two above 0.6
    write_scores(tmp_path / "x.tsv", stamps, ["a"], score)
    ref = table("ref", ["x.wav"], [("x.wav", 1.05, 1.15, "a"), ("x.wav", 1.2, 1.3, "a")])
    durations = {"x.wav": 5.0}
    gt, stats = _ours(tmp_path, ref, durations)
    scores, truth = _theirs(tmp_path, ref, durations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves, _ = collar_based.accumulated_intermediate_statistics(scores, truth, **COLLARS)
    their_u, their_stats = curves["a"]
    index = np.searchsorted(stats[0].thresholds, their_u, side="left")
    np.testing.assert_array_equal(stats[0].tps[index], their_stats["tps"])
    np.testing.assert_array_equal(stats[0].fps[index], their_stats["fps"])
    # At 0.5 the single run 1.0-1.35 s meets both events' collars but is one detection: TP 1.
    at = int(np.searchsorted(stats[0].thresholds, 0.5))
    assert stats[0].tps[at] == 1 and stats[0].fps[at] == 0


def test_postprocess_best_f1_cli(tmp_path, capsys):
    from sedkit.cli.main import main
    from sedkit.config import load_yaml

    ref, durations = write_score_folder(tmp_path / "scores", 3)
    lines = ["filename\tonset\toffset\tevent_label"] + [f"{f}\t{on}\t{off}\t{lab}" for f, on, off, lab in
                                                         zip(ref.filename, ref.onset, ref.offset, ref.label)]
    (tmp_path / "ref.tsv").write_text("\n".join(lines) + "\n")
    assert main(["postprocess", str(tmp_path / "scores"), str(tmp_path / "pred.tsv"), "--thresholds", "best-f1",
                 "--reference", str(tmp_path / "ref.tsv"), "--median-window-s", "0", "--write-thresholds",
                 str(tmp_path / "thr.yaml"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "best-f1 a: threshold" in out
    gt, stats = _ours(tmp_path / "scores", ref, durations)
    best = best_f1_thresholds(stats, gt.classes)
    saved = load_yaml(tmp_path / "thr.yaml")
    assert saved == pytest.approx(best.threshold, abs=1e-6)
    assert main(["postprocess", str(tmp_path / "scores"), str(tmp_path / "p2.tsv"), "--thresholds", "best-f1"]) == 2
    assert "needs --reference" in capsys.readouterr().err
    # on two threads: the same thresholds, the same detections
    assert main(["postprocess", str(tmp_path / "scores"), str(tmp_path / "p3.tsv"), "--thresholds", "best-f1",
                 "--reference", str(tmp_path / "ref.tsv"), "--median-window-s", "0", "--write-thresholds",
                 str(tmp_path / "thr3.yaml"), "--no-progress", "--nj", "2"]) == 0
    assert load_yaml(tmp_path / "thr3.yaml") == saved
    assert (tmp_path / "p3.tsv").read_text() == (tmp_path / "pred.tsv").read_text()
    capsys.readouterr()
    assert main(["postprocess", str(tmp_path / "scores"), str(tmp_path / "p4.tsv"), "--thresholds", "best-f1",
                 "--reference", str(tmp_path / "ref.tsv"), "--nj", "0"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["sedkit postprocess: error: --nj 0: must be at least 1"]
    assert not (tmp_path / "p4.tsv").exists()
