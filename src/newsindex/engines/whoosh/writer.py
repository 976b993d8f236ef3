"""The fast path of an import: postings gathered in memory, one segment per process.

Whoosh's own writer sends every posting through a pool that pickles it to a temporary run,
reads the runs back through a heap merge and then looks up each document's field length again
(see ``benchmarks/PERFORMANCE.md``, where an import's time goes). Here each segment writer keeps its
postings per term, with the field lengths it already knows, and writes them in one sorted
pass. Memory stays bounded: ``limitmb`` is the budget of the whole import, shared by its
processes; when a process's postings pass its share, they are written out as a run and freed,
and its segment goes on; when it ends, its postings file is joined from the runs
(:mod:`.codec.runs`). So an import makes one segment per process whatever its size (a
search looks every term up in every segment). All new segments go into the index in one
table-of-contents commit, so an import still becomes visible all at once or not at all.

Postings are kept compact (per term, its first posting as a tuple, then arrays of document
numbers and weights and a list of position values, the commonest of which, a single position,
are shared objects) and written a block at a time (:mod:`.codec.postfile`), in the files
Whoosh's own writer makes. Most terms of the word pairs fields occur in one article, so the
cost that counts is per term: a short list is one block and one term entry, gathered into one
write per field (``ShortLists``).

With ``procs`` > 1, worker processes (:mod:`.workers`) take batches of documents from
a shared queue and write a segment of their own; the parent reads the input, indexes the batches
the workers have no room for, and commits all the segments together. Which process indexes a
batch depends on timing, so two parallel imports of the same input may order the articles
differently (search results differ only in the order of equally scored hits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import W3FieldWriter
from whoosh.formats import Positions
from whoosh.system import pack_ushort
from whoosh.writing import SegmentWriter

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.analysis.pairs import common_terms, pair_positions
from newsindex.engines.whoosh.codec.impacts import (
    IMPACTS_FIELD,
    MIN_PIECE,
    encode_impacts,
    write_impacts,
)
from newsindex.engines.whoosh.codec.postfile import (
    SINGLE_PRECISION,
    SINGLE_VALUES,
    BlockWriter,
    ShortLists,
    add_postings,
    block_figures,
    block_stats,
    position_value,
)
from newsindex.engines.whoosh.codec.runs import RunWriter, join_runs
from newsindex.engines.whoosh.codec.schema import (
    PAIR_FIELDS,
    TITLE_ONLY_FIELD,
    Forms,
    form_counts,
)
from newsindex.engines.whoosh.workers import BuiltSegment, Workers
from newsindex.errors import IndexWriteError

__all__ = ["IMPORT_MEMORY_MB", "import_documents"]

IMPORT_MEMORY_MB = 128
"""What an import's postings may take in memory, all its processes together (an estimate:
the processes also hold Python, Whoosh and NLTK, 60-80 MB each). Larger imports write their
postings out in more runs instead of taking more memory."""

_BATCH = 200
"""Documents per batch handed to a worker process."""

_BYTES_PER_POSTING = 16
"""Memory of one posting: its document number and weight in arrays, a slot in the value list."""

_BYTES_PER_VALUE = 40
"""Memory of a position value of its own (a bytes object), besides its length."""

_BYTES_PER_TERM = 150
"""Memory of a term new to the segment, besides its length: its key, its dict slot and its one
posting (a tuple of document number, weight and value)."""

_BYTES_PER_LIST = 300
"""Memory a term's second posting adds: its postings move into two arrays and a list."""

_COUNTS = [float(count) for count in range(256)]
"""Shared weights for a pair's count."""

_INDEXED_MEMO = 10_000
"""How many values of fields off the text path (dates, languages) a segment writer remembers
the terms of (see ``_SegmentBuilder._index_terms``)."""

_RECURRING = (str, dt.datetime)
"""The types of field values whose terms are remembered: hashable, and the same value gives
the same terms."""


_PAIR_SOURCES = {pairs: text for text, pairs in PAIR_FIELDS.items()}
"""The text field each pairs field is derived from."""


