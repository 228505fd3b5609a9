"""The continuous median filter (sedkit.metrics.medfilt) and piPSDS (sedkit.metrics.pipsds) against
sed_scores_eval: cy_medfilt and intersection_based.postprocessing_independent_psds, called with their public
arguments; hand cases worked out in docs/evaluation.md."""
import os
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from sedkit.errors import InputError
from sedkit.io import read_events, write_scores
from sedkit.metrics.medfilt import median_filter_frames, median_filter_scores
from sedkit.metrics.pipsds import pipsds_from_scores
from sedkit.metrics.psds import prepare_ground_truth
from sedkit.metrics.psds_scores import psds_from_scores
from tests.metrics.conftest import CLASSES, psds_criteria, write_score_folder


def test_median_filter_by_hand():
    """1 s frames, window L = 3 s: a one-frame spike is removed; a two-frame block [1, 3) stays where the
    window holds more than half of it, t in (1, 3) (at t = 1 and 3 exactly half: the lower value, 0); the
    clip's outside counts as -inf, so inside the clip the median is the clip's own values."""
    t = np.arange(6.0)
    stamps, scores = median_filter_scores(t, np.array([[0.0], [0.0], [1.0], [0.0], [0.0]]), 3.0)
    assert stamps.tolist() == [0.0, 5.0] and scores.tolist() == [[0.0]]
    stamps, scores = median_filter_scores(t, np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]),
                                          [3.0, 0.0])
    # class 0 filtered: 1 on (1, 3); class 1 unfiltered: its own frames (each frame boundary a segment start)
    assert stamps.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert scores.tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]


def _random_clip(rng, trial):
    n, k = int(rng.integers(1, 50)), int(rng.integers(1, 4))
    hop = float(rng.choice([0.064, 0.02, 0.1, rng.uniform(0.005, 0.3)]))
    if trial % 3:
        stamps = np.round(np.arange(n + 1) * hop, 6)
    else:  # irregular frames
        stamps = np.round(np.cumsum(np.concatenate(([rng.uniform(0, 1)], rng.uniform(0.001, 0.3, n)))), 6)
    scores = rng.integers(0, 3, (n, k)) / 2.0 if trial % 2 else rng.random((n, k))  # odd trials: ties everywhere
    if trial % 7 == 0:
        length = rng.choice([0.0, 0.1, 0.3, 1.0, 5.0], k)  # one length per class
    else:  # an even number of frames (ties in the middle of the window), an odd one, longer than the clip, ...
        length = float(rng.choice([hop, 2 * hop, 3 * hop, 0.1, 0.2, 0.5, 1.0, 20.0, rng.uniform(0.001, 2)]))
    return stamps, scores, length


def test_median_filter_equals_sed_scores_eval_bit_for_bit():
    from sed_scores_eval.base_modules.cy_medfilt import cy_medfilt

    rng = np.random.default_rng(3)
    compared = 0
    for trial in range(400):
        stamps, scores, length = _random_clip(rng, trial)
        try:
            ref_scores, ref_stamps = cy_medfilt(scores, stamps, filter_length_in_sec=length, time_decimals=6)
        except AssertionError:  # its internal consistency check (rare irregular inputs): nothing to compare
            continue
        got_stamps, got_scores = median_filter_scores(stamps, scores, length)
        np.testing.assert_array_equal(got_stamps, ref_stamps, err_msg=f"trial {trial}")
        np.testing.assert_array_equal(got_scores, ref_scores, err_msg=f"trial {trial}")
        compared += 1
    assert compared > 380


def test_all_clips_at_once_equal_clip_by_clip_on_any_number_of_threads():
    rng = np.random.default_rng(4)
    clips = [rng.random((int(rng.integers(1, 40)), 3)) for _ in range(9)]
    start = np.concatenate([np.arange(len(c)) * 0.1 for c in clips])
    end = np.concatenate([np.arange(1, len(c) + 1) * 0.1 for c in clips])
    file = np.repeat(np.arange(9) * 2, [len(c) for c in clips])  # file ids need not be 0 .. n - 1
    expected = [median_filter_scores(np.arange(len(c) + 1) * 0.1, c, 0.35) for c in clips]
    for jobs in (1, 2, 4):
        s, e, f, values = median_filter_frames(start, end, file, np.concatenate(clips), 0.35, jobs=jobs)
        for i, (stamps, scores) in enumerate(expected):
            mine = f == 2 * i
            np.testing.assert_array_equal(np.append(s[mine], e[mine][-1]), stamps)
            np.testing.assert_array_equal(values[mine], scores)


def test_median_filter_refuses_bad_lengths():
    with pytest.raises(InputError, match="finite and >= 0"):
        median_filter_scores(np.arange(3.0), np.zeros((2, 1)), -0.1)
    with pytest.raises(InputError, match="finite and >= 0"):
        median_filter_scores(np.arange(3.0), np.zeros((2, 1)), float("nan"))


def _sed_scores_eval_pipsds(reference, durations, folder, lengths, dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.0,
                            alpha_st=1.0, max_efpr=100.0, folds=None):
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.io import read_sed_scores
    from sed_scores_eval.base_modules.postprocessing import medfilt

    ground_truth = {os.path.splitext(f)[0]: [] for f in durations}
    for name, onset, offset, label in zip(reference.filename, reference.onset.tolist(), reference.offset.tolist(),
                                          reference.label):
        ground_truth[os.path.splitext(name)[0]].append((onset, offset, label))
    scores = {p.stem: read_sed_scores(p) for p in sorted(Path(folder).glob("*.tsv"))}
    arguments = dict(postprocessing_functions=[partial(medfilt, filter_length_in_sec=v) for v in lengths],
                     dtc_threshold=dtc, gtc_threshold=gtc, cttc_threshold=cttc if alpha_ct > 0 else None,
                     alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr)
    audio_durations = {os.path.splitext(f)[0]: d for f, d in durations.items()}
    if folds is not None:
        return intersection_based.bootstrapped_postprocessing_independent_psds(
            scores, ground_truth, audio_durations, n_folds=folds[0], n_iterations=folds[1], **arguments)[0]
    return intersection_based.postprocessing_independent_psds(scores, ground_truth, audio_durations, **arguments)


