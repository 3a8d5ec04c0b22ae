"""Every request and response in every cassette must match GitHub's published REST description.

The operations come from tests/data/github/rest-operations.json, extracted from `@octokit/openapi` 23.0.2
by scripts/extract_rest_operations.py (re-run it after adding a cassette that calls a new endpoint).
Checked: the path and method exist, query parameters are documented, the JSON body has the required
fields with the documented types and no unknown ones, the response status is documented and the
response body has the documented JSON type. This keeps the stand-in GitHub honest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

HERE = Path(__file__).resolve().parent
OPERATIONS = json.loads((HERE / "data" / "github" / "rest-operations.json").read_text(encoding="utf-8"))["operations"]
CASSETTES = sorted((HERE / "cassettes").rglob("*.yaml"))
# Real answers GitHub gives that its description does not list (DESIGN.md, "Facts about GitHub"):
# a job's log is 404 while the job is queued or running.
UNDOCUMENTED_BUT_REAL = {("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"): {"404"}}
# The short-lived URL a log redirect points to is storage, not the REST API.
BLOB_PATH = re.compile(r"^/_blobs/")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def type_ok(value: Any, allowed: list[str]) -> bool:
    kind = json_type(value)
    return not allowed or kind in allowed or (kind == "integer" and "number" in allowed)


def find_operation(method: str, path: str) -> dict[str, Any] | None:
    for op in OPERATIONS:
        # `{path}` (repository contents) may hold slashes; every other parameter is one segment.
        template = re.escape(op["path"]).replace(r"\{path\}", ".+")
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", template) + "$"
        if op["method"] == method and re.match(pattern, path):
            return op
    return None


def problems_of(interaction: dict[str, Any]) -> list[str]:
    request, response = interaction["request"], interaction["response"]
    method, parts = request["method"].upper(), urlsplit(request["uri"])
    path = parts.path.removeprefix("/api/v3")
    if BLOB_PATH.match(path):
        return []
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in the REST description (or not extracted)"]
    where = f"{method} {op['path']}"
    problems = [f"{where}: query parameter {k!r} not documented" for k in parse_qs(parts.query) if k not in op["query"]]
    body_text = request.get("body")
    spec = op["request_body"]
    if spec is None and body_text:
        problems.append(f"{where}: sends a body, none is documented")
    if spec is not None:
        body = json.loads(body_text) if body_text else None
        if body is None and spec["required"]:
            problems.append(f"{where}: the documented request body is missing")
        for name in spec["fields_required"] if body is not None else ():
            if name not in body:
                problems.append(f"{where}: required field {name!r} missing")
        for name, value in (body or {}).items():
            if name not in spec["properties"]:
                problems.append(f"{where}: field {name!r} not documented")
            elif not type_ok(value, spec["properties"][name]):
                problems.append(f"{where}: field {name!r} is {json_type(value)}, documented {spec['properties'][name]}")
    status = str(response["status"]["code"])
    if status not in op["responses"] and status not in UNDOCUMENTED_BUT_REAL.get((op["method"], op["path"]), ()):
        problems.append(f"{where}: answered {status}, documented {sorted(op['responses'])}")
    text = response["body"].get("string") or ""
    if (
        status in op["responses"]
        and op["responses"][status]
        and text
        and not type_ok(json.loads(text), op["responses"][status])
    ):
        problems.append(
            f"{where}: {status} body is {json_type(json.loads(text))}, documented {op['responses'][status]}"
        )
    return problems


def test_there_are_cassettes_to_check() -> None:
    assert len(CASSETTES) >= 9


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: str(p.relative_to(HERE / "cassettes")))
def test_cassette_matches_rest_description(cassette: Path) -> None:
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    problems = [p for item in data["interactions"] for p in problems_of(item)]
    assert problems == []


def test_checker_catches_drift() -> None:
    """The checker itself must fail on a wrong method, a missing field, a wrong type and an undocumented status."""

    def exchange(method: str, uri: str, body: Any, status: int) -> dict[str, Any]:
        return {
            "request": {"method": method, "uri": uri, "body": json.dumps(body) if body is not None else None},
            "response": {"status": {"code": status}, "body": {"string": "{}"}},
        }

    base = "http://ghes.example/api/v3/repos/o/r"
    assert problems_of(exchange("POST", f"{base}/issues/1/comments", {"body": "x"}, 201)) == []
    assert problems_of(exchange("PUT", f"{base}/issues/1/comments", {"body": "x"}, 201))
    assert problems_of(exchange("POST", f"{base}/issues/1/comments", {"text": "x"}, 201))
    assert problems_of(exchange("POST", f"{base}/issues/1/comments", {"body": 5}, 201))
    assert problems_of(exchange("POST", f"{base}/issues/1/comments", {"body": "x"}, 418))
    assert problems_of(exchange("GET", f"{base}/issues?labelz=x", None, 200))
