"""Options and start-up shared by the config-driven batch commands (`sedkit features`, `sedkit synth`)."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Tuple, Type


def add_job_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--config, --set, --nj, --shard, --dump-config and --no-progress for a job configured by ``what``."""
    parser.add_argument("--config", metavar="YAML", help=f"{what} (YAML)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override fields, e.g. --set n_mels=64")
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--shard", default="1/1", metavar="K/N", help="process only shard K of N (default 1/1)")
    parser.add_argument("--dump-config", action="store_true", help=f"print the resolved {what} as YAML and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def start_job(config_class: Type, args: argparse.Namespace, positionals: str,
              *values) -> Optional[Tuple[object, tuple]]:
    """Load the config; print it and return None for --dump-config; else check the positional arguments
    and --nj and return (config, shard)."""
    from sedkit.config import dump_yaml, load_config, to_dict
    from sedkit.errors import InputError
    from sedkit.parallel import check_jobs, parse_shard

    config = load_config(config_class, args.config, args.overrides)
    if args.dump_config:
        sys.stdout.write(dump_yaml(to_dict(config)))
        return None
    if any(value is None for value in values):
        raise InputError(f"{positionals} are required (or --dump-config)")
    check_jobs(args.nj)
    return config, parse_shard(args.shard)