def _positions(analyzer: NewsAnalyzer, text: str) -> tuple[tuple[str, ...], dict[str, list[int]]]:
    """The terms of ``text`` and each term's positions, in order of first use."""
    where: dict[str, list[int]] = {}
    terms = analyzer.terms(text)
    for position, term in enumerate(terms):
        found = where.get(term)
        if found is None:
            where[term] = [position]
        else:
            found.append(position)
    return terms, where


def _add_posting(terms: dict[Any, Any], term: Any, docnum: int, weight: float, value: bytes) -> int:
    """Add a posting of ``term`` to a field's postings; return the memory it adds (an
    estimate). Most terms of the pairs fields occur in one document of a segment, so a
    term's first posting is kept as a tuple; its second moves them into arrays."""
    entry = terms.get(term)
    if entry is None:
        terms[term] = (docnum, weight, value)
        return _BYTES_PER_TERM + len(term)
    if type(entry) is tuple:
        terms[term] = [
            array("I", (entry[0], docnum)),
            array("f", (entry[1], weight)),
            [entry[2], value],
        ]
        return _BYTES_PER_LIST
    entry[0].append(docnum)
    entry[1].append(weight)
    entry[2].append(value)
    return _BYTES_PER_POSTING


def _docnums(entry: Any) -> Sequence[int] | None:
    """The document numbers of a term's postings held in memory (None: no postings)."""
    if entry is None:
        return None
    return (entry[0],) if type(entry) is tuple else entry[0]


