"""The one decoder's three callers: validation during training, sedkit infer and sedkit postprocess (with a
package's thresholds and windows) give the same events on the same scores."""
from sedkit.io import read_events


def test_validation_infer_and_postprocess_agree(tiny_checkpoint, tiny_corpus, tmp_path):
    from sedkit.cli.main import main
    from sedkit.inference.package import write_package
    from sedkit.metrics.event_based import event_based_metrics
    from sedkit.training.checkpoint import read_checkpoint
    from sedkit.training.export import package_from_checkpoint
    from sedkit.training.sed import SEDTask, infer
    from tests.training.conftest import tiny_config

    infer(tiny_checkpoint, tmp_path / "dec", features_dir=tiny_corpus / "feats" / "validation", device="cpu")
    package = write_package(package_from_checkpoint(tiny_checkpoint), tmp_path / "d.pt")
    assert main(["postprocess", str(tmp_path / "dec" / "scores"), str(tmp_path / "pp.tsv"), "--model", str(package),
                 "--no-progress"]) == 0
    by_infer, by_postprocess = read_events(tmp_path / "dec" / "predictions.tsv"), read_events(tmp_path / "pp.tsv")
    rows = lambda t: sorted(zip(t.filename, t.onset.round(6), t.offset.round(6), t.label))  # noqa: E731
    assert rows(by_infer) == rows(by_postprocess) and len(rows(by_infer)) > 0

    config = tiny_config(tiny_corpus, system={"name": "supervised"}, run={"epochs": 2},
                         data={"batch_weak": 0, "batch_unlabel": 0})
    config.postprocess.threshold = 0.3
    task = SEDTask(config, tmp_path / "task")
    task.system.load_state_dict(read_checkpoint(tiny_checkpoint)["model"])
    import torch

    validated = task.validate(torch.device("cpu"))["event_macro_f1"]
    reference = read_events(tiny_corpus / "validation" / "strong.tsv")
    scored = event_based_metrics(reference, by_infer, classes=["noise", "tone"])
    assert abs(validated - scored.macro["f1"]) < 1e-12
