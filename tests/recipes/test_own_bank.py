"""recipes/own_bank/sed1/run.sh end to end on the real-recording dev bank, tiny settings, in a temporary copy.

Needs the dev bank (../shared/real-dev-bank/bank beside the repository, or SEDKIT_DEV_BANK); skips otherwise."""
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BANK = Path(os.environ.get("SEDKIT_DEV_BANK", REPO.parent / "shared" / "real-dev-bank" / "bank"))
TINY = ["--scale", "0.02", "--seeds", "1", "--systems", "bank source_only",
        "--train_args", "run.epochs=1 data.steps_per_epoch=5"]

pytestmark = pytest.mark.skipif(not (BANK / "train").is_dir(),
                                reason=f"the real-recording dev bank is not at {BANK} (set SEDKIT_DEV_BANK)")


def test_every_conf_loads_strictly():
    from sedkit.config import load_config
    from sedkit.features.logmel import LogMelConfig
    from sedkit.training.sed import SEDExperimentConfig

    recipe = REPO / "recipes" / "own_bank" / "sed1"
    assert load_config(LogMelConfig, recipe / "conf" / "features.yaml").f_max == 8000.0
    for system in sorted((recipe / "conf" / "systems").glob("*.yaml")):
        config = load_config(SEDExperimentConfig, [recipe / "conf" / "train.yaml", recipe / "conf" / "augment.yaml",
                                                   system])
        assert config.system.name == "supervised"
        assert config.augment.enabled == (system.stem not in ("source_only", "synth_aug"))
        assert (config.augment.filter_db == 0) == (system.stem in ("source_only", "synth_aug", "bank_no_filter"))
        assert (config.augment.gain_db == 0) == (system.stem in ("source_only", "synth_aug", "bank_no_gain"))


def test_dev_benchmark_end_to_end(tmp_path, copy_recipe, run_recipe):
    from sedkit.inference import Detector

    recipe = copy_recipe(tmp_path, "own_bank/sed1")
    result = run_recipe(recipe, "--soundbank_dir", str(BANK / "train"), "--eval_soundbank_dir", str(BANK / "test"),
                        *TINY)
    del result
    assert (recipe / "dump" / "stats.npz").exists() and (recipe / "data" / "corpus" / "classes.txt").exists()
    assert (recipe / "exp" / "bank_seed1" / "detector.pt").exists() and (recipe / "RESULTS.md").exists()
    # trained on the augmented set / the plain one, selected on soundscapes of the training recordings
    assert "train_synth/strong.tsv" in (recipe / "exp" / "bank_seed1" / "config.yaml").read_text()
    assert "train_synth_plain/strong.tsv" in (recipe / "exp" / "source_only_seed1" / "config.yaml").read_text()
    for run in ("bank_seed1", "source_only_seed1"):
        for scored in ("validation", "validation-16k", "validation-44k", "validation-20db", "validation-10db"):
            event = json.loads((recipe / "exp" / run / f"decode_{scored}" / "event.json").read_text())
            classes = (recipe / "data" / "corpus" / "classes.txt").read_text().split()
            assert sorted(event["per_class"]) == sorted(classes)
            assert "clip_counts" in event
    results = (recipe / "RESULTS.md").read_text()
    rows = [line for line in results.splitlines() if line.startswith("| validation-16k | bank |")]
    assert len(rows) == 1 and rows[0].count("[") == 1  # a paired interval against the reported set
    assert "## Event-based F1 per class" in results and "| Rooster |" in results
    detector = Detector.load(recipe / "exp" / "bank_seed1" / "detector.pt")
    assert detector.classes[0] == "Baby_crying" and detector.package.provenance["system"] == "supervised"