class _SegmentBuilder(SegmentWriter):
    """A segment writer (taking no lock: the caller holds it) with in-memory postings.

    Handles the fields newsindex's schema uses: indexed, stored, columns; no spelling or
    term vectors (the schema has none).
    """

    def __init__(self, ix: Any, limitmb: float, schema: Any) -> None:
        super().__init__(ix, _lk=False)
        # Whoosh unpickles a fresh schema for every writer; sharing one keeps the analyzers'
        # word caches warm from one segment to the next instead of stemming everything again.
        self.schema = schema
        # field -> term (text on the fast path, else bytes) -> (document number, weight,
        # value) for a term's first posting, then [document numbers, weights, values]
        self.postings: dict[str, dict[Any, Any]] = {}
        self.lengths: dict[str, dict[int, int]] = {}
        self.size = 0
        self.limit = int(limitmb * 1024 * 1024)
        self.runs: list[str] = []  # the postings written out so far, in document order
        self.impacts: list[tuple[bytes, bytes]] = []  # (term, encoded figures): see impacts
        self._indexed: dict[tuple[str, Any], list[tuple]] = {}  # see _index_terms

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def _index_terms(self, field: Any, fieldname: str, value: Any) -> list[tuple]:
        """``field.index(value)`` as a list, remembered for values that recur (a date is
        several terms, one per precision, and many articles share a date)."""
        if field.unique or type(value) not in _RECURRING:
            return list(field.index(value))
        key = (fieldname, value)
        found = self._indexed.get(key)
        if found is None:
            if len(self._indexed) >= _INDEXED_MEMO:
                self._indexed.clear()
            found = self._indexed[key] = list(field.index(value))
        return found

    def add_document(self, **fields: Any) -> None:
        schema, docnum, perdoc = self.schema, self.docnum, self.perdocwriter
        perdoc.start_doc(docnum)
        size = 0
        analysed: dict[str, dict[str, list[int]]] = {}  # field -> its terms (the hot path's)
        sequences: dict[str, tuple[str, ...]] = {}  # field -> its terms in order
        for fieldname in sorted(name for name in fields if not name.startswith("_")):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                terms = self.postings.setdefault(fieldname, {})
                if fieldname == TITLE_ONLY_FIELD and "title" in analysed and "body" in analysed:
                    # The title's terms the body lacks, from both fields' postings (sorted
                    # order puts them first); what TitleOnly.index gives from the text.
                    inside = analysed["body"]
                    for term in analysed["title"]:
                        if term not in inside:
                            size += _add_posting(terms, term, docnum, 1.0, b"")
                elif _PAIR_SOURCES.get(fieldname) in sequences:
                    # The text field's neighbouring terms (sorted order puts it first); what
                    # Pairs.index gives from the text. The weight is the pair's frequency.
                    where = pair_positions(
                        sequences[_PAIR_SOURCES[fieldname]], common_terms(field.analyzer)
                    )
                    single = SINGLE_VALUES
                    for pair, found in where.items():
                        count = len(found)
                        if count == 1:  # most pairs: a shared value
                            places = single.get(found[0]) or position_value(found)
                        else:
                            places = position_value(found)
                            size += _BYTES_PER_VALUE + len(places)
                        size += _add_posting(
                            terms, pair, docnum, _COUNTS[count] if count < 256 else count, places
                        )
                        length += count
                elif type(field) is Forms:
                    # The text's words unstemmed, weighted by frequency (Forms.index).
                    for form, count in form_counts(field.analyzer, value).items():
                        size += _add_posting(
                            terms, form, docnum, _COUNTS[count] if count < 256 else count, b""
                        )
                        length += count
                elif isinstance(field.analyzer, NewsAnalyzer) and type(field.format) is Positions:
                    # The hot path: keyed by the term as text (encoded once per segment).
                    sequence, where = _positions(field.analyzer, value)
                    length = len(sequence)
                    analysed[fieldname] = where
                    sequences[fieldname] = sequence
                    boost = field.format.field_boost
                    single = SINGLE_VALUES
                    for term, found in where.items():
                        freq = len(found)
                        if freq == 1:  # most postings: a shared value
                            value_bytes = single.get(found[0]) or position_value(found)
                        else:
                            value_bytes = position_value(found)
                            size += _BYTES_PER_VALUE + len(value_bytes)
                        size += _add_posting(terms, term, docnum, freq * boost, value_bytes)
                else:
                    for tbytes, freq, weight, vbytes in self._index_terms(field, fieldname, value):
                        size += _add_posting(terms, tbytes, docnum, weight, vbytes)
                        length += freq
                        size += _BYTES_PER_VALUE + len(vbytes or b"")
                if field.scorable:
                    self.lengths.setdefault(fieldname, {})[docnum] = length
                else:
                    length = 0
            stored = fields.get("_stored_" + fieldname, value)
            perdoc.add_field(fieldname, field, stored if field.stored else None, length)
            if field.column_type and stored is not None:
                perdoc.add_column_value(fieldname, field.column_type, field.to_column_value(stored))
        perdoc.finish_doc()
        self.size += size
        self._added = True
        self.docnum += 1

    def spill(self) -> None:
        """Write the postings held so far out as a run and free them; the segment goes on
        (its postings file is written from its runs when it is finished)."""
        name = f"{self.segment_id}.{len(self.runs)}"
        run = RunWriter(self._tempstorage, name, len(self.runs), self.codec)
        try:
            self._write_postings(run)
        finally:
            run.close()
        self.runs.append(name)
        self.size = 0

    @property
    def segment_id(self) -> str:
        return self.newsegment.segment_id()

    def _write_postings(self, writer: Any) -> None:
        """Hand the postings held to ``writer`` (a field writer or a run): fields and terms in
        sorted order, documents ascending; then free them."""
        for fieldname in sorted(self.postings):
            terms = self.postings[fieldname]
            lengths = self.lengths.get(fieldname, {})
            fieldobj = self.schema[fieldname]
            writer.start_field(fieldname, fieldobj)
            postwriter = writer._postwriter
            postwriter.__class__ = BlockWriter  # the same writer with cheaper blocks
            postwriter._format = fieldobj.format
            # A short posting list goes into a run as it is, or into the segment's own field
            # writer as one block with its term entry, straight to the files.
            run = isinstance(writer, RunWriter)
            short: Any = None
            if run:
                short = writer.short_lists()
            elif type(writer) is W3FieldWriter:
                short = ShortLists(
                    postwriter, writer._tindex, pack_ushort(writer._fieldid), fieldobj
                )
            limit = postwriter._blocklimit
            # A run keeps the impacts of a body word's pieces from MIN_PIECE postings on.
            titles = self.postings.get("title", {}) if fieldname == IMPACTS_FIELD else None
            wide = MIN_PIECE - 1 if run and titles is not None else limit
            single = SINGLE_PRECISION
            for term in sorted(terms):  # text sorts as its UTF-8 does
                entry = terms[term]
                btext = term.encode("utf-8") if isinstance(term, str) else term
                if type(entry) is tuple:  # one posting
                    docnum, weight, value = entry
                    docnums, weights, values = (docnum,), (single[weight],), (value,)
                    if short is not None:
                        known = lengths.get(docnum)
                        stats = (max(0, weights[0]), known or None, known or 0)
                        short.add(btext, docnums, weights, values if value else (), stats)
                        continue
                else:
                    docnums, weights, values = entry
                    if short is not None and len(docnums) <= wide:
                        stats = block_stats(docnums, weights, lengths)
                        short.add(btext, docnums, weights, values, stats)
                        continue
                if short is not None:
                    short.flush()
                figures = None
                if titles is not None and len(docnums) >= MIN_PIECE:
                    titled = titles.get(term)
                    figures = block_figures(docnums, weights, lengths, _docnums(titled), limit)
                    postwriter.layouts = []
                writer.start_term(btext)
                add_postings(postwriter, docnums, weights, values, lengths)
                if run:  # the figures go with the term's blocks
                    writer.impacts = figures
                writer.finish_term()
                if figures is not None:
                    layouts, postwriter.layouts = postwriter.layouts, None
                    stored = encode_impacts(figures, layouts) if not run else None
                    if stored is not None:
                        self.impacts.append((btext, stored))
            if short is not None:
                short.flush()
            writer.finish_field()
        self.postings.clear()
        self.lengths.clear()

    def _flush_segment(self) -> None:
        """Write the postings file: from memory, or from the runs if any were written out."""
        self.perdocwriter.close()
        if self.runs:
            if self.postings:
                self.spill()
            join_runs(
                self._tempstorage,
                self.runs,
                self.fieldwriter,
                self.schema,
                BlockWriter,
                impacts=(IMPACTS_FIELD, self.impacts),
            )
            self.runs = []
        else:
            self._write_postings(self.fieldwriter)
        self.fieldwriter.close()
        if self.impacts:
            write_impacts(self.newsegment, self.storage, self.impacts)
            self.impacts = []

    def finish(self) -> Any:
        """Close this segment's files and return the segment (not yet in the index)."""
        segment = self._finalize_segment()
        self._finish()
        return segment

    def _finish(self) -> None:
        # Whoosh's version also destroys the index's temporary folder, which every writer of
        # the index shares: the main writer removes it when the import ends.
        self.is_closed = True


