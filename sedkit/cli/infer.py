"""Detect events in your recordings with a trained model, or score a feature folder.

--model PKG (a model package from `sedkit export`, or its .onnx) with --audio PATH (a folder, a file or a
wav.tsv) scores recordings of any length: windows of the training clip length every --hop-s seconds (default
half a window), batched, overlapping frame scores merged (--merge mean or centre), each file read window by
window so an hour of audio needs no more memory than a minute. Writes OUT/scores/<recording>.tsv (frame scores
in the recording's time), OUT/predictions.tsv (events: the package's per-class thresholds and median windows,
or --threshold / --thresholds), OUT/tags.tsv (each class's highest score per recording), OUT/model.yaml and,
with --plot, OUT/plots/<recording>.png (log-mel, score curves, events). See docs/inference.md.

--checkpoint CKPT (a training checkpoint) works as before: with --features DIR (a feature folder made with the
checkpoint's feature config; what the recipes' stage 5 runs) or with --audio (the checkpoint's network made
into a package in memory, then as --model). --list-networks prints the checkpoint's networks that can be
scored, the one it evaluated first.

examples:
  sedkit infer --model exp/bank_seed1/detector.pt --audio my_recordings/ --out detections/ --plot
  sedkit infer --model detector.onnx --audio long_recording.wav --out out/ --hop-s 2.5 --merge centre
  sedkit infer --checkpoint exp/mmt_da/checkpoints/best.pt --features dump/validation --out exp/mmt_da/decode_validation
  sedkit infer --checkpoint exp/mmt_da/checkpoints/best.pt --list-networks
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--model", metavar="PKG", help="model package (sedkit export) or its .onnx")
    model.add_argument("--checkpoint", metavar="CKPT", help="checkpoint from sedkit train")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--features", metavar="DIR", help="with --checkpoint: a feature folder (sedkit features)")
    source.add_argument("--audio", metavar="PATH", help="audio folder, file or wav.tsv")
    parser.add_argument("--out", metavar="DIR", help="output folder")
    parser.add_argument("--list-networks", action="store_true",
                        help="print the checkpoint's scorable networks (the evaluated one first) and exit")
    parser.add_argument("--network", help="which network of the checkpoint (default: the one it evaluated)")
    thresholds = parser.add_mutually_exclusive_group()
    thresholds.add_argument("--threshold", type=float, help="one decision threshold for every class "
                                                            "(default: the package's, or the training config's)")
    thresholds.add_argument("--thresholds", metavar="T.yaml", help="per-class thresholds (class: value)")
    parser.add_argument("--hop-s", type=float, help="--audio: hop between windows in seconds (default: half a window)")
    parser.add_argument("--merge", choices=("mean", "centre"), default="mean",
                        help="--audio: how overlapping windows' frame scores are merged (default mean)")
    parser.add_argument("--plot", action="store_true", help="--audio: a PNG per recording in OUT/plots/")
    parser.add_argument("--reference", metavar="REF.tsv",
                        help="--plot: draw these reference events (a DCASE table) above the detected ones")
    parser.add_argument("--scores-only", action="store_true",
                        help="--features: write the frame scores only (a recipe decodes them in its next stage)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--batch-size", type=int, default=16, help="clips or windows per forward pass (default 16)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sedkit.errors import InputError

    if args.list_networks:
        if not args.checkpoint:
            raise InputError("--list-networks needs --checkpoint (a package holds one network)")
        from sedkit.training.sed import checkpoint_networks

        print("\n".join(checkpoint_networks(args.checkpoint)))
        return 0
    if not args.out or not (args.features or args.audio):
        raise InputError("give --audio PATH (or, with --checkpoint, --features DIR) and --out DIR")
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        raise InputError(f"--threshold {args.threshold}: must be in [0, 1]")
    if args.features:
        if args.model:
            raise InputError("--features needs --checkpoint (a package scores audio: give --audio)")
        from sedkit.training.sed import infer

        if args.thresholds:
            raise InputError("--thresholds: with --audio (feature folders are decoded by sedkit postprocess)")
        summary = infer(args.checkpoint, args.out, features_dir=args.features, network=args.network,
                        device=args.device, threshold=args.threshold, batch_size=args.batch_size,
                        progress=False if args.no_progress else None, scores_only=args.scores_only)
        written = "" if args.scores_only else f", events in {args.out}/predictions.tsv"
        print(f"{args.out}: {summary['clips']} clips, {summary['events']} events (network {summary['network']}, "
              f"threshold {summary['threshold']:g}); scores in {args.out}/scores{written}")
        return 0
    return _detect(args)


def _detect(args: argparse.Namespace) -> int:
    from sedkit.inference.batch import detect_recordings
    from sedkit.inference.detector import Detector, WindowConfig
    from sedkit.training.trainer import resolve_device

    window = WindowConfig(hop_s=args.hop_s, merge=args.merge, batch_size=args.batch_size)
    device = str(resolve_device(args.device))
    if args.model:
        if args.network:
            from sedkit.errors import InputError

            raise InputError("--network: a package holds one network (choose it with sedkit export --network)")
        detector = Detector.load(args.model, device, window)
    else:
        from sedkit.training.export import package_from_checkpoint

        detector = Detector(package_from_checkpoint(args.checkpoint, args.network), device, window)
    thresholds = args.threshold
    if args.thresholds:
        from sedkit.postprocess.median import read_class_values

        thresholds = read_class_values(args.thresholds, detector.classes, "threshold")
    if args.reference and not args.plot:
        from sedkit.errors import InputError

        raise InputError("--reference is drawn on the plots: give --plot too")
    summary = detect_recordings(detector, args.audio, args.out, thresholds=thresholds, plot=args.plot,
                                progress=False if args.no_progress else None, reference=args.reference)
    print(f"{args.out}: {summary['recordings']} recordings ({summary['seconds']:.1f} s), {summary['events']} events; "
          f"scores in {args.out}/scores, events in {args.out}/predictions.tsv, tags in {args.out}/tags.tsv")
    for picture in summary["plots"]:
        print(f"plot: {picture}")
    return 0
