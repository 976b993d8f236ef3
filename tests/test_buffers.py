"""A segment's parts are read from the mapped compound file without being copied."""

from __future__ import annotations

import io
import pickle
import struct
from array import array

from _engine import searcher
from hypothesis import given
from hypothesis import strategies as st
from whoosh.filedb.structfile import BufferFile

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh.codec.buffers import BufferReader

_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 40)),
        st.tuples(st.just("readline"), st.integers(-1, 40)),
        st.tuples(st.just("seek"), st.integers(0, 60), st.sampled_from([0, 1, 2])),
        st.tuples(st.just("readinto"), st.integers(0, 40)),
        st.tuples(
            st.just("tell"),
        ),
    ),
    max_size=30,
)


def _apply(file: io.IOBase, operation: tuple) -> object:
    name, *arguments = operation
    if name == "seek":
        offset, whence = arguments
        try:
            return file.seek(offset if whence == 0 else offset - 30, whence)
        except ValueError as error:
            return str(error)
    if name == "readinto":
        target = bytearray(arguments[0])
        return file.readinto(target), bytes(target)
    return getattr(file, name)(*arguments)


@given(data=st.binary(max_size=50) | st.just(b"one\ntwo\n\nthree"), operations=_OPERATIONS)
def test_reads_as_bytesio_reads(data, operations):
    """Every read, line, seek and position is what io.BytesIO gives over the same bytes."""
    ours, theirs = BufferReader(memoryview(data)), io.BytesIO(data)
    for operation in operations:
        assert _apply(ours, operation) == _apply(theirs, operation), operation
    assert list(ours) == list(theirs)


def test_pickles_and_arrays_load_from_it():
    """pickle and array read from it as from a file (Whoosh reads its headers so)."""
    payload = pickle.dumps({"terms": [1, 2, 3]}) + array("i", [7, 8, 9]).tobytes()
    reader = BufferReader(payload)
    assert pickle.load(reader) == {"terms": [1, 2, 3]}
    numbers = array("i")
    numbers.fromfile(reader, 3)
    assert list(numbers) == [7, 8, 9]
    assert reader.read() == b""


def test_a_searcher_copies_no_part_of_a_segment(tmp_path):
    """Opening a searcher gives the term dictionary and the posting lists readers over the
    mapped segment, not copies; searching and closing work as before."""
    with NewsIndex.create(tmp_path / "index") as news:
        news.add([Article(id="a", title="Ferry news", body="The ferry sails at noon.")])
        ((segment, _offset),) = searcher(news).reader().leaf_readers()
        parts = (segment._terms._dbfile, segment._terms._postfile)
        assert [type(part.file) for part in parts] == [BufferReader, BufferReader]
        assert [hit.id for hit in news.search("ferry").hits] == ["a"]
    assert type(BufferFile(b"abc").file) is BufferReader


def test_whooshs_reads_on_a_buffer_file():
    """read, seek, tell, read_int and read_pickle of a BufferFile read the bytes in order:
    pickles short and long (past the first 256 bytes tried), then what follows them."""
    long = list(range(500))
    payload = (
        b"MAGC"
        + struct.pack("!i", -7)
        + pickle.dumps((3, 4, 0.5), 2)
        + pickle.dumps(long, 2)
        + b"tail"
    )
    file = BufferFile(memoryview(payload))
    assert file.read(4) == b"MAGC"
    assert file.read_int() == -7
    assert file.read_pickle() == (3, 4, 0.5)
    assert file.read_pickle() == long
    assert file.read() == b"tail"
    assert file.tell() == len(payload)
    file.seek(0)
    assert file.read(4) == b"MAGC"