class _Builder:
    """Builds one segment from batches, in bounded memory; records where each batch starts."""

    def __init__(self, ix: Any, limitmb: float) -> None:
        self.ix, self.limitmb = ix, limitmb
        self.schema = ix.schema
        self.firsts: dict[int, int] = {}  # batch number -> its first document number
        self.writer: _SegmentBuilder | None = None  # started with the first document

    def _writer(self) -> _SegmentBuilder:
        if self.writer is None:
            self.writer = _SegmentBuilder(self.ix, self.limitmb, self.schema)
        return self.writer

    def add(self, fields: dict[str, Any]) -> None:
        self._writer().add_document(**fields)

    def add_batch(self, number: int, batch: list[dict[str, Any]]) -> None:
        writer = self._writer()
        self.firsts[number] = writer.docnum
        for fields in batch:
            self.add(fields)
            if writer.full:
                writer.spill()

    def finish(self) -> BuiltSegment:
        """Close the segment's files; the segment and where each batch starts in it."""
        segment = None
        if self.writer is not None:
            segment = self.writer.finish()
            self.writer = None
            # Whoosh's finished file writers sit in reference cycles, holding a tuple per term
            # of the segment; the collector is paused for the import, so free them now.
            gc.collect()
        return BuiltSegment(segment, self.firsts)

    def known_terms(self) -> dict[str, str]:
        """What the prose analyzer learnt: surface form -> term."""
        return self.schema["body"].analyzer.known_terms()

    def cancel(self) -> None:
        if self.writer is not None and not self.writer.is_closed:
            self.writer.cancel()


