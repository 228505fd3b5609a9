"""recipes/utils/keep_scores.sh: the small outputs of scored runs, in the same layout; no checkpoints."""
import os
import subprocess
import sys
from pathlib import Path

from sedkit.reporting import collect_results

SCRIPT = Path(__file__).resolve().parents[2] / "recipes" / "utils" / "keep_scores.sh"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # sedkit


def test_keeps_scored_runs_without_checkpoints(tmp_path):
    exp = tmp_path / "exp"
    scored = exp / "da_seed1"
    (scored / "checkpoints").mkdir(parents=True)
    (scored / "checkpoints" / "best.pt").write_bytes(b"weights")
    (scored / "config.yaml").write_text("run: {seed: 1}\n")
    (scored / "metrics.csv").write_text("epoch,time_s\n1,60\n")
    decode = scored / "decode_validation"
    (decode / "scores").mkdir(parents=True)
    (decode / "scores" / "clip.tsv").write_text("frame scores\n")
    (decode / "event.json").write_text('{"macro": {"f1": 0.25}, "micro": {"f1": 0.3}}')
    (decode / "f1.png").write_bytes(b"png")
    (decode / "event.txt").write_text("table\n")
    (scored / "train.log").write_text("log\n")
    other = scored / "decode_validation_teacher"  # another network's decode: scores kept, plots not
    other.mkdir()
    (other / "event.json").write_text('{"macro": {"f1": 0.2}, "micro": {"f1": 0.2}}')
    (other / "f1.png").write_bytes(b"png")
    training = exp / "da_seed2"
    training.mkdir()
    (training / "config.yaml").write_text("run: {seed: 2}\n")
    ensemble = exp / "ensemble_seed0" / "eval_test"  # scored from other runs' checkpoints: no config.yaml
    ensemble.mkdir(parents=True)
    (ensemble / "metrics.json").write_text('{"accuracy": 0.5}')
    (exp / "notes").mkdir()  # neither a run nor scored: skipped silently
    result = subprocess.run(["bash", str(SCRIPT), str(exp), str(tmp_path / "kept")], capture_output=True, text=True,
                            env=ENV)
    assert result.returncode == 0, result.stderr
    assert "da_seed2: not scored yet, left out" in result.stderr and "kept the scores of 2 runs" in result.stderr
    assert (tmp_path / "kept" / "ensemble_seed0" / "eval_test" / "metrics.json").exists()
    assert "notes" not in result.stderr and not (tmp_path / "kept" / "notes").exists()
    kept = tmp_path / "kept" / "da_seed1"
    assert (kept / "config.yaml").exists() and (kept / "decode_validation" / "event.json").exists()
    assert (kept / "decode_validation" / "f1.png").exists()
    assert not (kept / "checkpoints").exists() and not (kept / "decode_validation" / "scores").exists()
    # Only what RESULTS.md is written from (docs/recipes.md): no logs, text tables or other networks' plots.
    assert not (kept / "train.log").exists() and not (kept / "decode_validation" / "event.txt").exists()
    assert (kept / "decode_validation_teacher" / "event.json").exists()
    assert not (kept / "decode_validation_teacher" / "f1.png").exists()
    assert not (tmp_path / "kept" / "da_seed2").exists()
    [result_da] = collect_results(tmp_path / "kept", ["da"], [1, 2])
    assert result_da.seeds == [1] and result_da.train_minutes == [1.0]


def test_missing_experiment_folder(tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "nope"), str(tmp_path / "kept")],
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 2 and "no such experiment folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "kept").exists()
