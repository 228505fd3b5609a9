"""The ``sedkit`` dispatcher.

Each subcommand is a module ``sedkit.cli.<name>`` with ``add_arguments(parser)`` and ``run(args)``; it is
imported only when called, so ``sedkit --help`` and ``sedkit eval`` do not pay for torch. Exit status:
0 success, 2 bad usage or bad input (one line on stderr, no traceback), 1 runtime failure.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from sedkit import __version__
from sedkit.errors import InputError

# command words -> (module, one-line summary). Two-word commands are matched first.
# A module may hold several subcommands: "module:attribute" names an object with add_arguments/run.
COMMANDS: dict[str, tuple[str, str]] = {
    "eval event": ("sedkit.cli.eval_event", "event-based F1/ER, as sed_eval (collars, optimal matching)"),
    "eval segment": ("sedkit.cli.eval_segment", "segment-based F1/ER (sed_eval); mpAUC from scores"),
    "eval psds": ("sedkit.cli.eval_psds", "PSDS from operating points (psds_eval) or frame scores (sed_scores_eval)"),
    "eval tagging": ("sedkit.cli.eval_tagging", "clip-level tagging F1, mAP and ROC AUC (sed_scores_eval clip-based)"),
    "postprocess": ("sedkit.cli.postprocess", "frame scores -> events (thresholds, adaptive median filter)"),
    "synth": ("sedkit.cli.synth", "mix soundscapes with Scaper from a sound bank (DESED defaults)"),
    "soundbank": ("sedkit.cli.soundbank", "generate the built-in procedural sound bank (10 DESED classes)"),
    "make-mini-corpus": ("sedkit.cli.make_mini_corpus", "build the mini DESED-like corpus, or a classification one"),
    "make-bank-corpus": ("sedkit.cli.make_bank_corpus",
                         "your own recordings -> training, selection and evaluation sets (augmented synthesis)"),
    "domain-gap": ("sedkit.cli.domain_gap", "measure a generated corpus's domain gap with a frame-classifier probe"),
    "plot-domains": ("sedkit.cli.plot_domains", "draw one class in the synthetic and the real domain"),
    "train": ("sedkit.cli.train", "train a SED system (MT, DA, MT-DA, MMT-DA) or a clip classifier (LSR, MrKD, ...)"),
    "infer": ("sedkit.cli.infer", "detect events in recordings of any length with a model package (or checkpoint)"),
    "export": ("sedkit.cli.export", "a training checkpoint -> a model package (one network; optional ONNX)"),
    "results keep": ("sedkit.cli.results:keep", "keep the scores of a recipe's runs (no checkpoints) for RESULTS.md"),
    "results path": ("sedkit.cli.results:path", "the name of a run folder or a scored-set folder (one definition)"),
    "results": ("sedkit.cli.results", "write a recipe's RESULTS.md from its scored runs"),
    "prepare-corpus": ("sedkit.cli.prepare_corpus", "tables for DESED, GTZAN, TUT/TAU ASC or ESC-50 from your copy"),
    "split-labeled": ("sedkit.cli.split_labeled", "split a classification table into labelled / unlabelled groups"),
    "classify": ("sedkit.cli.classify", "score a labelled set with a trained clip classifier"),
    "features": ("sedkit.cli.features", "extract log-mel features from a folder or list of audio files"),
    "features stats": ("sedkit.cli.features_stats", "per-mel mean/std of feature folders (for normalisation)"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: sedkit COMMAND [options]   (sedkit COMMAND --help for its options)", "",
             "sedkit: sound event detection toolkit for DCASE", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def _resolve(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    if len(argv) >= 2 and f"{argv[0]} {argv[1]}" in COMMANDS:
        return f"{argv[0]} {argv[1]}", list(argv[2:])
    if argv and argv[0] in COMMANDS:
        return argv[0], list(argv[1:])
    return None


def build_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    """The argparse parser of subcommand ``name`` and its module."""
    module_name, _, attribute = COMMANDS[name][0].partition(":")
    module = importlib.import_module(module_name)
    if attribute:
        module = getattr(module, attribute)
    doc = (module.__doc__ or COMMANDS[name][1]).strip()
    parser = argparse.ArgumentParser(prog=f"sedkit {name}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        print(f"sedkit {__version__}")
        return 0
    resolved = _resolve(argv)
    group = [name for name in COMMANDS if name.startswith(argv[0] + " ")]
    if resolved is None and group:
        print(f"usage: sedkit {argv[0]} {{{','.join(n.split()[1] for n in group)}}} [options]", file=sys.stderr)
        for name in group:
            print(f"  {name:<16}  {COMMANDS[name][1]}", file=sys.stderr)
        return 0 if argv[1:2] in (["-h"], ["--help"]) else 2
    if resolved is None:
        print(f"sedkit: unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    name, rest = resolved
    parser, module = build_parser(name)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return int(exc.code or 0)
    try:
        return int(module.run(args) or 0)
    except InputError as exc:
        print(f"sedkit {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sedkit {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
