"""Paired bootstrap (sedkit.metrics.bootstrap) and PSDS on resamples (sedkit.metrics.psds_scores)."""
import numpy as np
import pytest

from sedkit.io import EventTable, write_scores
from sedkit.metrics.bootstrap import (ClipCounts, bootstrap_macro_f1, macro_f1_from_counts, paired_difference,
                                      resample_weights)
from sedkit.metrics.event_based import event_based_metrics
from sedkit.metrics.psds import prepare_ground_truth
from sedkit.metrics.psds_scores import psds_bootstrap, psds_from_scores
from tests.metrics.conftest import psds_criteria

CLASSES = ["a", "b", "c"]


def table(rows, files):
    return EventTable("t", list(files), [r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                      np.array([r[2] for r in rows], dtype=float), [r[3] for r in rows], list(range(len(rows))))


def random_tables(rng, n_files=40, miss=0.3, jitter=0.1):
    files = [f"clip{i:03d}.wav" for i in range(n_files)]
    reference, estimated = [], []
    for name in files:
        for k in range(rng.integers(0, 4)):
            onset = 2.5 * k + rng.uniform(0, 1)
            event = (name, onset, onset + rng.uniform(0.3, 1.5), CLASSES[rng.integers(3)])
            reference.append(event)
            if rng.random() > miss:  # found, with jittered boundaries
                estimated.append((name, event[1] + rng.normal(0, jitter), event[2] + rng.normal(0, jitter), event[3]))
        if rng.random() < 0.3:  # a false alarm
            estimated.append((name, 8.0, 9.0, CLASSES[rng.integers(3)]))
    return files, table(reference, files), table(estimated, sorted({r[0] for r in estimated}))


def test_macro_f1_from_counts_by_hand():
    # class a: 1 hit of 2 estimates, 1 reference -> P 1/2, R 1, F1 2/3; class b: no estimate, 1 reference -> F1 0
    # (sed_eval's zero_score); class c: no reference -> F1 undefined, left out of the macro mean.
    value = macro_f1_from_counts(np.array([1.0, 0.0, 0.0]), np.array([2.0, 0.0, 1.0]), np.array([1.0, 1.0, 0.0]))
    assert value == pytest.approx((2 / 3 + 0) / 2)


def test_every_clip_once_gives_the_scorers_macro_f1():
    files, reference, estimated = random_tables(np.random.default_rng(1))
    result = event_based_metrics(reference, estimated, classes=CLASSES, durations={f: 10.0 for f in files})
    once = np.ones((1, len(files)))
    assert bootstrap_macro_f1(result.clip_counts, once)[0] == pytest.approx(result.macro["f1"], abs=1e-12)
    # Counting every clip twice changes no ratio.
    assert bootstrap_macro_f1(result.clip_counts, 2 * once)[0] == pytest.approx(result.macro["f1"], abs=1e-12)


def test_a_resample_scores_like_the_duplicated_clips():
    files, reference, estimated = random_tables(np.random.default_rng(2), n_files=12)
    result = event_based_metrics(reference, estimated, classes=CLASSES, durations={f: 10.0 for f in files})
    weights = resample_weights(len(files), 1, seed=5)
    drawn = [(name, copy) for name, count in zip(sorted(files), weights[0]) for copy in range(int(count))]

    def duplicate(events):
        rows = [(f"{n}#{c}", on, off, lab) for n, c in drawn
                for f, on, off, lab in zip(events.filename, events.onset, events.offset, events.label) if f == n]
        return table(rows, [f"{n}#{c}" for n, c in drawn])

    direct = event_based_metrics(duplicate(reference), duplicate(estimated), classes=CLASSES,
                                 durations={f"{n}#{c}": 10.0 for n, c in drawn})
    assert bootstrap_macro_f1(result.clip_counts, weights)[0] == pytest.approx(direct.macro["f1"], abs=1e-12)


def test_a_system_against_itself_has_a_zero_interval():
    files, reference, estimated = random_tables(np.random.default_rng(3))
    counts = event_based_metrics(reference, estimated, classes=CLASSES).clip_counts
    replicates = bootstrap_macro_f1(counts, resample_weights(len(files), 1000, seed=0))
    interval = paired_difference([replicates], [replicates])
    assert interval["low"] == 0.0 and interval["high"] == 0.0 and interval["n_resamples"] == 1000


def test_a_large_gap_excludes_zero_and_a_tie_does_not():
    rng = np.random.default_rng(4)
    files, reference, good = random_tables(rng, n_files=200, miss=0.05)
    weights = resample_weights(len(files), 1000, seed=0)
    worse = table([r for i, r in enumerate(zip(good.filename, good.onset, good.offset, good.label)) if i % 2],
                  good.files)  # half the detections dropped
    good_f1 = bootstrap_macro_f1(event_based_metrics(reference, good, classes=CLASSES).clip_counts, weights)
    worse_f1 = bootstrap_macro_f1(event_based_metrics(reference, worse, classes=CLASSES).clip_counts, weights)
    gap = paired_difference([good_f1], [worse_f1])
    assert gap["low"] > 0.15  # measured difference about 0.3
    # Two seeds of one system whose per-seed differences cancel: the pooled interval straddles 0.
    tie = paired_difference([good_f1, worse_f1], [worse_f1, good_f1])
    assert tie["low"] <= 0 <= tie["high"]


def test_clip_counts_survive_json():
    files, reference, estimated = random_tables(np.random.default_rng(5))
    counts = event_based_metrics(reference, estimated, classes=CLASSES).clip_counts
    again = ClipCounts.from_json(counts.to_json())
    assert again.files == counts.files and np.array_equal(again.tp, counts.tp)


def _scores(folder, files, rng, reference):
    stamps = np.arange(0, 10.01, 0.5)
    for name in files:
        probs = rng.uniform(0, 0.3, (stamps.shape[0] - 1, len(CLASSES)))
        for f, on, off, label in zip(reference.filename, reference.onset, reference.offset, reference.label):
            if f == name:
                probs[int(on / 0.5):int(np.ceil(off / 0.5)), CLASSES.index(label)] += rng.uniform(0.1, 0.7)
        write_scores(folder / f"{name[:-4]}.tsv", stamps, CLASSES, probs)


def test_psds_on_a_resample_equals_psds_of_the_duplicated_clips(tmp_path):
    rng = np.random.default_rng(6)
    files, reference, _ = random_tables(rng, n_files=10)
    _scores(tmp_path / "scores", files, rng, reference)
    durations = {f: 10.0 for f in files}
    gt = prepare_ground_truth(reference, durations, CLASSES, merge_touching=True)
    options = dict(max_efpr=1000.0, alpha_ct=0.5, alpha_st=0.0)  # 100 s of audio: a false alarm is 36 per hour
    whole = psds_from_scores(gt, tmp_path / "scores", psds_criteria(**options)).psds
    assert whole > 0.02
    once = psds_bootstrap(gt, tmp_path / "scores", np.ones((1, 10)), psds_criteria(**options))[0]
    assert once == pytest.approx(whole, abs=1e-12)
    weights = resample_weights(10, 3, seed=1)
    values = psds_bootstrap(gt, tmp_path / "scores", weights, psds_criteria(**options), progress=False)
    assert len(set(np.round(values, 9))) == 3  # three different resamples
    for b in range(3):  # the same resample as real files: copies of the drawn clips
        drawn = [(name, c) for name, count in zip(sorted(files), weights[b]) for c in range(int(count))]
        folder = tmp_path / f"resample{b}"
        folder.mkdir()
        rows = []
        for name, c in drawn:
            (folder / f"{name[:-4]}_{c}.tsv").write_bytes((tmp_path / "scores" / f"{name[:-4]}.tsv").read_bytes())
            rows += [(f"{name[:-4]}_{c}.wav", on, off, lab) for f, on, off, lab in
                     zip(reference.filename, reference.onset, reference.offset, reference.label) if f == name]
        copies = [f"{name[:-4]}_{c}.wav" for name, c in drawn]
        gt_b = prepare_ground_truth(table(rows, copies), {f: 10.0 for f in copies}, CLASSES, merge_touching=True)
        assert values[b] == pytest.approx(psds_from_scores(gt_b, folder, psds_criteria(**options)).psds, abs=1e-9)


def _duplicate(events, drawn):
    rows = [(f"{n}#{c}", on, off, lab) for n, c in drawn
            for f, on, off, lab in zip(events.filename, events.onset, events.offset, events.label) if f == n]
    return table(rows, [f"{n}#{c}" for n, c in drawn])


@pytest.mark.parametrize("kind", ["event", "segment"])
def test_every_figure_on_a_resample_equals_sed_eval_on_the_duplicated_clips(kind):
    """bootstrap_metrics on one resample = sed_eval (as DESED_task calls it) on a table holding the drawn
    clips as copies: every macro and micro figure, S/D/I and (segment) the accuracies."""
    from sedkit.metrics.bootstrap import bootstrap_metrics
    from sedkit.metrics.segment_based import segment_based_metrics
    from tests.metrics.conftest import sed_eval_event, sed_eval_segment

    files, reference, estimated = random_tables(np.random.default_rng(7), n_files=15)
    durations = {f: 10.0 for f in files}
    scorer = event_based_metrics if kind == "event" else segment_based_metrics
    result = scorer(reference, estimated, classes=CLASSES, durations=durations)
    for seed in range(3):
        weights = resample_weights(len(files), 1, seed=seed)
        drawn = [(name, copy) for name, count in zip(sorted(files), weights[0]) for copy in range(int(count))]
        ref_b, est_b = _duplicate(reference, drawn), _duplicate(estimated, drawn)
        copies = [f"{n}#{c}" for n, c in drawn]
        if kind == "event":
            theirs = sed_eval_event(ref_b, est_b, CLASSES, copies, t_collar=0.2, percentage_of_length=0.2)
        else:
            theirs = sed_eval_segment(ref_b, est_b, CLASSES, copies, {f: 10.0 for f in copies})
        summary = bootstrap_metrics(result.clip_counts, weights, result.parameters["empty_system_output"])
        pairs = [("f1", "f_measure", "f_measure"), ("precision", "f_measure", "precision"),
                 ("recall", "f_measure", "recall"), ("error_rate", "error_rate", "error_rate"),
                 ("deletion_rate", "error_rate", "deletion_rate"), ("insertion_rate", "error_rate", "insertion_rate")]
        if kind == "segment":
            pairs += [(k, "accuracy", k) for k in ("sensitivity", "specificity", "balanced_accuracy", "accuracy")]
        for ours_key, section, key in pairs:
            assert summary["micro"][ours_key]["mean"] == pytest.approx(theirs["overall"][section][key], abs=1e-9)
            assert summary["macro"][ours_key]["mean"] == pytest.approx(
                theirs["class_wise_average"][section][key], abs=1e-9)
        assert summary["micro"]["substitution_rate"]["mean"] == pytest.approx(
            theirs["overall"]["error_rate"]["substitution_rate"], abs=1e-9)
        assert summary["micro"]["f1"]["std"] == 0.0  # one resample


def test_every_clip_once_gives_every_figure():
    from sedkit.metrics.bootstrap import bootstrap_metrics

    files, reference, estimated = random_tables(np.random.default_rng(8))
    result = event_based_metrics(reference, estimated, classes=CLASSES)
    summary = bootstrap_metrics(result.clip_counts, np.ones((2, len(files))))
    for section in ("macro", "micro"):
        for key, value in getattr(result, section).items():
            if not key.startswith("n_"):
                assert summary[section][key]["mean"] == pytest.approx(value, abs=1e-12), (section, key)


def test_fold_weights_are_sed_scores_evals_resamples():
    """The clip subsets sed_scores_eval's bootstrap_from_deltas hands to its metric, in its order."""
    import sed_scores_eval  # noqa: F401
    from sed_scores_eval.base_modules.bootstrap import bootstrap_from_deltas

    from sedkit.metrics.bootstrap import fold_weights

    ids = [f"clip{i:03d}" for i in range(23)]
    seen = bootstrap_from_deltas(lambda deltas: (sorted(deltas),), {i: None for i in ids}, n_folds=5,
                                 n_iterations=3)[0]
    weights = fold_weights(len(ids), n_folds=5, n_iterations=3)
    assert len(seen) == weights.shape[0] == 15
    for subset, row in zip(seen, weights):
        assert subset == [ids[k] for k in np.flatnonzero(row)]


def test_psds_folds_match_sed_scores_evals_bootstrapped_psds(tmp_path):
    import sed_scores_eval  # noqa: F401
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.io import read_sed_scores

    from sedkit.metrics.bootstrap import bootstrap_weights

    rng = np.random.default_rng(9)
    files, reference, _ = random_tables(rng, n_files=30, miss=0.1)
    _scores(tmp_path / "scores", files, rng, reference)
    durations = {f: 10.0 for f in files}
    gt = prepare_ground_truth(reference, durations, CLASSES, merge_touching=True)
    options = dict(dtc=0.7, gtc=0.7, alpha_st=1.0, max_efpr=100.0)
    ours = psds_bootstrap(gt, tmp_path / "scores", bootstrap_weights(len(files), 10, scheme="folds", n_folds=5),
                          psds_criteria(**options), progress=False)
    scores = {p.stem: read_sed_scores(p) for p in sorted((tmp_path / "scores").glob("*.tsv"))}
    ground_truth = {f[:-4]: [] for f in files}
    for name, on, off, label in zip(reference.filename, reference.onset, reference.offset, reference.label):
        ground_truth[name[:-4]].append((on, off, label))
    theirs = intersection_based.bootstrapped_psds(
        scores, ground_truth, {f[:-4]: 10.0 for f in files}, dtc_threshold=0.7, gtc_threshold=0.7,
        alpha_st=1.0, max_efpr=100.0, n_folds=5, n_iterations=2)[0]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert len(set(np.round(ours, 9))) > 1


def test_psds_operating_points_on_a_resample_equals_psds_eval_on_the_copies():
    from sedkit.metrics.psds import encode_detections, psds_bootstrap_operating_points, psds_from_operating_points
    from tests.metrics.conftest import psds_eval_value

    rng = np.random.default_rng(10)
    files, reference, estimated = random_tables(rng, n_files=20, miss=0.2)
    durations = {f: 10.0 for f in files}
    points = [estimated, table([r for i, r in enumerate(zip(estimated.filename, estimated.onset, estimated.offset,
                                                                 estimated.label)) if i % 3], estimated.files)]
    gt = prepare_ground_truth(reference, durations, CLASSES)
    detections = [encode_detections(p, gt, CLASSES) for p in points]
    options = dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
    once = psds_bootstrap_operating_points(gt, detections, np.ones((1, len(files))), psds_criteria(**options))[0]
    assert once == pytest.approx(psds_from_operating_points(gt, detections, psds_criteria(**options)).psds, abs=1e-12)
    weights = resample_weights(len(files), 2, seed=3)
    values = psds_bootstrap_operating_points(gt, detections, weights, psds_criteria(**options))
    for b in range(2):
        drawn = [(name, c) for name, count in zip(sorted(files), weights[b]) for c in range(int(count))]
        theirs = psds_eval_value(_duplicate(reference, drawn), {f"{n}#{c}": 10.0 for n, c in drawn},
                                 [_duplicate(p, drawn) for p in points], **options)
        assert values[b] == pytest.approx(theirs.value, abs=1e-6)
