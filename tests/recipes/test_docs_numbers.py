"""Numbers written in the recipes' comments and in the Makefile that come from code or configs: checked here, so
that a change of the code or the config that makes them wrong fails a test instead of leaving them to drift."""
import re
from pathlib import Path

from sedkit.config import load_yaml

REPO = Path(__file__).resolve().parents[2]
SED1 = REPO / "recipes" / "dcase2020_task4" / "sed1"
OWN = REPO / "recipes" / "own_bank" / "sed1"


def _steps(config: Path) -> int:
    data = load_yaml(config)
    return int(data["run"]["epochs"]) * int(data["data"]["steps_per_epoch"])


def test_sed1_corpus_size_and_steps():
    from sedkit.data.mini_corpus import MINI_SETS

    text = (SED1 / "run.sh").read_text()
    clips = int(re.search(r"mini_scale=1\.0 .*\(1\.0: (\d+) clips\)", text).group(1))
    assert clips == sum(s.clips for s in MINI_SETS)
    steps = _steps(SED1 / "conf" / "train_mini.yaml")
    assert re.findall(r"converging mini config:? \(?(\d+) steps", text) == [str(steps)] * 2
    comment = (SED1 / "conf" / "train_mini.yaml").read_text()
    assert f'= {steps} steps' in comment
    assert f"with the mini config ({steps} steps)" in (REPO / "Makefile").read_text()


def test_own_bank_corpus_size_and_steps():
    from sedkit.data.bank_corpus import BankCorpusConfig

    config = BankCorpusConfig()
    text = (OWN / "run.sh").read_text()
    assert (f"(1.0: {config.train_clips} + {config.plain_clips} training, {config.selection_clips} selection, "
            f"{config.eval_clips} evaluation soundscapes)") in text
    assert f"({_steps(OWN / 'conf' / 'train.yaml')} steps of 24 clips)" in (OWN / "conf" / "train.yaml").read_text()
    assert load_yaml(OWN / "conf" / "train.yaml")["data"]["batch_strong"] == 24


def test_mini_crnn_parameter_count_in_the_docs():
    """The mini CRNN's size as the config builds it (trainable parameters of one network, in thousands), where
    conf/train_mini.yaml's comment and the docs state it."""
    from sedkit.config import load_config
    from sedkit.models.registry import count_parameters
    from sedkit.training.sed import SEDExperimentConfig

    config = load_config(SEDExperimentConfig, SED1 / "conf" / "train_mini.yaml")
    thousands = f"{round(count_parameters(config.build_network()) / 1000)}k"
    assert f"({thousands} parameters per network" in (SED1 / "conf" / "train_mini.yaml").read_text()
    assert f"| {thousands} parameters a network, for 2 cores |" in (REPO / "docs" / "training.md").read_text()
    assert f"{thousands}-parameter CRNN" in (REPO / "docs" / "recipes.md").read_text()
    assert f"{thousands}-parameter CRNN" in (REPO / "docs" / "papers.md").read_text()
