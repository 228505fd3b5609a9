"""Score a labelled set with a trained clip classifier (task: classification).

Several checkpoints are scored as their ensemble (mean of the probabilities).
Writes OUT/probabilities.tsv, OUT/metrics.json (accuracy, clip error, group error, per-class accuracy,
confusion matrix) and OUT/confusion.png. A Cut^nMix checkpoint is scored with its peer 1; metrics.json also
lists every peer's accuracy and their mean ("peers").

example:
  sedkit classify --checkpoint exp/lsr_os_tc_nnet1_seed1/checkpoints/best.pt --features dump/all \\
      --labels data/test.tsv --out exp/lsr_os_tc_nnet1_seed1/eval_test
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, nargs="+",
                        help="checkpoint(s); several are scored as an ensemble (mean probabilities)")
    parser.add_argument("--features", required=True, help="feature folder holding the clips")
    parser.add_argument("--labels", required=True, help="filename, label [, group] table")
    parser.add_argument("--out", required=True)
    parser.add_argument("--group-decision", choices=("mean", "vote"), help="default: the training config's")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")


def run(args: argparse.Namespace) -> int:
    from sedkit.training.classification import evaluate_checkpoint

    m = evaluate_checkpoint(args.checkpoint, args.features, args.labels, args.out, args.group_decision, args.device)
    print(f"{args.out}: {m['n_clips']} clips, accuracy {100 * m['accuracy']:.2f} %, clip error "
          f"{100 * m['clip_error']:.2f} %, group error {100 * m['group_error']:.2f} % ({m['n_groups']} groups)")
    if "peers" in m:
        print(f"{args.out}: peers' accuracy " + ", ".join(f"{100 * a:.2f}" for a in m["peers"]["accuracy"])
              + f" %, mean of peers {100 * m['peers']['mean_accuracy']:.2f} %")
    return 0
