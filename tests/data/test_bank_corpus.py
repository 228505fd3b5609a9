"""make-bank-corpus: what a user's bank may hold (one line each, exit 2, or handled and logged), the sets it
makes, and the variants of the evaluation set."""
import numpy as np
import pytest
import soundfile as sf

from sedkit.cli.main import main


def _bank(root, classes=("Bark", "Bell"), per_class=3, rate=16000, backgrounds=("street",)):
    rng = np.random.default_rng(0)
    for label in classes:
        (root / "foreground" / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            sf.write(root / "foreground" / label / f"{label}_{i}.wav", rng.normal(0, 0.2, rate // 2), rate)
    for label in backgrounds:
        (root / "background" / label).mkdir(parents=True, exist_ok=True)
        sf.write(root / "background" / label / "bg.wav", rng.normal(0, 0.01, rate * 12), rate)
    return root


def _check(bank, capsys, *extra):
    code = main(["make-bank-corpus", "unused", "--soundbank", str(bank), "--check", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_handled_and_logged(tmp_path, capsys):
    bank = _bank(tmp_path / "bank")
    (bank / "foreground" / "Bark" / "notes.txt").write_text("recorded in the park")
    sf.write(bank / "foreground" / "Bell" / "stereo.wav", np.zeros((8000, 2)), 44100)  # another rate, stereo
    evaluation = _bank(tmp_path / "eval", per_class=1)
    code, out, _ = _check(bank, capsys, "--eval-soundbank", str(evaluation))
    assert code == 0
    assert "7 event recordings in 2 classes (3-4 a class)" in out
    assert "sample rates 16000 Hz (7), 44100 Hz (1): resampled" in out
    assert "1 multi-channel files: mixed down to mono" in out
    assert f"ignored 1 files that are not audio (e.g. {bank / 'foreground' / 'Bark' / 'notes.txt'})" in out
    assert not (tmp_path / "unused").exists()  # --check writes nothing


def test_one_recording_class_is_a_warning_with_an_eval_bank(tmp_path, capsys):
    bank = _bank(tmp_path / "bank", per_class=1)
    code, out, _ = _check(bank, capsys, "--eval-soundbank", str(_bank(tmp_path / "eval")))
    assert code == 0 and "warning: one training recording only for Bark, Bell" in out
    # without an evaluation bank the bank must be split by file: one recording cannot be
    code, _, err = _check(bank, capsys)
    assert code == 2 and err.count("\n") == 1
    assert "Bark: one clip only; a bank split into training and evaluation sources needs at least 2" in err


@pytest.mark.parametrize("damage, message", [
    (lambda b: [p.unlink() for p in (b / "background" / "street").iterdir()], "label 'street' has no clips"),
    (lambda b: (b / "foreground" / "Bark" / "Bark_0.wav").write_bytes(b"RIFF not really"), "cannot read audio"),
    (lambda b: (b / "background" / "street" / "bg.wav").unlink() or (b / "background" / "street").rmdir(),
     "no <label>/ sub-folders"),
])
def test_unusable_banks_are_one_line(tmp_path, capsys, damage, message):
    bank = _bank(tmp_path / "bank")
    damage(bank)
    code, _, err = _check(bank, capsys)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_eval_class_without_training_recordings(tmp_path, capsys):
    code, _, err = _check(_bank(tmp_path / "bank"), capsys, "--eval-soundbank",
                          str(_bank(tmp_path / "eval", classes=("Bark", "Owl"))))
    assert code == 2 and "class 'Owl' has no training recordings" in err


def test_sets_and_variants(tmp_path):
    from sedkit.data.bank_corpus import BankCorpusConfig, make_bank_corpus
    from sedkit.io import read_events

    config = BankCorpusConfig(train_clips=3, plain_clips=2, selection_clips=2, eval_clips=3)
    lines = []
    make_bank_corpus(tmp_path / "c", _bank(tmp_path / "bank"), _bank(tmp_path / "eval"), config, log=lines.append)
    out = tmp_path / "c"
    assert (out / "classes.txt").read_text() == "Bark\nBell\n"
    counts = {name: len(list((out / name / "audio").glob("*.wav"))) for name in
              ("train_synth", "train_synth_plain", "validation_synth", "validation", "validation-16k",
               "validation-44k", "validation-20db", "validation-10db")}
    assert counts == {"train_synth": 3, "train_synth_plain": 2, "validation_synth": 2, "validation": 3,
                      "validation-16k": 3, "validation-44k": 3, "validation-20db": 3, "validation-10db": 3}
    name = sorted((out / "validation" / "audio").glob("*.wav"))[0].name
    original, rate = sf.read(out / "validation" / "audio" / name)
    assert sf.info(out / "validation-16k" / "audio" / name).samplerate == 16000
    assert sf.info(out / "validation-44k" / "audio" / name).samplerate == 44100
    quiet, _ = sf.read(out / "validation-20db" / "audio" / name)
    # -20 dB is a tenth of the amplitude (within the 16-bit quantisation of both files)
    np.testing.assert_allclose(quiet, original / 10, atol=2 / 32768)
    same = read_events(out / "validation" / "strong.tsv").files
    assert read_events(out / "validation-16k" / "strong.tsv").files == same
    # augmented synthesis: pitch shift and time stretch drawn per event, a level per clip
    import yaml

    spec = yaml.safe_load((out / "train_synth" / "synth.yaml").read_text())
    assert spec["pitch_shift_semitones"] == [-2.0, 2.0] and spec["time_stretch"] == [0.8, 1.2]
    assert spec["ref_db_range"] == [-50.0, -20.0] and spec["snr_db"] == [0.0, 30.0]
    plain = yaml.safe_load((out / "train_synth_plain" / "synth.yaml").read_text())
    assert plain["pitch_shift_semitones"] is None and plain["ref_db_range"] is None
