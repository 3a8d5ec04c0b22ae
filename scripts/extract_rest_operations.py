"""Extract the GitHub REST operations NEXUS uses from GitHub's published description into tests/data/github/.

    python scripts/extract_rest_operations.py [--description ../shared/data/github/rest-api-description.json.gz]

Source: `@octokit/openapi` 23.0.2 (api.github.com.json). Kept per operation: method, path template,
operationId, the JSON request body's required fields and property types, and each documented response
status with the JSON type of its body. The operations are the ones below plus every one that a cassette
under tests/cassettes/ calls, so tests/test_cassettes_match_rest.py can check every recorded exchange
without ../shared being present.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DESCRIPTION = ROOT.parent / "shared" / "data" / "github" / "rest-api-description.json.gz"
OUT = ROOT / "tests" / "data" / "github" / "rest-operations.json"

# Every call nexus_action/github makes (see the `Calls:` lines in its docstrings).
USED = (
    ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
    ("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"),
    ("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"),
    ("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
    ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/issues"),
    ("POST", "/repos/{owner}/{repo}/issues"),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("GET", "/repos/{owner}/{repo}/labels/{name}"),
    ("POST", "/repos/{owner}/{repo}/labels"),
)


def template_regex(template: str) -> re.Pattern[str]:
    # `{path}` (repository contents) may hold slashes; every other parameter is one segment.
    pattern = re.escape(template).replace(r"\{path\}", ".+")
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern) + "$")


def deref(spec: dict[str, Any], node: Any) -> Any:
    for _ in range(20):
        if not (isinstance(node, dict) and "$ref" in node):
            return node
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_types(spec: dict[str, Any], schema: Any) -> list[str]:
    """The JSON types a schema allows (following $ref, oneOf, anyOf, allOf, nullable)."""
    schema = deref(spec, schema)
    if not isinstance(schema, dict):
        return []
    types: list[str] = []
    kind = schema.get("type")
    types += kind if isinstance(kind, list) else [kind] if kind else []
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or ():
            types += json_types(spec, sub)
    if schema.get("nullable"):
        types.append("null")
    if not types and "properties" in schema:
        types.append("object")
    return sorted(set(types))


def request_body(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = deref(spec, op.get("requestBody"))
    if not body:
        return None
    schema = deref(spec, (body.get("content", {}).get("application/json") or {}).get("schema"))
    if not isinstance(schema, dict):
        return None
    props = {name: json_types(spec, sub) for name, sub in (schema.get("properties") or {}).items()}
    return {"required": bool(body.get("required")), "fields_required": schema.get("required", []), "properties": props}


def responses(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for status, ref in (op.get("responses") or {}).items():
        answer = deref(spec, ref)
        content = (answer.get("content") or {}) if isinstance(answer, dict) else {}
        schema = (content.get("application/json") or {}).get("schema")
        out[status] = json_types(spec, schema) if schema else []
    return out


def cassette_calls(folder: Path) -> set[tuple[str, str]]:
    calls = set()
    for path in sorted(folder.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("interactions") or ():
            request = item["request"]
            api_path = re.sub(r"^https?://[^/]+(/api/v3)?", "", request["uri"]).split("?", 1)[0]
            calls.add((request["method"].upper(), api_path))
    return calls


def extract(spec: dict[str, Any], extra_calls: set[tuple[str, str]]) -> dict[str, Any]:
    wanted = set(USED)
    templates = [
        (m.upper(), t)
        for t, item in spec["paths"].items()
        for m in item
        if m in ("get", "post", "patch", "put", "delete")
    ]
    for method, concrete in extra_calls:
        for m, template in templates:
            if m == method and template_regex(template).match(concrete):
                wanted.add((m, template))
    operations = []
    for method, template in sorted(wanted, key=lambda x: (x[1], x[0])):
        op = spec["paths"][template][method.lower()]
        operations.append(
            {
                "method": method,
                "path": template,
                "operation_id": op.get("operationId"),
                "query": sorted(
                    p["name"] for p in (deref(spec, x) for x in op.get("parameters") or ()) if p.get("in") == "query"
                ),
                "request_body": request_body(spec, op),
                "responses": responses(spec, op),
            }
        )
    return {
        "source": "@octokit/openapi " + str(spec.get("info", {}).get("version")),
        "generated_by": "scripts/extract_rest_operations.py",
        "operations": operations,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--description", type=Path, default=DEFAULT_DESCRIPTION)
    args = parser.parse_args(argv)
    with gzip.open(args.description, "rt", encoding="utf-8") as fh:
        spec = json.load(fh)
    result = extract(spec, cassette_calls(ROOT / "tests" / "cassettes"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(result['operations'])} operations -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
