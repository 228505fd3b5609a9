import os

import numpy as np
import pytest
import soundfile as sf
import torch

from sedkit.errors import InputError
from sedkit.features.extract import extract_features, list_audio, load_audio, read_feature_table
from sedkit.parallel import parse_shard
from sedkit.features.logmel import LogMelConfig, LogMelExtractor
from sedkit.features.stats import compute_stats, load_stats, save_stats

SMALL = LogMelConfig(n_fft=512, win_length=512, hop_length=256, n_mels=40)


def test_list_audio_folder_and_tsv(audio_dir, tmp_path):
    items = list_audio(audio_dir)
    assert [i.filename for i in items] == ["a.wav", "b.wav", "d.ogg", "sub/c.flac"]
    assert items[3].feature_name == "sub/c.npy"
    table = tmp_path / "wav.tsv"
    table.write_text("filename\tpath\nx.wav\taudio/a.wav\n")
    (item,) = list_audio(table)
    assert item.filename == "x.wav" and item.path == tmp_path / "audio" / "a.wav"
    (single,) = list_audio(audio_dir / "sub" / "c.flac")
    assert single.filename == "c.flac"


def test_list_audio_errors(tmp_path, audio_dir):
    with pytest.raises(InputError, match="no such file or folder"):
        list_audio(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no audio files"):
        list_audio(tmp_path / "empty")
    sf.write(audio_dir / "a.flac", np.zeros(100), 22050)
    with pytest.raises(InputError, match="a.flac and a.wav would both write a.npy|a.wav and a.flac"):
        list_audio(audio_dir)


def test_load_audio_mono_resample_pad_crop(audio_dir):
    cfg = LogMelConfig()
    stereo = load_audio(audio_dir / "d.ogg", cfg)  # 2 s stereo at 16 kHz
    assert stereo.dtype == np.float32 and stereo.ndim == 1 and len(stereo) == 44100
    assert len(load_audio(audio_dir / "a.wav", cfg.replace(clip_duration_s=3.0))) == 66150
    cropped = load_audio(audio_dir / "sub" / "c.flac", cfg.replace(clip_duration_s=1.0))
    np.testing.assert_array_equal(cropped, load_audio(audio_dir / "sub" / "c.flac", cfg)[:22050])


def test_extract_writes_layout_and_matches_extractor(audio_dir, tmp_path):
    out = tmp_path / "feats"
    report = extract_features(list_audio(audio_dir), out, SMALL, progress=False)
    assert (report.n_extracted, report.n_skipped, report.failures) == (4, 0, [])
    rows = read_feature_table(out)
    assert [r["filename"] for r in rows] == ["a.wav", "b.wav", "d.ogg", "sub/c.flac"]
    assert rows[3]["path"] == "sub/c.npy"
    features = np.load(out / "a.npy")
    assert features.dtype == np.float32 and features.shape == (int(rows[0]["n_frames"]), 40)
    assert float(rows[0]["duration"]) == pytest.approx(2.0)
    expected = LogMelExtractor(SMALL)(torch.from_numpy(load_audio(audio_dir / "a.wav", SMALL))).numpy()
    np.testing.assert_array_equal(features, expected)
    assert (out / "features.yaml").exists()
    assert not [p for p in out.rglob("*.tmp")]


def test_resume_skip_and_redo_on_config_change(audio_dir, tmp_path):
    out = tmp_path / "feats"
    items = list_audio(audio_dir)
    extract_features(items, out, SMALL, progress=False)
    before = {p: os.stat(out / p).st_mtime_ns for p in ("a.npy", "b.npy")}
    (out / "b.npy").unlink()  # as if interrupted before b was written
    report = extract_features(items, out, SMALL, progress=False)
    assert (report.n_extracted, report.n_skipped) == (1, 3)
    assert os.stat(out / "a.npy").st_mtime_ns == before["a.npy"]
    changed = SMALL.replace(n_mels=32)
    report = extract_features(items, out, changed, progress=False)
    assert (report.n_extracted, report.n_skipped, report.config_changed) == (4, 0, True)
    assert np.load(out / "a.npy").shape[1] == 32
    assert extract_features(items, out, changed, progress=False).n_skipped == 4


def test_shards_and_parallel_give_the_same_features(audio_dir, tmp_path):
    items = list_audio(audio_dir)
    extract_features(items, tmp_path / "serial", SMALL, progress=False)
    first = extract_features(items, tmp_path / "sharded", SMALL, nj=2, shard=(1, 2), progress=False)
    assert first.n_inputs == 2 and first.n_table_rows == 2
    second = extract_features(items, tmp_path / "sharded", SMALL, nj=2, shard=(2, 2), progress=False)
    assert second.n_table_rows == 4
    assert read_feature_table(tmp_path / "serial") == read_feature_table(tmp_path / "sharded")
    for item in items:
        np.testing.assert_array_equal(np.load(tmp_path / "serial" / item.feature_name),
                                      np.load(tmp_path / "sharded" / item.feature_name))


def test_bad_files_are_reported_and_others_processed(audio_dir, tmp_path):
    (audio_dir / "corrupt.wav").write_bytes(b"RIFF....WAVEjunk")
    sf.write(audio_dir / "empty.wav", np.zeros(0), 22050)
    out = tmp_path / "feats"
    report = extract_features(list_audio(audio_dir), out, SMALL, progress=False)
    failures = dict(report.failures)
    assert set(failures) == {"corrupt.wav", "empty.wav"}
    assert "corrupt.wav: cannot read audio" in failures["corrupt.wav"]
    assert "empty.wav: empty audio (0 samples)" in failures["empty.wav"]
    assert report.n_extracted == 4 and report.n_table_rows == 4
    assert not (out / "corrupt.npy").exists() and not (out / "empty.npy").exists()


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x", "1/2/3"):
        with pytest.raises(InputError):
            parse_shard(bad)


def test_stats_match_numpy_and_refuse_other_config(audio_dir, tmp_path):
    out = tmp_path / "feats"
    extract_features(list_audio(audio_dir), out, SMALL, progress=False)
    stats = compute_stats([out])
    frames = np.concatenate([np.load(p) for p in sorted(out.rglob("*.npy"))]).astype(np.float64)
    np.testing.assert_allclose(stats.mean, frames.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(stats.std, frames.std(axis=0), rtol=1e-6)
    assert stats.n_frames == len(frames) and stats.n_clips == 4
    save_stats(stats, out / "stats.npz")
    assert load_stats(out / "stats.npz", SMALL).n_frames == len(frames)
    with pytest.raises(InputError, match="another config"):
        load_stats(out / "stats.npz", SMALL.replace(n_mels=41))


def test_segments_and_linear_spectrogram(audio_dir, tmp_path):
    table = tmp_path / "segments.tsv"
    table.write_text("filename\tpath\tstart_s\tduration_s\n"
                     f"a_00.wav\t{audio_dir / 'a.wav'}\t0.0\t1.0\n"
                     f"a_01.wav\t{audio_dir / 'a.wav'}\t0.5\t1.0\n")
    items = list_audio(table)
    assert (items[1].start_s, items[1].duration_s) == (0.5, 1.0)
    config = LogMelConfig(sample_rate=44100, n_fft=1024, win_length=1024, hop_length=512, filterbank="none",
                          power=1.0, log="log1p")
    extract_features(items, tmp_path / "out", config, progress=False)
    first, second = np.load(tmp_path / "out" / "a_00.npy"), np.load(tmp_path / "out" / "a_01.npy")
    assert first.shape == second.shape == (1 + 44100 // 512, 513)
    whole = load_audio(audio_dir / "a.wav", config)
    np.testing.assert_array_equal(load_audio(audio_dir / "a.wav", config, 0.5, 1.0), whole[22050:66150])
    expected = torch.log1p(torch.stft(torch.from_numpy(whole[22050:66150]), 1024, 512, window=torch.hann_window(1024),
                                      center=True, pad_mode="constant", return_complex=True).abs()).T.numpy()
    np.testing.assert_allclose(second, expected, atol=1e-4)
