"""Make a model package from a training checkpoint: one file with exactly what inference needs.

The package holds one network (default: the one the experiment evaluated; --network another), its model and
feature configs, the normalisation statistics, the classes, the frame hop, per-class thresholds (the training
config's, or --thresholds T.yaml, e.g. tuned with `sedkit postprocess --thresholds best-f1` on a development
set) and median windows (the run's, or --median-windows W.yaml), and where it comes from. Loading it runs no
code (docs/inference.md). --onnx also writes the network as ONNX with the same metadata (needs
`pip install 'sedkit[onnx]'`).

examples:
  sedkit export exp/bank_seed1/checkpoints/best.pt exp/bank_seed1/detector.pt
  sedkit export exp/mmt_da_seed1/checkpoints/best.pt mmt.pt --network da_student --onnx mmt.onnx
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint from sedkit train")
    parser.add_argument("output", metavar="OUT", help="model package to write")
    parser.add_argument("--network", help="which network of the checkpoint (default: the one it evaluated)")
    parser.add_argument("--thresholds", metavar="T.yaml", help="per-class thresholds (class: value)")
    parser.add_argument("--median-windows", metavar="W.yaml", help="per-class median windows in seconds")
    parser.add_argument("--corpus", help="a line saying what the model was trained on (kept in the package)")
    parser.add_argument("--onnx", metavar="OUT.onnx", help="also write the network as ONNX")


def run(args: argparse.Namespace) -> int:
    import os

    from sedkit.inference.package import write_package
    from sedkit.postprocess.median import read_class_values
    from sedkit.training.export import package_from_checkpoint
    from sedkit.training.sed import checkpoint_networks

    classes = None
    thresholds = windows = None
    if args.thresholds or args.median_windows:
        from sedkit.config import from_dict
        from sedkit.training.checkpoint import read_checkpoint
        from sedkit.training.sed import SEDExperimentConfig

        classes = from_dict(SEDExperimentConfig, read_checkpoint(args.checkpoint)["config"]).data.classes
        thresholds = read_class_values(args.thresholds, classes, "threshold") if args.thresholds else None
        windows = read_class_values(args.median_windows, classes, "median window") if args.median_windows else None
    if args.network:
        available = checkpoint_networks(args.checkpoint)
        if args.network not in available:
            from sedkit.errors import InputError

            raise InputError(f"{args.checkpoint}: no network {args.network!r}; it has {', '.join(available)}")
    package = package_from_checkpoint(args.checkpoint, args.network, thresholds, windows, args.corpus)
    path = write_package(package, args.output)
    print(f"{path}: {package.provenance['network']} of {package.provenance['system']} "
          f"(step {package.provenance['step']}), {len(package.classes)} classes, "
          f"{os.path.getsize(path) / 1024:.0f} KiB")
    if args.onnx:
        from sedkit.inference.onnx import export_onnx

        onnx_path = export_onnx(package, args.onnx)
        print(f"{onnx_path}: ONNX, {os.path.getsize(onnx_path) / 1024:.0f} KiB")
    return 0
