"""Pictures of features: one example log-mel and the per-bin statistics (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sedkit.features.stats import FeatureStats


def plot_stats(stats: FeatureStats, feature_dir: str | Path, path: str | Path) -> None:
    """Write a PNG: the first clip's log-mel (left) and per-bin mean +- std (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sedkit.features.extract import read_feature_config, read_feature_table
    from sedkit.io import atomic_write

    feature_dir = Path(feature_dir)
    config = read_feature_config(feature_dir)
    first = read_feature_table(feature_dir)[0]
    example = np.load(feature_dir / first["path"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 1]})
    seconds = example.shape[0] * config.frame_hop_s
    image = left.imshow(example.T, origin="lower", aspect="auto", extent=(0, seconds, 0, example.shape[1]),
                        cmap="magma")
    left.set(title=f"{first['filename']}", xlabel="time (s)", ylabel="mel bin")
    fig.colorbar(image, ax=left, label=config.log if config.log != "db" else "dB")
    bins = np.arange(stats.mean.shape[0])
    right.plot(stats.mean, bins, label="mean")
    right.fill_betweenx(bins, stats.mean - stats.std, stats.mean + stats.std, alpha=0.3, label="± std")
    right.set(title=f"{stats.n_clips} clips, {stats.n_frames} frames", xlabel="value", ylabel="mel bin")
    right.legend(loc="lower right")
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=100)
    plt.close(fig)
