#!/usr/bin/env python3
"""Write generated tone/noise-burst clips (wav) for the demo and quick checks.

usage: data_prep/make_demo_audio.py OUT [--n-clips 20] [--sample-rate 44100] [--duration-s 10] [--seed 0]
"""
import argparse

from sedkit.data.signals import write_burst_clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--n-clips", type=int, default=20)
    parser.add_argument("--sample-rate", type=int, default=44100)
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    labels = write_burst_clips(args.out, args.n_clips, args.sample_rate, args.duration_s, args.seed)
    n_events = sum(map(len, labels.values()))
    print(f"{args.out}: {len(labels)} clips of {args.duration_s:g} s at {args.sample_rate} Hz, {n_events} events")


if __name__ == "__main__":
    main()
