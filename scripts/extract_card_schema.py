"""Copy the official Adaptive Card 1.4 schema from ../shared/data/schemas into tests/data/schemas.

The tests validate every `teams_adaptive` card against it, and must run from a plain clone (without ../shared),
so the schema is committed under tests/data. Run from the repository root: `python scripts/extract_card_schema.py`;
`--check` exits 1 instead of writing when the committed copy differs from the source.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "schemas" / "adaptive-card-1.4.0.json"
TARGET = ROOT / "tests" / "data" / "schemas" / "adaptive-card-1.4.0.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when the copy is stale")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"source schema not found: {args.source}", file=sys.stderr)
        return 2
    text = args.source.read_text(encoding="utf-8")
    schema = json.loads(text)  # refuse to copy something that is not JSON
    if schema.get("$schema") != "http://json-schema.org/draft-06/schema#":
        print(f"unexpected $schema {schema.get('$schema')!r}: the tests expect draft-06", file=sys.stderr)
        return 2
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale; run scripts/extract_card_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
