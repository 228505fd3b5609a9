"""Clip classification metrics: accuracy, clip and group error, per-class accuracy, confusion matrix."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

__all__ = ["classification_metrics", "group_decisions", "plot_confusion", "group_bootstrap_accuracy"]


def group_decisions(probs: np.ndarray, groups: List[str], rule: str = "mean") -> Dict[str, int]:
    """Class decided for each group from its clips' probabilities (mean, or vote with mean tie-break)."""
    decisions = {}
    for group in dict.fromkeys(groups):
        rows = probs[[g == group for g in groups]]
        mean = rows.mean(axis=0)
        if rule == "vote":
            votes = np.bincount(rows.argmax(axis=1), minlength=rows.shape[1])
            tied = np.flatnonzero(votes == votes.max())
            decisions[group] = int(tied[np.argmax(mean[tied])])
        else:
            decisions[group] = int(mean.argmax())
    return decisions


def classification_metrics(probs: np.ndarray, truth: Sequence[int], groups: Sequence[str], classes: Sequence[str],
                           group_rule: str = "mean") -> Dict:
    """Accuracy, clip error, group error (decisions by :func:`group_decisions`), per-class accuracy and the
    confusion matrix (rows: true class, columns: predicted)."""
    truth = np.asarray(truth)
    predicted = probs.argmax(axis=1)
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    decided = group_decisions(probs, list(groups), group_rule)
    group_truth = {g: t for g, t in zip(groups, truth)}
    accuracy = float((predicted == truth).mean())
    per_class = {c: (float(confusion[i, i] / confusion[i].sum()) if confusion[i].sum() else None)
                 for i, c in enumerate(classes)}
    names = sorted(decided)
    clip_groups = np.asarray(list(groups), dtype=object)
    correct = predicted == truth
    per_group = {"groups": names,
                 "clips": [int(np.sum(clip_groups == g)) for g in names],
                 "correct_clips": [int(np.sum(correct[clip_groups == g])) for g in names],
                 "group_correct": [int(decided[g] == group_truth[g]) for g in names]}
    return {"accuracy": accuracy, "clip_error": 1.0 - accuracy,
            "group_error": float(np.mean([decided[g] != group_truth[g] for g in decided])),
            "n_clips": int(len(truth)), "n_groups": len(decided), "per_class_accuracy": per_class,
            "confusion": confusion.tolist(), "classes": list(classes), "per_group": per_group}


def group_bootstrap_accuracy(per_group: Dict, weights: np.ndarray) -> np.ndarray:
    """Clip accuracy on each resample of the *groups* (recordings, songs: clips of one group are not independent):
    ``weights`` (resamples, groups), groups in ``per_group["groups"]`` order; a resample counts each group's clips
    as often as the group is drawn."""
    clips = np.asarray(per_group["clips"], dtype=np.float64)
    correct = np.asarray(per_group["correct_clips"], dtype=np.float64)
    return (weights @ correct) / np.maximum(weights @ clips, 1e-12)


def plot_confusion(metrics: Dict, path: str | Path, title: str = "") -> None:
    """Confusion matrix (row-normalised, counts printed) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sedkit.io import atomic_write

    counts = np.array(metrics["confusion"])
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    classes: List[str] = metrics["classes"]
    size = 0.55 * len(classes) + 2.5
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if counts[i, j]:
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title or f"accuracy {100 * metrics['accuracy']:.1f} %")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=90)
    plt.close(fig)
