"""The local engine: an index in a folder on disk, built on Whoosh.

- the folder: :mod:`.folder` (whether a folder holds an index, creating and opening one, the
  version file), :mod:`.lock` (the write lock, leftovers of dead writers), :mod:`.terms` (the
  stemmed-terms cache), :mod:`.stats`, :mod:`.damage` and :mod:`.repair` (damaged folders);
- writes: :mod:`.transactions` (import, delete, rebuild: one commit each), :mod:`.writer`
  and :mod:`.workers` (postings in compact arrays, two processes);
- reads: :mod:`.handle` (``OpenIndex``, the handle the API holds) and :mod:`.searchers`
  (searchers lent to one thread at a time);
- queries: :mod:`.compile` (the query tree as Whoosh queries), :mod:`.search` (the pipeline
  from a parsed query to ``SearchResults``) with :mod:`.ranked` (any-word matching),
  :mod:`.collect` (the first matches) and :mod:`.hits`; the fast paths :mod:`.accumulate`,
  :mod:`.pruning`, :mod:`.postings` and :mod:`.phrases`; :mod:`.ranking` (BM25F with a title
  boost and a recency prior) and :mod:`.snippets`;
- :mod:`.codec`: everything that knows the bytes of the files an index folder holds (and
  :mod:`.codec.buffers`, installed here, reads a segment's parts without copying them).

Whoosh's private attributes are read only inside this package.
"""

from newsindex.engines.whoosh.codec import buffers

buffers.install()
