from __future__ import annotations

import subprocess
import sys


def test_the_command_handler_and_its_dry_run_plan_do_not_import_the_github_client() -> None:
    # The handler imports PyGithub only when it really talks to GitHub; a dry run or a refusal stays light.
    probe = (
        "import sys, nexus_action.commands.handle, nexus_action.commands.plan;"
        "print(sorted(m for m in ('github', 'requests', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
