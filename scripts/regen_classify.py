"""Regenerate the golden classifications: tests/data/logs/<case>.log -> <case>.classification.json.

Optional routing signals for a case live beside it in <case>.signals.json ({"workflow", "job", "step",
"changed_files"}). Run from the repository root, then review the diff:

    python scripts/regen_classify.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.classify import classify_log  # noqa: E402

LOGS = ROOT / "tests" / "data" / "logs"


def signals_for(log: Path) -> dict[str, Any]:
    path = log.with_suffix(".signals.json")
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def classify_case(log: Path) -> dict[str, Any]:
    return classify_log(log, **signals_for(log)).to_dict()


def main() -> int:
    for log in sorted(LOGS.glob("*.log")):
        golden = log.with_suffix(".classification.json")
        data = classify_case(log)
        golden.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        top = data["top_blocker"]
        print(
            f"{log.stem:<32} {data['domain']:<9} {data['kind']:<16} {data['failure_type']:<18} "
            f"top={top['log_line'] if top else None}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
