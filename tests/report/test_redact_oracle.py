"""The redaction oracle: secrets of every family, planted where a report would pick them up, never come out.

Each family's secret (tests/report/planted_secrets.py: seeded, shapes from the providers' documented formats,
independent of the pattern file) is planted in a job log at the blocker line, next to it, split by ANSI colour
codes, after GitHub's timestamps, and at the 499th character of the blocker line (where the old cut fell). The
dry-run `report` command runs end to end over those logs; no output file, no decoded hidden state, no payload and
no stdout line may hold any secret or any 12-character piece of one. `detect-secrets` reads the outputs as a
second opinion. The raw classification (`redact=False`) must hold each secret, so the test cannot pass by
planting where nothing is read.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from nexus_action.classify import classify_log
from nexus_action.cli import main
from tests.report.planted_secrets import Planted, plant_all

SEED = 15
PIECE = 12
PLACEMENTS = ("blocker", "next", "ansi", "timestamp", "at499")
EVENT = Path(__file__).parents[1] / "data" / "events" / "derived" / "workflow_run.failed_on_pr.json"
_STATE = re.compile(r"<!-- nexus:[a-z][a-z0-9_-]* v\d+ ([A-Za-z0-9+/=]+) -->")
PLANTED = plant_all(SEED)


def _lines(p: Planted, placement: str) -> list[str]:
    text = p.text
    if placement == "ansi":
        first = p.secret.splitlines()[0]
        half = len(first) // 2
        text = text.replace(first, f"{first[:half]}\x1b[1;31m{first[half:]}\x1b[0m", 1)
    planted = text.splitlines()
    if placement == "next":
        body = [*planted, "error: deployment failed"]
    elif placement == "at499":
        prefix = "error: deployment failed: "
        at = planted[0].find(p.secret.splitlines()[0])
        pad = 498 - len(prefix) - max(at, 0)
        filler = ("ab " * (pad // 3 + 1))[:pad]
        body = [prefix + filler + planted[0], *planted[1:]]
    else:
        # The blocker is the line holding (the last line of) the secret: a key block's body line, for one.
        last = p.secret.splitlines()[-1][:PIECE]
        at = next((i for i, line in enumerate(planted) if last in line), 0)
        body = [*planted[:at], f"error: deployment failed: {planted[at]}", *planted[at + 1 :]]
    lines = ["##[group]Run make deploy", "make deploy", "##[endgroup]", "deploying", *body]
    lines.append("##[error]Process completed with exit code 1.")
    if p.announce:
        lines.append(f"::add-mask::{p.announce}")  # announced after the blocker: known only once the log is read
    if placement == "timestamp":
        lines = [f"2026-05-01T12:00:{i % 60:02d}.1234567Z {line}" for i, line in enumerate(lines)]
    return lines


def _pieces() -> dict[str, str]:
    """Every 12-character piece of every secret (pieces of multi-line secrets taken line by line) -> family."""
    out: dict[str, str] = {}
    for p in PLANTED:
        for part in p.secret.splitlines():
            for i in range(max(len(part) - PIECE + 1, 1)):
                out[part[i : i + PIECE]] = p.family
    return out


PIECES = _pieces()


def leaks(text: str) -> set[str]:
    found = set()
    for i in range(len(text) - PIECE + 1):
        family = PIECES.get(text[i : i + PIECE])
        if family:
            found.add(family)
    return found


def _texts_of(out_dir: Path) -> dict[str, str]:
    """Every file written, plus each hidden-state block decoded and each JSON file re-read (escapes undone)."""
    texts: dict[str, str] = {}
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        texts[str(path)] = text
        for n, block in enumerate(_STATE.findall(text)):
            texts[f"{path} state #{n}"] = base64.b64decode(block).decode("utf-8")
        if path.suffix == ".json":
            texts[f"{path} decoded"] = json.dumps(json.loads(text), ensure_ascii=False)
    return texts


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Planted, Path]]]:
    root = tmp_path_factory.mktemp("oracle-logs")
    made: dict[str, list[tuple[Planted, Path]]] = {}
    for placement in PLACEMENTS:
        made[placement] = []
        for p in PLANTED:
            path = root / placement / f"{p.family}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(_lines(p, placement)) + "\n", encoding="utf-8")
            made[placement].append((p, path))
    return made


def test_there_are_at_least_sixty_families() -> None:
    assert len({p.family for p in PLANTED}) >= 60


def test_every_secret_reaches_the_raw_classification(logs: dict[str, list[tuple[Planted, Path]]]) -> None:
    """Non-vacuity: unredacted, each planted secret is in what classify hands the report."""
    missing = []
    for p, path in logs["blocker"]:
        raw = json.dumps(classify_log(path, redact=False).to_dict(), ensure_ascii=False)
        if p.family not in leaks(raw):
            missing.append(p.family)
    assert missing == []


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_report_dry_run_publishes_no_planted_secret(
    placement: str, logs: dict[str, list[tuple[Planted, Path]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configured = next(p.configured for p in PLANTED if p.configured)
    out_dir = tmp_path / "out"
    argv = ["report", "--dry-run", "--event", str(EVENT), "--out", str(out_dir), "--print", "overview"]
    for p, path in logs[placement]:
        argv += ["--log", f"{p.family}={path}"]
    env = {"INPUT_GITHUB-TOKEN": configured, "GITHUB_REPOSITORY": "octo-org/octo-repo"}
    assert main(argv, env=env) == 0
    stdout = capsys.readouterr().out
    texts = _texts_of(out_dir)
    assert any(name.endswith("comment.md") for name in texts)
    assert any("payloads" in name for name in texts)
    found = {name: sorted(leaks(text)) for name, text in {**texts, "stdout": stdout}.items()}
    assert {name: families for name, families in found.items() if families} == {}
    # The report shows as many jobs as its size budget allows (each with its blocker): most of them.
    payload = next(text for name, text in texts.items() if name.endswith("json.json"))
    assert sum(1 for p in PLANTED if f'"{p.family}"' in payload) >= 25


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_classify_json_prints_no_planted_secret(
    placement: str, logs: dict[str, list[tuple[Planted, Path]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`classify` redacts by default: every family, every placement, through the CLI."""
    env = {"INPUT_GITHUB-TOKEN": next(p.configured for p in PLANTED if p.configured)}
    leaked = {}
    for p, path in logs[placement]:
        assert main(["classify", str(path), "--json"], env=env) == 0
        found = leaks(capsys.readouterr().out)
        if found:
            leaked[p.family] = sorted(found)
    assert leaked == {}


def test_detect_secrets_finds_none_of_the_planted_secrets_in_the_outputs(
    logs: dict[str, list[tuple[Planted, Path]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    out_dir = tmp_path / "out"
    argv = ["report", "--dry-run", "--event", str(EVENT), "--out", str(out_dir)]
    for p, path in logs["blocker"]:
        argv += ["--log", f"{p.family}={path}"]
    assert main(argv, env={"GITHUB_REPOSITORY": "octo-org/octo-repo"}) == 0
    capsys.readouterr()
    collection = SecretsCollection()
    with default_settings():
        # What is published: the comment, the issue, the summary and every payload (the scanner is slow).
        for path in sorted([*out_dir.glob("*.md"), *out_dir.glob("payloads/*.json")]):
            collection.scan_file(str(path))
    flagged = [(f, s.type, s.secret_value or "") for f, s in collection]
    ours = [(f, kind) for f, kind, value in flagged if leaks(value)]
    assert ours == []
