"""A file's lines as CPython numbers them, and the conversions between ast's positions (line,
UTF-8 byte column) and byte offsets or character columns. Scanning and rewriting both use it, so a
finding's column and the rewrite's splice point always agree."""

from __future__ import annotations

import io
import itertools
import re
import tokenize

LINE_BREAK = re.compile(rb"\r\n|\r|\n")
TEXT_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class LineIndex:
    """Byte offsets of a file's lines as CPython numbers them (``\\r\\n``, ``\\r`` and ``\\n``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        if b"\r" in data:
            self.starts = [0, *(m.end() for m in LINE_BREAK.finditer(data))]
        else:
            # The common case, at C speed: each line's start is the sum of the lengths before it.
            self.starts = list(
                itertools.accumulate(map((1).__add__, map(len, data.split(b"\n")[:-1])), initial=0)
            )
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        self.bom = data.startswith(_BOM)
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.utf8 = self.encoding.replace("_", "-").lower() in ("utf-8", "utf8")

    def line_start(self, line: int) -> int:
        # ast columns on the first line start after a BOM.
        return self.starts[line - 1] + (3 if line == 1 and self.bom else 0)

    def offset(self, line: int, utf8_col: int) -> int:
        """Byte offset in the file of ast's (line, UTF-8 column)."""
        start = self.line_start(line)
        if self.utf8:
            return start + utf8_col
        end = self.starts[line] if line < len(self.starts) else len(self.data)
        text = self.data[start:end].decode(self.encoding)
        prefix = text.encode("utf-8")[:utf8_col].decode("utf-8")
        return start + len(prefix.encode(self.encoding))

    def char_col(self, line: int, utf8_col: int) -> int:
        """1-based character column, as scan reports it."""
        start = self.line_start(line)
        end = self.starts[line] if line < len(self.starts) else len(self.data)
        if self.data[start:end].isascii():
            return utf8_col + 1
        text = self.data[start:end].decode(self.encoding, errors="replace")
        return len(text.encode("utf-8")[:utf8_col].decode("utf-8", errors="replace")) + 1

    def newline_at(self, line: int) -> bytes:
        """The line break ending ``line`` (the file's first one when the line has none)."""
        if line < len(self.starts):
            end = self.starts[line]
            return b"\r\n" if self.data[end - 2 : end] == b"\r\n" else self.data[end - 1 : end]
        first = LINE_BREAK.search(self.data)
        return first.group() if first else b"\n"
