"""Clip tagging (sedkit.metrics.tagging, sedkit eval tagging) against sed_scores_eval's clip-based functions and
sklearn on the same clips."""
import json

import numpy as np
import pytest

from sedkit.cli.main import main
from sedkit.io import write_scores
from sedkit.metrics.tagging import average_precision, roc_auc, tagging_metrics

CLASSES = ["Cat", "Dog", "Speech"]


def random_clips(seed, n_clips=60, decimals=2):
    """Frame scores (10 frames) and tags; frame scores rounded so that clip scores tie."""
    rng = np.random.default_rng(seed)
    tags = rng.random((n_clips, len(CLASSES))) < 0.35
    tags[0], tags[1] = True, False  # every class has a positive and a negative clip
    frames = rng.uniform(0, 0.6, (n_clips, 10, len(CLASSES)))
    frames += tags[:, None, :] * rng.uniform(0, 0.5, (n_clips, 1, len(CLASSES)))
    return tags, np.round(frames, decimals)


def sed_scores_eval_inputs(tags, frames):
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    stamps = np.arange(frames.shape[1] + 1) * 1.0
    scores = {f"clip{i:03d}": create_score_dataframe(frames[i], stamps, CLASSES) for i in range(len(tags))}
    truth = {f"clip{i:03d}": [c for c, t in zip(CLASSES, tags[i]) if t] for i in range(len(tags))}
    return scores, truth


@pytest.mark.parametrize("seed", range(4))
def test_ranking_metrics_match_sed_scores_eval_and_sklearn(seed):
    import sed_scores_eval  # noqa: F401
    from sed_scores_eval import clip_based
    from sklearn.metrics import average_precision_score, roc_auc_score

    tags, frames = random_clips(seed)
    clip = frames.max(axis=1)
    result = tagging_metrics(tags, clip > 0.5, [f"clip{i:03d}" for i in range(len(tags))], CLASSES, clip, 0.5)
    scores, truth = sed_scores_eval_inputs(tags, frames)
    ap, _ = clip_based.average_precision(scores, truth)
    auc, _ = clip_based.auroc(scores, truth)
    for c, name in enumerate(CLASSES):
        assert result.per_class[name]["average_precision"] == pytest.approx(ap[name], abs=1e-9)
        assert result.per_class[name]["roc_auc"] == pytest.approx(auc[name], abs=1e-9)
        assert result.per_class[name]["average_precision"] == pytest.approx(
            average_precision_score(tags[:, c], clip[:, c]), abs=1e-9)
    assert result.macro["average_precision"] == pytest.approx(ap["mean"], abs=1e-9)
    assert result.macro["roc_auc"] == pytest.approx(auc["mean"], abs=1e-9)
    # Without ties sklearn's (trapezoidal) ROC AUC is the same staircase.
    untied = clip + np.arange(clip.size).reshape(clip.shape) * 1e-9
    for c in range(len(CLASSES)):
        assert roc_auc(untied[:, c], tags[:, c]) == pytest.approx(roc_auc_score(tags[:, c], untied[:, c]), abs=1e-9)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_f1_at_a_threshold_matches_sed_scores_eval_and_sklearn(threshold):
    import sed_scores_eval  # noqa: F401
    from sed_scores_eval import clip_based
    from sklearn.metrics import f1_score

    tags, frames = random_clips(11)
    clip = frames.max(axis=1)
    result = tagging_metrics(tags, clip > threshold, [f"clip{i:03d}" for i in range(len(tags))], CLASSES)
    scores, truth = sed_scores_eval_inputs(tags, frames)
    f, p, r, *_ = clip_based.fscore(scores, truth, threshold)
    for name in CLASSES:
        assert result.per_class[name]["f1"] == pytest.approx(f[name], abs=1e-9)
        assert result.per_class[name]["recall"] == pytest.approx(r[name], abs=1e-9)
    assert result.macro["f1"] == pytest.approx(f["macro_average"], abs=1e-9)
    assert result.macro["f1"] == pytest.approx(f1_score(tags, clip > threshold, average="macro"), abs=1e-9)
    assert result.micro["f1"] == pytest.approx(f1_score(tags, clip > threshold, average="micro"), abs=1e-9)


