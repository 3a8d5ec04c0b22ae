"""The faults a GitHub call can meet, as stand-in `Fault`s: statuses, transport failures, slow and broken bodies."""

from __future__ import annotations

import dataclasses
import time

from tests.fakegithub.server import Fault

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
# Wrong for every reader at once: not a list, `id` not a number, `jobs` not a list, `user` not an object.
WRONG_TYPES = {"id": "x", "number": "7", "jobs": "none", "user": "octocat", "body": 5, "filename": 3}
DRIP_SECONDS = 0.5  # between two bytes: well under any read timeout, so only a deadline stops it


def fault_kinds(now: float | None = None) -> dict[str, Fault]:
    """Every kind of fault, with method and path left empty (see `at`)."""
    far_reset = str(int(now if now is not None else time.time()) + 3600)
    return {
        "401": Fault("", "", 401, body={"message": "Bad credentials"}),
        "403-permission": Fault("", "", 403, body={"message": "Resource not accessible by integration"}),
        "403-rate-limit-far-reset": Fault(
            "",
            "",
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": far_reset},
            {"message": "API rate limit exceeded for installation ID 1."},
        ),
        "429": Fault("", "", 429, body={"message": "Too Many Requests"}),
        "500": Fault("", "", 500, body={"message": "Server Error"}),
        "502-html": Fault("", "", 502, {"Content-Type": "text/html"}, HTML_502),
        "503": Fault("", "", 503, body={"message": "Service Unavailable"}),
        "reset": Fault("", "", transport="reset"),
        "timeout": Fault("", "", transport="timeout"),
        "drip": Fault("", "", drip=DRIP_SECONDS),
        "invalid-json": Fault("", "", 200, {"Content-Type": "application/json"}, b'{"id": 1, "body": "cut sh'),
        "wrong-types": Fault("", "", 200, body=WRONG_TYPES),
        "empty-200": Fault("", "", 200, {"Content-Type": "application/json"}, b""),
    }


def at(fault: Fault, method: str, path: str) -> Fault:
    """`fault` on one endpoint; a bad body on a POST comes with the 201 GitHub answers creations with."""
    status = 201 if method == "POST" and fault.status == 200 else fault.status
    return dataclasses.replace(fault, method=method, path=path, status=status)
