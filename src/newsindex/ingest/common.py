"""What every reader shares: the error callback, text cleaning and decoding, and the reasons
given for files that cannot be read."""

from __future__ import annotations

import gzip
import html
import io
import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from newsindex.errors import IngestError

__all__ = [
    "GZIP_MAGIC",
    "OnError",
    "clean_text",
    "decode_text",
    "open_binary",
    "read_failure",
    "read_whole",
    "report_error",
    "utf8_reason",
]

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of a gzip file: compressed input is recognised by them, not by name."""

OnError = Callable[[IngestError], None] | None
"""What to do with a bad record: ``None`` raises it; a callable receives it and reading goes on."""

# C0 controls except \t (09) and \n (0a), plus DEL; \r is turned into \n before this runs.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def open_binary(path: str | os.PathLike[str]) -> io.BufferedIOBase:
    """``path`` opened for reading bytes, gunzipped as it is read when its content is gzip."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def read_whole(path: str | os.PathLike[str], on_error: OnError) -> bytes | None:
    """The bytes of ``path``; None when it cannot be read, reported through ``on_error``."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        report_error(IngestError(str(path), 0, read_failure(exc)), on_error)
        return None


def clean_text(text: str, *, unescape: bool = False) -> str:
    """Normalise line ends to ``\\n`` and strip NUL and the other C0 control characters but ``\\t``.

    With ``unescape``, HTML entities (``&ndash;``, ``&amp;``, ``&quot;`` ...) are decoded first, so
    a control character spelled as an entity is stripped too.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if unescape and "&" in text:
        text = html.unescape(text)
    return _CONTROL_CHARS.sub("", text)


def decode_text(data: bytes, path: str) -> str:
    """Decode a whole file as UTF-8 (a leading BOM is dropped), naming the line of any bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(path, line, utf8_reason(exc, exc.start - line_start)) from exc


def read_failure(exc: BaseException) -> str:
    """A short lowercase reason for a file that cannot be read at all."""
    if isinstance(exc, gzip.BadGzipFile):
        return "not a valid gzip file"
    if isinstance(exc, EOFError):
        return "the gzip file is truncated"
    if isinstance(exc, zlib.error):
        return "the gzip file is corrupt"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read it: {exc.strerror.lower()}"
    return f"cannot read it: {exc}"


def report_error(err: IngestError, on_error: OnError) -> None:
    """Raise ``err`` when ``on_error`` is ``None``, else hand it to ``on_error``."""
    if on_error is None:
        raise err
    on_error(err)


def utf8_reason(exc: UnicodeDecodeError, column: int) -> str:
    return f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {column + 1})"
