"""Line templates: the masks of templates.yaml, applied to raw log bytes a chunk at a time.

A template is what stays of a line once the parts that differ between two runs of the same job are masked
(see templates.yaml). Masks run over a whole chunk in C (re.sub, bytes.translate), never line by line in
Python, because both logs of a comparison may be hundreds of megabytes. No mask spans a newline, so the
masked chunk has the same lines as the raw one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.packaged_yaml import load_packaged_yaml


@dataclass(frozen=True)
class Mask:
    id: str
    needle: bytes | None
    pattern: re.Pattern[bytes] | None
    replace: bytes
    delete: bytes


@dataclass(frozen=True)
class MaskSet:
    """`first`: the byte-translation masks, run on every line; `full`: all masks in order, for a second look
    at the few lines the first look left unmatched (see templates.yaml)."""

    first: tuple[Mask, ...]
    full: tuple[Mask, ...]


def _invalid(where: str, problem: str) -> NexusError:
    return NexusError(
        "NEXUS-CONFIG-INVALID",
        f"{where}: {problem}",
        "Each mask needs an id and either pattern (+ replace) or delete; patterns must compile.",
    )


def _mask(raw: Any, where: str) -> Mask:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise _invalid(where, "expected a mapping with an id")
    needle = raw.get("needle")
    if "delete" in raw:
        return Mask(raw["id"], None, None, b"", str(raw["delete"]).encode())
    try:
        pattern = re.compile(str(raw["pattern"]).encode())
    except (KeyError, re.error) as exc:
        raise _invalid(where, f"bad or missing pattern ({exc})") from None
    return Mask(
        raw["id"],
        str(needle).encode() if needle else None,
        pattern,
        str(raw.get("replace") or "").encode(),
        b"",
    )


@lru_cache(maxsize=1)
def builtin_masks() -> MaskSet:
    """templates.yaml, checked and compiled once per process."""
    data = load_packaged_yaml("nexus_action.classify", "templates.yaml")
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("masks"), list):
        raise _invalid("nexus_action/classify/templates.yaml", "expected a mapping with version: 1 and masks")
    full = tuple(_mask(m, f"templates.yaml masks[{i}]") for i, m in enumerate(data["masks"]))
    return MaskSet(first=tuple(m for m in full if m.pattern is None), full=full)


def mask(chunk: bytes, masks: tuple[Mask, ...]) -> bytes:
    """The chunk with every mask applied in order; raises NEXUS-CONFIG-INVALID if a mask took a line break."""
    lines = None
    for m in masks:
        if m.pattern is None:
            chunk = chunk.translate(None, m.delete)
        elif m.needle is None or m.needle in chunk:
            lines = chunk.count(b"\n") if lines is None else lines
            chunk = m.pattern.sub(m.replace, chunk)
    if lines is not None and chunk.count(b"\n") != lines:
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            "a mask in templates.yaml matched across a line break",
            "Masks must never match a newline: exclude \\n from their character classes.",
        )
    return chunk


def template(text: str) -> bytes:
    """One line's full template (every mask, second-look ones included)."""
    return mask(text.encode("utf-8", "replace"), builtin_masks().full)
