"""newsindex's benchmark: indexing and query speed against plain Whoosh, SQLite FTS5 and tantivy.

Run it with ``python -m benchmarks`` (``--help`` lists the options); ``benchmarks/README.md``
explains every number.
"""
