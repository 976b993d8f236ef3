"""Reading a segment's parts straight from the mapped compound file, without copying them.

Whoosh maps a segment's compound file (``.seg``) into memory and gives each of its parts (the
term dictionary, the posting lists, the columns) as a ``BufferFile`` over a view of the map.
A ``BufferFile`` reads positioned bytes from the view (``get``), but also makes itself a
file object for sequential reads, and that is ``io.BytesIO(view)``, which copies the whole
part into memory when the file is opened. Opening a searcher thus copied every term
dictionary and posting list it opened: on a 94,000-article index, 590 MB in 0.6 s, for each
searcher, though a search reads a few kilobytes of them.

:func:`install` gives ``BufferFile`` a read-only file over the view instead
(:class:`BufferReader`), which copies only the bytes read. It is the same file to every
caller (the same reads, positions and lines), and it is installed once, for every Whoosh
index in the process, which gains the same: a compound file's parts are never written to.
"""

from __future__ import annotations

import contextlib
import io
import pickle
from collections.abc import Iterator
from typing import Any

from whoosh.filedb.structfile import BufferFile, StructFile

__all__ = ["BufferReader", "install"]


class BufferReader(io.RawIOBase):
    """A read-only, seekable file over a buffer (a ``memoryview``, ``bytes``...): what
    ``io.BytesIO(buffer)`` reads, without copying the buffer first."""

    def __init__(self, buffer: Any) -> None:
        super().__init__()
        self._view = memoryview(buffer).cast("B")
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        self._check_open()
        view = self._view
        start = min(self._position, len(view))
        count = min(len(target), len(view) - start)
        memoryview(target).cast("B")[:count] = view[start : start + count]
        self._position = max(self._position, start + count)
        return count

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        view = self._view
        start = min(self._position, len(view))
        end = len(view) if size is None or size < 0 else min(start + size, len(view))
        self._position = max(self._position, end)
        return bytes(view[start:end])

    def readall(self) -> bytes:
        return self.read()

    def readline(self, size: int | None = -1) -> bytes:
        self._check_open()
        view = self._view
        start = min(self._position, len(view))
        limit = len(view) if size is None or size < 0 else min(start + size, len(view))
        end = start
        chunk = 4096
        while end < limit:
            found = bytes(view[end : min(end + chunk, limit)]).find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end = min(end + chunk, limit)
        self._position = max(self._position, end)
        return bytes(view[start:end])

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            position = offset
        elif whence == io.SEEK_CUR:
            position = max(self._position + offset, 0)
        elif whence == io.SEEK_END:
            position = max(len(self._view) + offset, 0)
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        self._position = position
        return position

    def tell(self) -> int:
        self._check_open()
        return self._position

    def close(self) -> None:
        with contextlib.suppress(BufferError):  # a view of it still held: the buffer stays
            self._view.release()
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")


def _buffer_file_init(
    self: BufferFile, buf: Any, name: str | None = None, onclose: Any = None
) -> None:
    """``BufferFile.__init__`` with a :class:`BufferReader` for its file (Whoosh's makes an
    ``io.BytesIO``, a copy of the buffer)."""
    self._buf = buf
    self._name = name
    self.file = BufferReader(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _buffer_file_read(self: BufferFile, size: int | None = -1) -> bytes:
    """``read`` on the file's reader, in one call (Whoosh reads each block header so). A
    ``BufferFile`` made before :func:`install` keeps Whoosh's ways."""
    reader = self.file
    if type(reader) is not BufferReader:
        return StructFile.read(self, size)
    view = reader._view
    start = min(reader._position, len(view))
    end = len(view) if size is None or size < 0 else min(start + size, len(view))
    if end > reader._position:
        reader._position = end
    return bytes(view[start:end])


def _buffer_file_seek(self: BufferFile, offset: int, whence: int = io.SEEK_SET) -> int:
    reader = self.file
    if whence == io.SEEK_SET and offset >= 0 and type(reader) is BufferReader:
        reader._position = offset
        return offset
    return reader.seek(offset, whence)


def _buffer_file_tell(self: BufferFile) -> int:
    reader = self.file
    return reader._position if type(reader) is BufferReader else reader.tell()


def _buffer_file_read_pickle(self: BufferFile, protocol: int = -1) -> Any:
    """``read_pickle`` from the file's reader: Whoosh's unpickles from the file object, which
    asks a Python reader for its bytes a few at a time; this unpickles from a copy of the
    next 256 bytes (a block header's pickle is under 100), more only if it runs longer."""
    reader = self.file
    if type(reader) is not BufferReader:
        return StructFile.read_pickle(self)
    view = reader._view
    start = min(reader._position, len(view))
    size = 256
    while True:
        chunk = io.BytesIO(view[start : start + size])
        try:
            found = pickle.load(chunk)
        except (EOFError, pickle.UnpicklingError):
            if start + size >= len(view):
                raise
            size *= 16
            continue
        reader._position = start + chunk.tell()
        return found


def install() -> None:
    """Give Whoosh's ``BufferFile`` a :class:`BufferReader`, and ``read``, ``seek``,
    ``tell`` and ``read_pickle`` that work on it directly (Whoosh's go through its file
    object: Python calls for each of the reads a block header takes). Idempotent."""
    BufferFile.__init__ = _buffer_file_init
    BufferFile.read = _buffer_file_read
    BufferFile.seek = _buffer_file_seek
    BufferFile.tell = _buffer_file_tell
    BufferFile.read_pickle = _buffer_file_read_pickle
