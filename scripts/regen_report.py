"""Regenerate the report's golden files and the `make demo` example, then review the diff.

    python scripts/regen_report.py            # tests/data/reports/*.md|json from tests/report/cases.py
    python scripts/regen_report.py --demo     # also examples/demo/event.json (needs ../shared beside the checkout)

The demo event is the real `workflow_run` example from @octokit/webhooks-examples 7.6.1
(../shared/data/github/webhook-examples.json, first `completed` example), turned into a failed run of the
"CI" workflow on pull request #42 so the report has a PR to talk about.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "github" / "webhook-examples.json"
DEMO = ROOT / "examples" / "demo"


def demo_event() -> dict[str, Any]:
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    example = next(e for e in data if e["name"] == "workflow_run")["examples"][0]
    event = copy.deepcopy(example)
    run = event["workflow_run"]
    repo = event["repository"]
    run.update(
        name="CI",
        conclusion="failure",
        status="completed",
        head_branch="fix-lexer-escapes",
        run_attempt=1,
        display_title="Lexer: handle escaped newlines",
        head_repository=copy.deepcopy(repo),
        pull_requests=[
            {
                "url": f"https://api.github.com/repos/{repo['full_name']}/pulls/42",
                "id": 1,
                "number": 42,
                "head": {"ref": "fix-lexer-escapes", "sha": run["head_sha"], "repo": {"id": repo["id"]}},
                "base": {"ref": repo.get("default_branch", "main"), "sha": "0" * 40, "repo": {"id": repo["id"]}},
            }
        ],
    )
    run["head_commit"]["message"] = "Lexer: handle escaped newlines"
    event["workflow"]["name"] = "CI"
    return event


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    if "--demo" in argv:
        if not SOURCE.is_file():
            sys.exit(f"{SOURCE} not found: run this from a checkout with ../shared beside it")
        (DEMO / "event.json").write_text(json.dumps(demo_event(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {DEMO / 'event.json'}")
    from tests.report.cases import write_goldens

    for path in write_goldens():
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
