"""Corpus v2: labels cover what is audible, per class and per domain.

An energy detector, written here independently of the corpus code, runs on each event's isolated,
noise-free audio as it sounds in the mixture (through the room and microphone in the real domain): frames
of 20 ms (hop 10 ms) whose RMS lies within 30 dB of the event's loudest frame are active, and active runs
closer than 0.25 s are one detection. Detections of one class that overlap are one event (as the labels
merge reverberant tails that touch). sedkit's event-based scorer (collar 0.2 s, offset tolerance
max(0.2 s, 20 % of the length)) must then find >= 90 % of the labelled events in every class.
"""
import numpy as np
import pytest

from sedkit.data.soundbank import DESED_CLASSES, SoundBankConfig, write_soundbank
from sedkit.io import EventTable
from sedkit.metrics.event_based import event_based_metrics


from sedkit.data.synth import SynthConfig, render_clip, scan_soundbank

SR = 22050


def detect(audio, sample_rate=SR, range_db=30.0, merge_gap_s=0.25):
    """[(onset_s, offset_s)] of the active regions of one isolated event."""
    frame, hop = int(0.02 * sample_rate), int(0.01 * sample_rate)
    starts = np.arange(0, max(1, audio.shape[0] - frame + 1), hop)
    rms = np.array([np.sqrt(np.mean(audio[s:s + frame] ** 2)) for s in starts])
    active = rms >= rms.max() * 10 ** (-range_db / 20)
    regions = []
    for index in np.flatnonzero(active):
        onset, offset = starts[index] / sample_rate, (starts[index] + frame) / sample_rate
        if regions and onset - regions[-1][1] < merge_gap_s:
            regions[-1][1] = offset
        else:
            regions.append([onset, offset])
    return regions


def merge(regions):
    merged = []
    for onset, offset in sorted(regions):
        if merged and onset <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], offset)
        else:
            merged.append([onset, offset])
    return merged


def table(rows):
    return EventTable("t", sorted({r[0] for r in rows}), [r[0] for r in rows], np.array([r[1] for r in rows]),
                      np.array([r[2] for r in rows]), [r[3] for r in rows], list(range(len(rows))))


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bank")
    write_soundbank(folder, SoundBankConfig(clips_per_class=6, backgrounds_per_label=1, seed=11))
    return scan_soundbank(folder)


@pytest.mark.parametrize("domain", ["synthetic", "real"])
def test_labels_cover_the_audible_extent_in_every_class(bank, domain):
    config = SynthConfig(n_soundscapes=40, min_events=2, max_events=5, domain=domain, seed=3)
    reference, detected = [], []
    for index in range(config.n_soundscapes):
        clip = render_clip(bank, config, index, stems=True)
        name = f"clip{index}.wav"
        reference += [(name, on, off, label) for on, off, label in clip["events"]]
        by_label = {}
        for label, stem in clip["stems"]:
            by_label.setdefault(label, []).extend(detect(stem))
        detected += [(name, on, off, label) for label, regions in by_label.items() for on, off in merge(regions)]
    result = event_based_metrics(table(reference), table(detected), classes=DESED_CLASSES,
                                 durations={f"clip{i}.wav": 10.0 for i in range(config.n_soundscapes)})
    recall = {label: result.per_class[label]["recall"] for label in DESED_CLASSES}
    assert all(value >= 0.9 for value in recall.values()), recall
