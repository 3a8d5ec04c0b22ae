"""Log paths: whatever log-path names, only files inside the workspace or RUNNER_TEMP are read by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus_action import cli
from nexus_action.errors import NexusError
from nexus_action.logs.paths import refuse_outside_logs


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    found = {name: tmp_path / name for name in ("workspace", "temp", "home")}
    for folder in found.values():
        folder.mkdir()
    (found["home"] / "secret.txt").write_text("error: private\n", encoding="utf-8")
    return found


def _env(places: dict[str, Path]) -> dict[str, str]:
    return {"GITHUB_WORKSPACE": str(places["workspace"]), "RUNNER_TEMP": str(places["temp"])}


def _refused(values: list[str], env: dict[str, str], allow: bool = False) -> str | None:
    try:
        refuse_outside_logs([Path(v) for v in values], env, allow_outside=allow)
    except NexusError as err:
        return err.code
    return None


def test_files_in_the_workspace_or_runner_temp_are_read(places: dict[str, Path]) -> None:
    inside = [places["workspace"] / "a.log", places["temp"] / "b.log"]
    for path in inside:
        path.write_text("x\n", encoding="utf-8")
    assert _refused([str(inside[0]), str(inside[1])], _env(places)) is None


def test_a_symlink_out_of_the_workspace_is_refused(places: dict[str, Path]) -> None:
    link = places["workspace"] / "logs" / "build.log"
    link.parent.mkdir()
    link.symlink_to(places["home"] / "secret.txt")
    assert _refused([str(link)], _env(places)) == "NEXUS-LOG-PATH-OUTSIDE"
    assert _refused([str(link)], _env(places), allow=True) is None


def test_a_folder_symlinked_out_and_dot_dot_paths_are_refused(places: dict[str, Path]) -> None:
    (places["workspace"] / "logs").symlink_to(places["home"])
    assert _refused([str(places["workspace"] / "logs" / "secret.txt")], _env(places)) == "NEXUS-LOG-PATH-OUTSIDE"
    dotdot = places["workspace"] / ".." / "home" / "secret.txt"
    assert _refused([str(dotdot)], _env(places)) == "NEXUS-LOG-PATH-OUTSIDE"


def test_a_plain_file_outside_is_refused_and_named(places: dict[str, Path]) -> None:
    with pytest.raises(NexusError, match=r"secret\.txt") as info:
        refuse_outside_logs([places["home"] / "secret.txt"], _env(places), allow_outside=False)
    assert "allow-outside-logs" in info.value.hint
    assert info.value.exit_code == 2


def test_outside_github_actions_nothing_is_refused(places: dict[str, Path]) -> None:
    assert _refused([str(places["home"] / "secret.txt")], {}) is None


def test_report_refuses_the_log_but_still_reports(places: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    link = places["workspace"] / "build.log"
    link.symlink_to(places["home"] / "secret.txt")
    out = places["temp"] / "out"
    env = {**_env(places), "GITHUB_REPOSITORY": "o/r"}
    code = cli.main(["report", "--dry-run", "--log", f"build={link}", "--out", str(out)], env)
    assert code == 0  # the run is reported all the same: the job is listed, its log marked as not available
    printed = capsys.readouterr().out
    assert "NEXUS-LOG-PATH-OUTSIDE: log" in printed  # an error annotation (plain text off a runner)
    written = {p.name: p.read_text() for p in out.rglob("*") if p.is_file()}
    assert not any("private" in text for text in written.values())
    assert "NEXUS-LOG-PATH-OUTSIDE" in written["summary.md"]
    assert "`build`" in written["comment.md"]
    allowed = {**env, "AUTOFIX_ALLOW_OUTSIDE_LOGS": "1"}
    code = cli.main(["report", "--dry-run", "--log", str(link), "--out", str(out)], allowed)
    assert code == 0
