"""Pictures of scores (matplotlib, Agg backend): per-class F1 bars and PSD-ROC curves."""
from __future__ import annotations

import math
from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> None:
    from sedkit.io import atomic_write

    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=100)


def plot_class_f1(result, path: str | Path, title: str = "") -> None:
    """Horizontal bars of per-class F1 (%), with the macro and micro F1 as vertical lines."""
    plt = _pyplot()
    names = list(result.classes)
    values = [0.0 if math.isnan(result.per_class[n]["f1"]) else 100 * result.per_class[n]["f1"] for n in names]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(names) + 1.6))
    ax.barh(range(len(names)), values, color="tab:blue")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    for y, value in enumerate(values):
        ax.text(value + 0.5, y, f"{value:.1f}", va="center", fontsize=8)
    for key, style in (("macro", "--"), ("micro", ":")):
        if not math.isnan(getattr(result, key)["f1"]):
            ax.axvline(100 * getattr(result, key)["f1"], color="k", linestyle=style,
                       label=f"{key} {100 * getattr(result, key)['f1']:.1f}")
    ax.set(xlim=(0, 105), xlabel="F1 (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_psd_roc(result, path: str | Path) -> None:
    """The PSD-ROC (eTPR over eFPR per hour, shaded area = PSDS x max_efpr) beside the per-class ROCs."""
    import numpy as np

    plt = _pyplot()
    limit = result.parameters["max_efpr"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    x = np.append(result.efpr[result.efpr <= limit], limit)
    y = np.append(result.etpr[result.efpr <= limit], result.etpr[result.efpr <= limit][-1])
    left.step(x, y, where="post", color="tab:blue", label="PSD-ROC")
    left.fill_between(x, y, step="post", alpha=0.3, color="tab:blue")
    left.set(xlim=(0, limit), ylim=(0, 1), xlabel="eFPR per hour", ylabel="eTPR",
             title=f"PSDS {result.psds:.4f} ({result.method})")
    left.grid(alpha=0.3)
    for name, (efpr, tpr) in result.class_roc.items():
        order = np.lexsort((tpr, efpr))
        xs, ys = efpr[order], np.maximum.accumulate(tpr[order])
        keep = np.isfinite(xs) & (xs <= limit)
        right.step(np.append(xs[keep], limit), np.append(ys[keep], ys[keep][-1] if keep.any() else 0),
                   where="post", label=name)
    right.set(xlim=(0, limit), ylim=(0, 1), xlabel="eFPR per hour", ylabel="TPR", title="per class")
    right.grid(alpha=0.3)
    right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
