import numpy as np
import pytest
import yaml

from sedkit.cli.main import main


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    return lines[0]


def test_extract_resume_and_stats(audio_dir, tmp_path, capsys):
    out = tmp_path / "feats"
    args = ["features", str(audio_dir), str(out), "--set", "n_mels=32", "hop_length=512", "--no-progress"]
    assert main(args) == 0
    assert "4 extracted, 0 already done, 0 failed" in capsys.readouterr().out
    assert main(args + ["--nj", "2"]) == 0
    assert "0 extracted, 4 already done" in capsys.readouterr().out
    assert np.load(out / "a.npy").shape[1] == 32
    assert main(["features", "stats", str(out), "--plot", str(tmp_path / "stats.png"), "--no-progress"]) == 0
    assert (out / "stats.npz").exists() and (tmp_path / "stats.png").stat().st_size > 0


def test_dump_config_roundtrip(tmp_path, capsys):
    assert main(["features", "--dump-config", "--set", "n_mels=64"]) == 0
    dumped = yaml.safe_load(capsys.readouterr().out)
    assert dumped["n_mels"] == 64 and dumped["hop_length"] == 431 and dumped["sample_rate"] == 22050
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(dumped))
    assert main(["features", "--dump-config", "--config", str(tmp_path / "c.yaml")]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == dumped


@pytest.mark.parametrize("make_args, expected", [
    (lambda d, t: ["features", str(t / "nowhere"), str(t / "o")], "nowhere: no such file or folder"),
    (lambda d, t: ["features", str(d), str(t / "o"), "--set", "n_melz=3"], "unknown key n_melz"),
    (lambda d, t: ["features", str(d), str(t / "o"), "--set", "n_mels=x"], "n_mels: expected an integer"),
    (lambda d, t: ["features", str(d), str(t / "o"), "--config", str(t / "no.yaml")], "no such config file"),
    (lambda d, t: ["features", str(d), str(t / "o"), "--shard", "3/2"], "need 1 <= K <= N"),
    (lambda d, t: ["features", "stats", str(t / "nowhere")], "not a feature folder"),
])
def test_bad_input_exits_2_with_one_line(audio_dir, tmp_path, capsys, make_args, expected):
    assert main(make_args(audio_dir, tmp_path)) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("sedkit features") and expected in line


def test_wrong_option_is_usage_error(capsys):
    assert main(["features", "--frobnicate"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err


def test_corrupt_file_fails_with_summary_but_others_done(audio_dir, tmp_path, capsys):
    (audio_dir / "bad.wav").write_bytes(b"not audio at all")
    out = tmp_path / "feats"
    assert main(["features", str(audio_dir), str(out), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"{audio_dir / 'bad.wav'}: cannot read audio" in captured.err
    assert "1 of 5 clips failed" in captured.err
    assert "4 extracted" in captured.out
    assert not (out / "bad.npy").exists()
