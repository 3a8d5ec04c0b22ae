"""Streams for tests that read logs the way a pipe or stdin hands them over."""

from __future__ import annotations

import io


class OneWay(io.RawIOBase):
    """A stream that cannot seek (stdin, a pipe, a socket): readers must carry cut lines over themselves."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
