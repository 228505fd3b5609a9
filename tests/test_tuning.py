"""sedkit.tuning: the per-class cSEBB selection against sebbs' own selection functions (sebbs 1.0.2, installed
by `make test` as the reference; see tests/postprocess/test_sebbs.py)."""
import os
from pathlib import Path

import pytest

from sedkit.io import read_score_files
from sedkit.metrics.criteria import scenario
from sedkit.metrics.psds import prepare_ground_truth
from sedkit.postprocess.sebbs import tune_grid
from sedkit.tuning import tune_sebbs
from tests.metrics.conftest import write_score_folder

pytest.importorskip("sebbs", reason="sebbs 1.0.2 is installed by `make test` (the reference for cSEBBs)")


def _reference_selection(folder, ref, durations, grid, classes, selection):
    """sebbs' select_best_psds / select_best_cbf on every setting of the grid (sebbs.csebbs.tune builds its
    predictors without the class list and then finds no box at all; its selection functions are called here on
    the predictions of predictors given the classes)."""
    from sebbs import csebbs
    from sed_scores_eval.base_modules.io import read_sed_scores

    scores = {p.stem: read_sed_scores(p) for p in sorted(Path(folder).glob("*.tsv"))}
    ground_truth = {os.path.splitext(f)[0]: [] for f in durations}
    for name, onset, offset, label in zip(ref.filename, ref.onset.tolist(), ref.offset.tolist(), ref.label):
        ground_truth[os.path.splitext(name)[0]].append((onset, offset, label))
    audio_durations = {os.path.splitext(f)[0]: d for f, d in durations.items()}
    candidates = []
    for setting in grid:
        predictor = csebbs.CSEBBsPredictor(setting.step_filter_length, setting.merge_threshold_abs,
                                           setting.merge_threshold_rel, sound_classes=classes)
        candidates.append((predictor, predictor.predict(scores)))
    if selection == "psds":
        return csebbs.select_best_psds(candidates, ground_truth, audio_durations, dtc_threshold=0.7,
                                       gtc_threshold=0.7)
    return csebbs.select_best_cbf(candidates, ground_truth, audio_durations, onset_collar=0.2, offset_collar=0.2,
                                  offset_collar_rate=0.2)


@pytest.mark.parametrize("selection", ["psds", "cbf"])
def test_tuning_equals_sebbs_selection(tmp_path, selection):
    ref, durations = write_score_folder(tmp_path, 3, n_files=20, decimals=4)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    files = read_score_files(tmp_path, gt.files)
    grid = tune_grid((0.2, 0.5), (0.15, 0.4), (1.5, 3.0))
    ours = tune_sebbs(files.timestamps, files.scores, files.classes, gt, grid, selection, criteria=scenario(1))
    predictor, best = _reference_selection(tmp_path, ref, durations, grid, files.classes, selection)
    # every setting's per-class value, not only the winners: each setting alone through the reference
    for setting, values in zip(grid[:3], ours.table[:3]):
        _, alone = _reference_selection(tmp_path, ref, durations, [setting], files.classes, selection)
        for c in files.classes:
            assert values[c] == pytest.approx(alone[c], abs=1e-9)
    chosen = ours.params.to_dict(files.classes)
    for c in files.classes:
        assert ours.values[c] == pytest.approx(best[c], abs=1e-9)
        assert chosen[c] == {"step_filter_length": predictor.step_filter_length[c],
                             "merge_threshold_abs": predictor.merge_threshold_abs[c],
                             "merge_threshold_rel": predictor.merge_threshold_rel[c]}
        if selection == "cbf":  # any value between the kept and the next lower confidence keeps the same boxes
            assert ours.thresholds[c] == pytest.approx(predictor.detection_threshold[c], abs=1e-6)
    assert len({tuple(v.values()) for v in ours.table}) > 1  # the grid's settings differ
