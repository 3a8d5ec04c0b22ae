"""Re-record the slash-command cassettes against the local stand-in: `python -m tests.commands.record [name...]`.

Writes tests/cassettes/commands/<scenario>.yaml. Same recorder settings as the delivery cassettes
(tests/fakegithub/record.py): the random local port is rewritten to a fixed GHES-style URL, Authorization is
scrubbed, and volatile headers are dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.commands import scenarios
from tests.commands.standin import CommandsGitHub
from tests.fakegithub.record import make_vcr

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "commands"


def cassette_path(name: str) -> Path:
    return CASSETTES / f"{name}.yaml"


def record(name: str) -> None:
    app = CommandsGitHub()
    url = app.start("/api/v3")
    try:
        comments = scenarios.setup(name, app)
        path = cassette_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        with make_vcr("all", app.root_url).use_cassette(str(path)):
            handled = scenarios.run(name, url, comments)
    finally:
        app.stop()
    print(f"{name}: {[h.status for h in handled]}, reruns {app.reruns}, dispatches {len(app.dispatches)} -> {path}")


def main(argv: list[str]) -> int:
    for name in argv or list(scenarios.SCENARIOS):
        record(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
