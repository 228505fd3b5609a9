"""The model package and the windowed Detector: round trip, refusals, windowing, absolute times, ONNX."""
import numpy as np
import pytest
import soundfile as sf
import torch

from sedkit.errors import InputError
from sedkit.inference import Detector, ModelPackage, WindowConfig, read_package, write_package
from tests.inference.conftest import tone_recording


def _energy_package(window_s=3.0, merge_bands=((4, 8),)) -> ModelPackage:
    """A band_energy network on 8 kHz log-mel (16 bands, hop 94 samples, 3 s windows), normalised by
    mean -60 dB / std 20 dB: a 1 kHz tone at amplitude 0.5 lifts bands 4-7 far above 0."""
    from sedkit.config import to_dict
    from sedkit.features.logmel import LogMelConfig
    from tests.inference.conftest import BandEnergy, BandEnergyConfig

    features = LogMelConfig(sample_rate=8000, n_fft=256, win_length=256, hop_length=94, n_mels=16,
                            clip_duration_s=window_s)
    config = BandEnergyConfig(n_classes=1, n_mels=16, bands=[list(b) for b in merge_bands])
    network = BandEnergy(config)
    return ModelPackage(model_name="band_energy", model=to_dict(config), features=to_dict(features),
                        classes=["tone"], frame_hop_s=2 * 94 / 8000, window_s=window_s, thresholds={"tone": 0.5},
                        median_windows_s={"tone": 0.1}, stats_mean=np.full(16, -60.0), stats_std=np.full(16, 20.0),
                        weights=network.state_dict(), provenance={"system": "test"})


def test_long_recording_events_at_their_absolute_times(tmp_path):
    truth = [(37.0, 39.5), (101.3, 102.1), (148.05, 151.0)]  # one crosses a window boundary (hop 1.5 s)
    path = tmp_path / "long.wav"
    sf.write(path, tone_recording(200.0, truth), 8000)
    for merge in ("mean", "centre"):
        detector = Detector(_energy_package(), window=WindowConfig(merge=merge, batch_size=4))
        scored = detector.score_file(path)
        hop = 2 * 94 / 8000
        assert scored.scores.shape == (int(np.ceil(200.0 / hop)), 1)
        events = detector.events(scored)
        assert [label for *_, label in events] == ["tone"] * 3
        for (onset, offset, _), (true_on, true_off) in zip(events, truth):
            # frame resolution of the output (23.5 ms) plus the STFT window's reach (256 samples = 32 ms)
            assert abs(onset - true_on) <= hop + 0.032 and abs(offset - true_off) <= hop + 0.032


def test_in_memory_audio_equals_the_file(tmp_path):
    audio = tone_recording(20.0, [(4.0, 6.0)])
    sf.write(tmp_path / "a.wav", audio, 8000, subtype="FLOAT")  # no quantisation: the same samples
    detector = Detector(_energy_package())
    np.testing.assert_allclose(detector.scores(audio, 8000).scores, detector.score_file(tmp_path / "a.wav").scores,
                               atol=1e-6)


def test_package_round_trip_matches_the_checkpoint_path(tiny_checkpoint, tiny_corpus, tmp_path):
    from sedkit.io import read_scores
    from sedkit.training.export import package_from_checkpoint
    from sedkit.training.sed import infer

    package = package_from_checkpoint(tiny_checkpoint)
    path = write_package(package, tmp_path / "detector.pt")
    assert path.stat().st_size < 200_000  # one small network, no optimiser state
    loaded = read_package(path)
    assert loaded.classes == ["noise", "tone"] and loaded.thresholds == {"noise": 0.3, "tone": 0.3}
    assert loaded.provenance["network"] == "student" and loaded.window_s == 3.0
    # the whole-clip path (features of 3 s clips) and the windowed Detector on the same clips: one window each
    infer(tiny_checkpoint, tmp_path / "old", features_dir=tiny_corpus / "feats" / "validation", device="cpu")
    detector = Detector(loaded)
    for clip in sorted((tiny_corpus / "validation" / "audio").glob("*.wav"))[:3]:
        stamps, classes, expected = read_scores(tmp_path / "old" / "scores" / f"{clip.stem}.tsv")
        scored = detector.score_file(clip)
        np.testing.assert_allclose(scored.scores, expected, atol=1e-5)
        np.testing.assert_allclose(scored.timestamps, stamps, atol=1e-6)


def test_refusals_name_the_file(tiny_checkpoint, tmp_path):
    from sedkit.training.export import package_from_checkpoint

    good = write_package(package_from_checkpoint(tiny_checkpoint), tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated.pt: not a sedkit model package"):
        read_package(truncated)
    with pytest.raises(InputError, match="a training checkpoint"):
        read_package(tiny_checkpoint)
    document = torch.load(good, weights_only=True)
    document["version"] = 99
    torch.save(document, tmp_path / "v99.pt")
    with pytest.raises(InputError, match="format version 99; this sedkit reads version 1"):
        read_package(tmp_path / "v99.pt")
    # a pickle that would run code when loaded unsafely is refused without running it
    marker = tmp_path / "ran"
    torch.save({"format": "sedkit-detector", "payload": _Exploit(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(InputError, match="evil.pt: not a sedkit model package: it holds objects that cannot be read"):
        read_package(tmp_path / "evil.pt")
    assert not marker.exists()


class _Exploit:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_cli_refuses_bad_packages_with_one_line(tmp_path, capsys):
    from sedkit.cli.main import main

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a package")
    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(8000, dtype=np.float32), 8000)
    assert main(["infer", "--model", str(bad), "--audio", str(audio), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"sedkit infer: error: {bad}: not a sedkit model package")
    assert not (tmp_path / "out").exists()


def test_onnx_matches_torch(tiny_checkpoint, tmp_path):
    pytest.importorskip("onnxruntime")
    from sedkit.inference.onnx import export_onnx
    from sedkit.training.export import package_from_checkpoint

    package = package_from_checkpoint(tiny_checkpoint)
    onnx_path = export_onnx(package, tmp_path / "d.onnx")
    x = np.random.default_rng(0).normal(size=(3, 700, 16)).astype(np.float32)  # another length than training
    with torch.no_grad():
        expected = package.build_network()(torch.from_numpy(x))["frame"].numpy()
    from sedkit.inference.onnx import load_onnx

    loaded, forward = load_onnx(onnx_path)
    assert np.abs(forward(x) - expected).max() <= 1e-4
    assert loaded.classes == package.classes and loaded.thresholds == package.thresholds
    audio = tmp_path / "r.wav"
    sf.write(audio, tone_recording(8.0, [(2.0, 3.0)]), 8000)
    via_onnx = Detector.load(onnx_path).score_file(audio).scores
    via_torch = Detector(package).score_file(audio).scores
    assert np.abs(via_onnx - via_torch).max() <= 1e-4
