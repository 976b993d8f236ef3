"""Everything that knows the bytes of an index folder: the one address of our coupling to the
internals of the pinned Whoosh release.

An index folder holds:

- ``_MAIN_<generation>.toc``: Whoosh's table of contents of each commit (the pickled schema and
  the list of segments, each with its document count and deleted documents); only the newest
  counts, and renaming it into place is the commit;
- ``MAIN_<segment>.seg``: a segment, a compound file of Whoosh's parts: the term dictionary
  (``.trm``), the posting lists (``.pst``, in blocks that :mod:`.postfile` writes and
  :mod:`.blocks` reads without Whoosh's matcher), per-document columns (``.col``: lengths,
  publication dates, the stored articles) read whole by :mod:`.columns`, and our own impacts
  file (``.imp``, :mod:`.impacts`: per block, the figures that bound a word's BM25 score);
- ``newsindex.json``: the schema version (:mod:`.schema`), ``terms.json``: the analyzer's memo
  of words stemmed by imports (a cache), ``MAIN_WRITELOCK``: the file the write lock is taken on.

:mod:`.runs` spills a large import's postings to disk in sorted runs and joins them;
:mod:`.buffers` reads a segment's parts from the mapped compound file without copying them.
"""