def _locate(wanted: list[tuple[int, int]], built: list[BuiltSegment]) -> list[tuple[Any, int]]:
    """Turn (batch number, position in the batch) into (segment, document number)."""
    where = {number: (b.segment, first) for b in built for number, first in b.firsts.items()}
    return [(where[number][0], where[number][1] + position) for number, position in wanted]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for an import.

    The postings are millions of small objects; each full collection walks all of them, which
    cost about a third of an import's time. Reference counting frees the postings all the
    same; the few cycles (Whoosh's file writers) are collected once per segment.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_documents(
    main: SegmentWriter,
    documents: Iterable[tuple[str, dict[str, Any]]],
    *,
    procs: int = 1,
    limitmb: int = IMPORT_MEMORY_MB,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
    lock_fd: int | None = None,
    save_terms: Callable[[dict[str, str]], None] | None = None,
) -> int:
    """Add ``(id, fields)`` documents, replacing by id, and commit; returns articles stored.

    ``main`` is a locked writer on the index: it deletes the replaced articles and commits the
    new segments. An id that occurs twice keeps its last version. On any error nothing is
    committed and the caller cancels ``main``. ``limitmb``: the estimated memory, in MB, the
    import's postings may take, split evenly over its ``procs`` processes (each finishes a
    segment when its share is full). ``lock_fd``: the descriptor of the write lock, which forked
    workers close. ``save_terms`` receives, before the commit, what the analyzers
    learnt (surface form -> term), for later searches to reuse.
    """
    with _gc_paused():
        return _import(
            main, documents, procs, limitmb, progress, progress_every, lock_fd, save_terms
        )


def _import(
    main: SegmentWriter,
    documents: Iterable[tuple[str, dict[str, Any]]],
    procs: int,
    limitmb: int,
    progress: Callable[[int], None] | None,
    progress_every: int,
    lock_fd: int | None,
    save_terms: Callable[[dict[str, str]], None] | None,
) -> int:
    ix = main.storage.open_index(main.indexname)
    share = limitmb / max(1, procs)  # the budget is the import's, whatever its processes
    local = _Builder(ix, share)
    workers = None
    if procs > 1:
        # Load the stemmer once, before forking, rather than once in every worker.
        local.schema["body"].analyzer.terms("warming")
        workers = Workers(ix, procs - 1, share, lock_fd, build=_Builder)
    sizes: list[int] = []  # documents per batch
    last: dict[str, tuple[int, int]] = {}  # id -> (batch number, position in the batch)
    replaced: list[tuple[int, int]] = []
    try:
        count = 0
        for number, batch in enumerate(_batches(documents, _BATCH)):
            for position, (article_id, _fields) in enumerate(batch):
                main.delete_by_term("id", article_id)
                if article_id in last:
                    replaced.append(last[article_id])
                last[article_id] = (number, position)
                count += 1
                if progress and count % progress_every == 0:
                    progress(count)
            sizes.append(len(batch))
            docs = [fields for _id, fields in batch]
            # The workers take what they can; this process indexes the rest, so no process
            # waits for another (a worker writing a segment leaves its share to the others).
            if workers is None or not workers.offer(number, docs):
                local.add_batch(number, docs)
        if workers is not None:
            for job in workers.take_back():
                local.add_batch(*job)
            workers.close_input()  # they finish their segments while this one finishes its own
        built = [local.finish()]
        if workers is not None:
            built += workers.finish()
            for theirs in built[1:]:
                workers.check(theirs, sizes)
            if sum(len(one.firsts) for one in built) != len(sizes):
                raise IndexWriteError(ix.storage.folder, "an indexing worker lost a batch")
    except BaseException:
        local.cancel()
        if workers is not None:
            workers.kill()
        raise
    if workers is not None:
        workers.kill()
    for segment, docnum in _locate(replaced, built):
        segment.delete_document(docnum)
    segments = [one.segment for one in built if one.segment is not None]
    if save_terms:
        terms = local.known_terms()
        if workers is not None:
            terms.update(workers.terms)
        save_terms(terms)
    kept = main._merge_segments(None, False, True)
    if main._added:  # small old segments merged into the main writer's own segment
        kept.append(main._finalize_segment())
    else:
        main._close_segment()
    main._commit_toc(kept + segments)
    main._finish()
    if progress:
        progress(count)
    return count - len(replaced)


def _batches(
    documents: Iterable[tuple[str, dict[str, Any]]], size: int
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    batch: list[tuple[str, dict[str, Any]]] = []
    for item in documents:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
