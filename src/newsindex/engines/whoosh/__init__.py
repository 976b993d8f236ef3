"""The local engine: an index in a folder on disk, built on Whoosh.

- the folder and its handle: :mod:`.index` (create, open, write, delete, rebuild),
  :mod:`.searchers` (searchers lent to one thread at a time), :mod:`.damage` and
  :mod:`.repair` (damaged folders);
- imports: :mod:`.writer` and :mod:`.workers` (postings in compact arrays, two processes);
- queries: :mod:`.compile` (the query tree as Whoosh queries), :mod:`.search` (the pipeline
  from a parsed query to ``SearchResults``), the fast paths :mod:`.accumulate`,
  :mod:`.pruning`, :mod:`.postings` and :mod:`.phrases`, :mod:`.ranking` (BM25F with a title
  boost and a recency prior) and :mod:`.snippets`;
- :mod:`.codec`: everything that knows Whoosh's files and our block format.
"""
