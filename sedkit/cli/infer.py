"""Run a trained SED model: frame scores per clip and a DCASE predictions table.

Input is a feature folder made with the checkpoint's feature config (--features), or audio (--audio: a
folder, a file or a wav.tsv; features computed on the fly from whole files). Writes OUT/scores/<clip>.tsv
(sed_scores_eval format, for `sedkit eval psds --scores`), OUT/predictions.tsv (threshold and the
per-class median windows stored in the checkpoint) and OUT/median_windows.yaml.

--list-networks prints the checkpoint's networks that can be scored, one a line, the one it evaluated first
(MMT-DA: da_teacher da_student ssl_student ssl_teacher), for scoring every student and teacher.

examples:
  sedkit infer --checkpoint exp/mmt_da/checkpoints/best.pt --features dump/validation --out exp/mmt_da/decode_validation
  sedkit infer --checkpoint exp/mmt_da/checkpoints/best.pt --list-networks
  sedkit infer --checkpoint best.pt --audio my_recordings/ --out tagged/
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, metavar="CKPT", help="checkpoint from sedkit train")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--features", metavar="DIR", help="feature folder (sedkit features)")
    source.add_argument("--audio", metavar="PATH", help="audio folder, file or wav.tsv")
    parser.add_argument("--out", metavar="DIR", help="output folder")
    parser.add_argument("--list-networks", action="store_true",
                        help="print the checkpoint's scorable networks (the evaluated one first) and exit")
    parser.add_argument("--network", help="which network of the checkpoint (default: the one it evaluated)")
    parser.add_argument("--threshold", type=float, help="decision threshold (default: the training config's)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sedkit.errors import InputError
    from sedkit.training.sed import checkpoint_networks, infer

    if args.list_networks:
        print("\n".join(checkpoint_networks(args.checkpoint)))
        return 0
    if not (args.features or args.audio) or not args.out:
        raise InputError("give --features DIR or --audio PATH, and --out DIR (or --list-networks)")

    summary = infer(args.checkpoint, args.out, features_dir=args.features, audio=args.audio, network=args.network,
                    device=args.device, threshold=args.threshold, batch_size=args.batch_size,
                    progress=False if args.no_progress else None)
    print(f"{args.out}: {summary['clips']} clips, {summary['events']} events (network {summary['network']}, "
          f"threshold {summary['threshold']:g}); scores in {args.out}/scores, events in {args.out}/predictions.tsv")
    return 0