@pytest.mark.parametrize("seed, lengths, options", [
    (0, [0.0, 0.2, 0.5], dict()),  # scenario 1; ties (scores to 3 decimals)
    (1, [0.3, 0.7, 1.5], dict(dtc=0.1, gtc=0.1, alpha_ct=0.5)),  # scenario 2 with cross-triggers
    (2, [0.4], dict(alpha_st=0.0, max_efpr=200.0)),  # one length: that filter's PSDS
])
def test_pipsds_equals_sed_scores_eval(tmp_path, seed, lengths, options):
    ref, durations = write_score_folder(tmp_path, seed, decimals=3 if seed != 2 else 8)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    ours = pipsds_from_scores(gt, tmp_path, psds_criteria(**options), lengths, jobs=1 + seed % 2)
    value, per_class, (etpr, efpr), per_class_roc, _, _ = _sed_scores_eval_pipsds(ref, durations, tmp_path, lengths,
                                                                                 **options)
    assert ours.psds == pytest.approx(value, abs=1e-9) and ours.psds > 0.1
    np.testing.assert_allclose(np.append(ours.efpr, options.get("max_efpr", 100.0)), efpr, atol=1e-9)
    np.testing.assert_allclose(np.append(ours.etpr, ours.etpr[-1]), etpr, atol=1e-9)
    for c in gt.classes:  # each class's pi-ROC, with the filter each point comes from
        tpr, class_efpr, thresholds, origin = per_class_roc[c]
        mine = ours.extra["per_class_roc"][c]
        np.testing.assert_allclose(mine["tpr"], tpr, atol=1e-12)
        np.testing.assert_allclose(mine["efpr_per_hour"], class_efpr, atol=1e-9)
        assert mine["median_filter_length"] == [lengths[m] for m in origin]
    # each length alone is the PSDS of the filtered scores
    if len(lengths) == 1:
        alone = _sed_scores_eval_pipsds(ref, durations, tmp_path, lengths, **options)[0]
        assert ours.extra["psds_per_filter_length"][0]["psds"] == pytest.approx(alone, abs=1e-9)


def test_pipsds_with_zero_length_only_is_psds(tmp_path):
    ref, durations = write_score_folder(tmp_path, 5)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    plain = psds_from_scores(gt, tmp_path, psds_criteria()).psds
    assert pipsds_from_scores(gt, tmp_path, psds_criteria(), [0.0]).psds == pytest.approx(plain, abs=1e-12)


def test_pipsds_with_a_flat_class_and_a_class_without_reference_events(tmp_path):
    """One class's scores are constant (a single threshold) and one class has no reference event (left out
    with a warning, as `eval psds` does; sed_scores_eval is given the files without that column)."""
    ref, durations = write_score_folder(tmp_path / "all", 6, decimals=3)
    absent = CLASSES[-1]
    rows = [r for r in zip(ref.filename, ref.onset, ref.offset, ref.label) if r[3] != absent]
    (tmp_path / "ref.tsv").write_text("filename\tonset\toffset\tevent_label\n"
                                      + "".join(f"{f}\t{a}\t{b}\t{c}\n" for f, a, b, c in rows))
    ref = read_events(tmp_path / "ref.tsv")
    (tmp_path / "kept").mkdir()
    for path in sorted((tmp_path / "all").glob("*.tsv")):
        lines = [line.split("\t") for line in path.read_text().splitlines()]
        header, body = lines[0], np.array(lines[1:], dtype=float)
        body[:, 2] = 0.25  # the first class: flat
        write_scores(path, np.append(body[:, 0], body[-1, 1]), header[2:], body[:, 2:])
        keep = [i for i, name in enumerate(header) if name != absent]
        write_scores(tmp_path / "kept" / path.name, np.append(body[:, 0], body[-1, 1]),
                     [header[i] for i in keep[2:]], body[:, keep[2:]])
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = pipsds_from_scores(gt, tmp_path / "all", psds_criteria(), [0.0, 0.3])
    assert any(absent in str(w.message) for w in caught)
    value = _sed_scores_eval_pipsds(ref, durations, tmp_path / "kept", [0.0, 0.3])[0]
    assert ours.psds == pytest.approx(value, abs=1e-9)


def test_pipsds_bootstrap_folds_equal_sed_scores_evals(tmp_path):
    from sedkit.metrics.bootstrap import bootstrap_weights

    ref, durations = write_score_folder(tmp_path, 7, n_files=20)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    weights = bootstrap_weights(len(durations), 10, scheme="folds", n_folds=5)
    ours = pipsds_from_scores(gt, tmp_path, psds_criteria(), [0.0, 0.4], bootstrap_weights=weights,
                              progress=False).extra["bootstrap_values"]
    theirs = _sed_scores_eval_pipsds(ref, durations, tmp_path, [0.0, 0.4], folds=(5, 2))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    assert len(set(np.round(ours, 9))) > 1


def test_pipsds_refuses_bad_lengths(tmp_path):
    ref, durations = write_score_folder(tmp_path, 0)
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    for lengths, message in (([], "at least one"), ([0.2, 0.2], "twice"), ([-1.0], "finite and >= 0")):
        with pytest.raises(InputError, match=message):
            pipsds_from_scores(gt, tmp_path, psds_criteria(), lengths)
