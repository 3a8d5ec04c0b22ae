"""Write docs/error-codes.md from the table in nexus_action/errors.py; `--check` exits 1 when it is stale."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.errors import error_codes_markdown  # noqa: E402

DOC_PATH = ROOT / "docs" / "error-codes.md"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if not DOC_PATH.is_file() or DOC_PATH.read_text(encoding="utf-8") != error_codes_markdown():
            print(f"{DOC_PATH.relative_to(ROOT)} is stale: run python scripts/generate_error_codes.py")
            return 1
        return 0
    DOC_PATH.write_text(error_codes_markdown(), encoding="utf-8")
    print(f"wrote {DOC_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
