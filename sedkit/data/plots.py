"""Pictures of the generated data: one class in the synthetic and in the real domain."""
from __future__ import annotations

import tempfile
from pathlib import Path


def plot_domains(out_png: str | Path, label: str = "Dog", seed: int = 0) -> None:
    """Mix the same ``label`` event into one synthetic-domain and one real-domain soundscape and draw
    their log-mel spectrograms (sedkit's default features) one above the other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    from sedkit.data.soundbank import SoundBankConfig, write_soundbank
    from sedkit.data.synth import SynthConfig, scan_soundbank, synthesize
    from sedkit.features.extract import load_audio
    from sedkit.features.logmel import LogMelConfig, LogMelExtractor
    from sedkit.io import atomic_write, read_events

    features = LogMelConfig()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        write_soundbank(work / "bank", SoundBankConfig(clips_per_class=2, backgrounds_per_label=1, seed=seed))
        bank = scan_soundbank(work / "bank")
        panels = []
        for domain, background in (("synthetic", "home"), ("real", "room")):
            config = SynthConfig(n_soundscapes=1, min_events=1, max_events=1, foreground_labels=[label],
                                 background_labels=[background], domain=domain, seed=seed, snr_db=(20.0, 20.0))
            synthesize(bank, work / domain, config, progress=False)
            audio = load_audio(work / domain / "audio" / "soundscape_00000.wav", features)
            logmel = LogMelExtractor(features)(torch.from_numpy(audio)).numpy()
            events = read_events(work / domain / "strong.tsv")
            panels.append((domain, background, logmel, events))
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    for ax, (domain, background, logmel, events) in zip(axes, panels):
        seconds = logmel.shape[0] * features.frame_hop_s
        image = ax.imshow(logmel.T, origin="lower", aspect="auto", cmap="magma", extent=(0, seconds, 0, 128),
                          vmin=np.percentile(logmel, 5), vmax=logmel.max())
        for onset, offset in zip(events.onset, events.offset):
            ax.axvspan(onset, offset, ymin=0.97, ymax=1.0, color="cyan")
        ax.set(ylabel="mel bin", title=f"{label}, {domain} domain ({background} background"
                                       f"{', recording chain' if domain == 'real' else ''}); cyan: reference event")
        fig.colorbar(image, ax=ax, label="dB")
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    with atomic_write(out_png, "wb") as handle:
        fig.savefig(handle, format="png", dpi=60)
    plt.close(fig)