def test_weights_count_clips_as_copies():
    tags, frames = random_clips(12, n_clips=30)
    clip = frames.max(axis=1)
    weights = np.random.default_rng(0).integers(0, 3, 30).astype(float)
    copies = np.repeat(np.arange(30), weights.astype(int))
    for c in range(len(CLASSES)):
        assert average_precision(clip[:, c], tags[:, c], weights) == pytest.approx(
            average_precision(clip[copies, c], tags[copies, c]), abs=1e-12)
        assert roc_auc(clip[:, c], tags[:, c], weights) == pytest.approx(roc_auc(clip[copies, c], tags[copies, c]),
                                                                         abs=1e-12)


def test_ap_and_auc_by_hand():
    # Scores 0.9 (+), 0.8 (-), 0.7 (+), 0.7 (-), 0.1 (-). Thresholds down: 0.9 -> P 1, R 1/2; 0.8 -> P 1/2;
    # 0.7 -> P 2/4, R 1. AP = 1/2 * 1 + 1/2 * 1/2 = 0.75. ROC (FPR, TPR): (0, 1/2), (1/3, 1/2), (2/3, 1), (1, 1):
    # staircase right-then-up: 1/3 * 1/2 + 1/3 * 1/2 + 1/3 * 1 = 2/3.
    scores = np.array([0.9, 0.8, 0.7, 0.7, 0.1])
    positive = np.array([True, False, True, False, False])
    assert average_precision(scores, positive) == pytest.approx(0.75)
    assert roc_auc(scores, positive) == pytest.approx(2 / 3)
    assert np.isnan(average_precision(scores, np.zeros(5, dtype=bool)))


def test_cli_weak_and_strong_tables_and_scores(tmp_path, capsys):
    (tmp_path / "weak.tsv").write_text("filename\tevent_labels\na.wav\tDog,Cat\nb.wav\tDog\nc.wav\t\n")
    (tmp_path / "strong.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t1\t2\tDog\n"
                                         "a.wav\t3\t4\tCat\na.wav\t5\t6\tDog\nb.wav\t0\t1\tDog\nc.wav\t\t\t\n")
    (tmp_path / "est.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t1\t2\tDog\nc.wav\t0\t1\tCat\n")
    outputs = []
    for reference in ("weak.tsv", "strong.tsv"):
        out = tmp_path / f"{reference}.json"
        assert main(["eval", "tagging", "--reference", str(tmp_path / reference), "--estimated",
                     str(tmp_path / "est.tsv"), "--json", str(out)]) == 0
        outputs.append(json.loads(out.read_text()))
    assert outputs[0]["per_class"] == outputs[1]["per_class"]
    # Dog: tagged a (hit), missed b -> P 1, R 1/2, F1 2/3; Cat: a missed, c false -> F1 0. Macro 1/3.
    assert outputs[0]["per_class"]["Dog"]["f1"] == pytest.approx(2 / 3)
    assert outputs[0]["per_class"]["Cat"]["f1"] == 0.0
    assert outputs[0]["macro"]["f1"] == pytest.approx(1 / 3)
    for clip, dog in (("a", 0.9), ("b", 0.4), ("c", 0.2)):
        frames = np.full((4, 2), 0.1)
        frames[2, 1] = dog
        write_scores(tmp_path / "scores" / f"{clip}.tsv", np.arange(5.0), ["Cat", "Dog"], frames)
    out = tmp_path / "s.json"
    assert main(["eval", "tagging", "--reference", str(tmp_path / "weak.tsv"), "--scores", str(tmp_path / "scores"),
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["per_class"]["Dog"]["average_precision"] == 1.0 and doc["per_class"]["Dog"]["roc_auc"] == 1.0
    assert doc["parameters"]["threshold"] == 0.5 and doc["per_class"]["Dog"]["recall"] == 0.5
    assert "mAP" in capsys.readouterr().out
    assert main(["eval", "tagging", "--reference", str(tmp_path / "weak.tsv"), "--estimated",
                 str(tmp_path / "strong.tsv"), "--classes", "Dog"]) == 2
    assert "label 'Cat' of a.wav is not in the class list" in capsys.readouterr().err
