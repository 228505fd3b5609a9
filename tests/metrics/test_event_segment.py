"""sedkit's event- and segment-based metrics against sed_eval on the same tables (tolerance 1e-6)."""
import numpy as np
import pytest

from sedkit.io import EventTable, read_events
from sedkit.metrics.event_based import event_based_metrics
from sedkit.metrics.matching import max_bipartite_matching
from sedkit.metrics.segment_based import segment_based_metrics
from tests.metrics.conftest import assert_same_as_sed_eval, sed_eval_event, sed_eval_segment


HEADER = "filename\tonset\toffset\tevent_label\n"


def write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(HEADER + "".join("\t".join(map(str, row)) + "\n" for row in rows))
    return read_events(path)


def random_tables(seed, n_files=40, max_events=6, classes=("a", "b", "c"), step=0.05):
    """Times on a 50 ms grid, so that many collar tests land exactly on the boundary (in float)."""
    rng = np.random.default_rng(seed)
    files = [f"clip{f:03d}.wav" for f in range(n_files)]
    ref_rows, est_rows = [], []
    for name in files:
        for _ in range(rng.integers(0, max_events + 1)):
            onset = round(rng.uniform(0, 9) / step) * step
            offset = onset + round(rng.uniform(0.05, 3) / step) * step
            label = str(rng.choice(classes))
            ref_rows.append((name, onset, offset, label))
            for _ in range(rng.integers(0, 3)):  # 0-2 estimates near each reference event
                est_on = max(0.0, onset + round(rng.normal(0, 0.2) / step) * step)
                est_off = max(est_on, offset + round(rng.normal(0, 0.3) / step) * step)
                est_rows.append((name, est_on, est_off, label if rng.random() < 0.7 else str(rng.choice(classes))))
        if rng.random() < 0.3:  # a false alarm
            est_rows.append((name, 1.0, 2.5, str(rng.choice(classes))))
    rng.shuffle(est_rows)  # row order within a file matters to sed_eval; keep it arbitrary

    def table(rows, path):
        return EventTable(path, files if path == "ref" else sorted({r[0] for r in rows}),
                          [r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                          np.array([r[2] for r in rows], dtype=float), [r[3] for r in rows],
                          list(range(2, len(rows) + 2)))

    return table(ref_rows, "ref"), table(est_rows, "est")


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("matching", ["optimal", "greedy"])
def test_event_based_random(seed, matching):
    ref, est = random_tables(seed)
    classes = ["a", "b", "c"]
    ours = event_based_metrics(ref, est, classes=classes, event_matching=matching)
    theirs = sed_eval_event(ref, est, classes, ref.files, t_collar=0.2, percentage_of_length=0.2,
                            event_matching_type=matching)
    assert_same_as_sed_eval(ours, theirs)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("options", [dict(evaluate_offset=False), dict(evaluate_onset=False),
                                     dict(t_collar=0.25, percentage_of_length=0.5)])
def test_event_based_options(seed, options):
    ref, est = random_tables(seed + 100)
    classes = ["a", "b", "c"]
    ours = event_based_metrics(ref, est, classes=classes, **options)
    theirs = sed_eval_event(ref, est, classes, ref.files, **{"t_collar": 0.2, "percentage_of_length": 0.2, **options})
    assert_same_as_sed_eval(ours, theirs)


def test_collar_boundaries_in_floating_point(tmp_path):
    # 1.2 - 1.0 = 0.19999999999999996 (hit); 2.5 - 2.3 = 0.20000000000000018 (miss); offset collar of a 2 s
    # reference is 0.4 s: 7.4 - 7.0 = 0.40000000000000036 (miss), 6.4 - 6.0 = 0.40000000000000036 (miss),
    # 5.6 - 5.2 = 0.39999999999999947 (hit, class b of y.wav).
    ref = write(tmp_path, "ref.tsv", [("x.wav", 1.0, 1.5, "a"), ("x.wav", 2.3, 2.8, "b"), ("x.wav", 5.0, 7.0, "c"),
                                      ("y.wav", 4.0, 6.0, "a"), ("y.wav", 3.2, 5.2, "b")])
    est = write(tmp_path, "est.tsv", [("x.wav", 1.2, 1.5, "a"), ("x.wav", 2.5, 2.8, "b"), ("x.wav", 5.0, 7.4, "c"),
                                      ("y.wav", 4.0, 6.4, "a"), ("y.wav", 3.2, 5.6, "b")])
    ours = event_based_metrics(ref, est)
    assert [ours.per_class[c]["n_tp"] for c in "abc"] == [1, 1, 0]  # a: x.wav, b: y.wav
    assert ours.micro["n_tp"] == 2
    assert_same_as_sed_eval(ours, sed_eval_event(ref, est, ["a", "b", "c"], ref.files,
                                                 t_collar=0.2, percentage_of_length=0.2))


def test_optimal_and_greedy_differ(tmp_path):
    # Estimate e1 hits both references; e2 hits only r1. Greedy gives r1 <- e1 and leaves r2 unmatched;
    # optimal finds r1 <- e2, r2 <- e1.
    ref = write(tmp_path, "ref.tsv", [("x.wav", 1.0, 2.0, "a"), ("x.wav", 1.15, 2.1, "a")])
    est = write(tmp_path, "est.tsv", [("x.wav", 1.1, 2.05, "a"), ("x.wav", 0.85, 1.9, "a")])
    optimal = event_based_metrics(ref, est, event_matching="optimal")
    greedy = event_based_metrics(ref, est, event_matching="greedy")
    assert optimal.micro["n_tp"] == 2 and greedy.micro["n_tp"] == 1
    for ours, kind in ((optimal, "optimal"), (greedy, "greedy")):
        assert_same_as_sed_eval(ours, sed_eval_event(ref, est, ["a"], ref.files, t_collar=0.2,
                                                     percentage_of_length=0.2, event_matching_type=kind))


def test_substitutions_follow_sed_eval_matching_choice(tmp_path):
    # Two maximum matchings exist for class a; which reference stays unmatched decides whether the "b"
    # estimate counts as a substitution (it is within the collars of r2 only).
    ref = write(tmp_path, "ref.tsv", [("x.wav", 1.0, 2.0, "a"), ("x.wav", 1.1, 2.1, "a"), ("x.wav", 5.0, 6.0, "a")])
    est = write(tmp_path, "est.tsv", [("x.wav", 1.05, 2.05, "a"), ("x.wav", 1.25, 2.2, "b"),
                                      ("x.wav", 5.0, 6.0, "b")])
    for kind in ("optimal", "greedy"):
        ours = event_based_metrics(ref, est, classes=["a", "b"], event_matching=kind)
        assert_same_as_sed_eval(ours, sed_eval_event(ref, est, ["a", "b"], ref.files, t_collar=0.2,
                                                     percentage_of_length=0.2, event_matching_type=kind))
        assert ours.micro["substitution_rate"] > 0


def test_class_without_estimates_and_clip_without_events(tmp_path):
    ref = write(tmp_path, "ref.tsv", [("x.wav", 1.0, 2.0, "a"), ("x.wav", 3.0, 4.0, "b"), ("empty.wav", "", "", "")])
    est = write(tmp_path, "est.tsv", [("x.wav", 1.0, 2.0, "a"), ("empty.wav", 0.5, 1.5, "a")])
    assert ref.files == ["x.wav", "empty.wav"]
    classes = ["a", "b", "c"]  # c: no reference and no estimate -> NaN F1, left out of the macro mean
    ours = event_based_metrics(ref, est, classes=classes)
    assert ours.per_class["b"]["precision"] == 0.0 and ours.per_class["b"]["f1"] == 0.0
    assert np.isnan(ours.per_class["c"]["f1"])
    assert ours.per_class["a"]["n_est"] == 2  # the estimate on the empty clip is a false alarm
    assert_same_as_sed_eval(ours, sed_eval_event(ref, est, classes, ref.files, t_collar=0.2, percentage_of_length=0.2))
    json_doc = ours.to_json()
    assert json_doc["per_class"]["c"]["f1"] is None
    assert set(json_doc) == {"micro", "macro", "per_class", "clip_counts", "parameters"}
    assert json_doc["parameters"] == {"empty_system_output": "zero_score", "t_collar": 0.2,
                                      "percentage_of_length": 0.2, "evaluate_onset": True,
                                      "evaluate_offset": True, "event_matching": "optimal"}
    # Per clip (x.wav, empty.wav) and class (a, b, c): hits, estimates, references, for the bootstrap.
    assert json_doc["clip_counts"]["files"] == ["x.wav", "empty.wav"]
    assert json_doc["clip_counts"]["tp"] == [[1, 0, 0], [0, 0, 0]]
    assert json_doc["clip_counts"]["n_est"] == [[1, 0, 0], [1, 0, 0]]
    assert json_doc["clip_counts"]["n_ref"] == [[1, 1, 0], [0, 0, 0]]
    rates = {"f1", "precision", "recall", "error_rate", "deletion_rate", "insertion_rate"}
    assert set(json_doc["micro"]) == rates | {"substitution_rate"}
    assert set(json_doc["macro"]) == rates
    assert set(json_doc["per_class"]["a"]) == rates | {"n_ref", "n_est"}
    # By hand: 2 reference events, 2 estimates, 1 hit; the false alarm on empty.wav meets no reference
    # event, so no substitution: D = 2 - 1 - 0 = 1, I = 1, each rate / 2.
    assert json_doc["micro"]["deletion_rate"] == pytest.approx(0.5)
    assert json_doc["micro"]["insertion_rate"] == pytest.approx(0.5)
    assert json_doc["micro"]["substitution_rate"] == 0.0
    # sed_eval's default handling: class b (no estimate) has precision and F1 NaN and leaves the mean.
    default = event_based_metrics(ref, est, classes=classes, empty_system_output="default")
    assert np.isnan(default.per_class["b"]["f1"]) and np.isnan(default.per_class["b"]["precision"])
    assert default.macro["f1"] == pytest.approx(2 / 3)  # class a only: P 1/2, R 1
    assert ours.macro["f1"] == pytest.approx(1 / 3)  # a and b (0)
    assert_same_as_sed_eval(default, sed_eval_event(ref, est, classes, ref.files, empty_system_output="default",
                                                    t_collar=0.2, percentage_of_length=0.2))
    seg = segment_based_metrics(ref, est, classes=classes)
    assert_same_as_sed_eval(seg, sed_eval_segment(ref, est, classes, ref.files))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("resolution", [1.0, 0.1])
def test_segment_based_random(seed, resolution):
    ref, est = random_tables(seed)
    classes = ["a", "b", "c"]
    ours = segment_based_metrics(ref, est, classes=classes, time_resolution=resolution)
    assert_same_as_sed_eval(ours, sed_eval_segment(ref, est, classes, ref.files, time_resolution=resolution))
    durations = {name: 7.5 + (i % 5) for i, name in enumerate(ref.files)}  # some events cut off
    ours = segment_based_metrics(ref, est, classes=classes, durations=durations, time_resolution=resolution)
    assert_same_as_sed_eval(ours, sed_eval_segment(ref, est, classes, ref.files, durations, resolution))


def test_hopcroft_karp_is_maximum():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n_left, n_right = rng.integers(1, 8, size=2)
        edges = rng.random((n_left, n_right)) < 0.4
        graph = {u: [v for v in range(n_right) if edges[u, v]] for u in range(n_left) if edges[u].any()}
        matching = max_bipartite_matching(graph)
        assert all(edges[u, v] for v, u in matching.items()) and len(set(matching.values())) == len(matching)
        # brute force the maximum size via scipy
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import maximum_bipartite_matching
        size = int((maximum_bipartite_matching(csr_matrix(edges.astype(int)), perm_type="column") >= 0).sum())
        assert len(matching) == size
