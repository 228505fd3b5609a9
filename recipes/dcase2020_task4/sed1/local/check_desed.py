#!/usr/bin/env python3
"""Check that DESED_ROOT has the DESED 2020 layout; one line naming what is missing, exit 2."""
import sys
from pathlib import Path

REQUIRED = [
    "audio/train/synthetic20/soundscapes", "audio/train/weak", "audio/train/unlabel_in_domain", "audio/validation",
    "metadata/train/synthetic20/soundscapes.tsv", "metadata/train/weak.tsv", "metadata/validation/validation.tsv",
]


def main() -> int:
    root = Path(sys.argv[1])
    if not root.is_dir():
        print(f"--desed_root {root}: no such folder", file=sys.stderr)
        return 2
    missing = [path for path in REQUIRED if not (root / path).exists()]
    if missing:
        print(f"--desed_root {root}: not the DESED layout; missing {', '.join(missing)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
