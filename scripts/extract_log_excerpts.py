"""Copy short excerpts of real CI logs from ../shared/corpus into tests/data/logs/ (bytes kept as published).

Each excerpt keeps the first lines of the job (runner header, so step tracking has something to follow), the
labelled failure lines with some context, and the job's final lines. Run from the repository root:

    python scripts/extract_log_excerpts.py [CORPUS_DIR]

then `python scripts/regen_classify.py` to refresh the golden classifications, and review the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "logs"

# name -> (case folder, [(first line, last line), ...]) : 1-based inclusive, counting \n only.
EXCERPTS: dict[str, tuple[str, list[tuple[int, int]]]] = {
    "go_compile_undefined": ("gha/cidiff-terraform-quick-checks-run118", [(1, 6), (612, 660)]),
    "go_test_fail": ("gha/cidiff-terraform-quick-checks-run68", [(1, 6), (600, 640)]),
    "go_mod_tidy": ("gha/cidiff-terraform-quick-checks-run107", [(1, 6), (595, 610), (670, 700)]),
    "go_staticcheck": ("gha/cidiff-terraform-quick-checks-run568", [(1, 6), (700, 735)]),
    "go_module_network": ("gha/cidiff-terraform-build-terraform-cli-packages-run407", [(1, 6), (560, 575), (735, 770)]),
    "docker_buildkit": ("gha/cidiff-terraform-build-terraform-cli-packages-run312", [(1, 6), (740, 839)]),
    "git_describe_fatal": (
        "gha/cidiff-terraform-build-terraform-cli-packages-run390",
        [(1, 6), (500, 520), (1300, 1370)],
    ),
    "go_panic_test": ("gha/cidiff-terraform-quick-checks-run77", [(1, 6), (620, 670)]),
    "travis_python_pytest": ("logchunks/logchunks-python-nvbn--thefuck-530361507", [(2740, 2796)]),
    "travis_missing_script": ("logchunks/logchunks-clojure-LightTable--LightTable-557182503", [(505, 527)]),
    "travis_phpunit": ("logchunks/logchunks-php-bcit-ci--CodeIgniter-476896825", [(180, 230)]),
    "travis_rust_build_script": ("logchunks/logchunks-rust-BurntSushi--ripgrep-524430085", [(560, 591)]),
}


def excerpt(log: bytes, ranges: list[tuple[int, int]]) -> bytes:
    lines = log.split(b"\n")
    out: list[bytes] = []
    for first, last in ranges:
        out.extend(lines[first - 1 : last])
    return b"\n".join(out).rstrip(b"\n") + b"\n"


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else ROOT.parent / "shared" / "corpus"
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (case, ranges) in EXCERPTS.items():
        data = (corpus / case / "log.txt").read_bytes()
        (OUT / f"{name}.log").write_bytes(excerpt(data, ranges))
        print(f"wrote tests/data/logs/{name}.log from {case} lines {ranges}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
