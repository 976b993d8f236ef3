"""The OpenSearch engine: the same articles, queries and results over a cluster.

:mod:`.template` makes the index (settings, analyzers that mirror newsindex's, mappings),
:mod:`.compile` turns the parsed query tree into OpenSearch's query DSL (:mod:`.ranked` holds
the rules of any-word queries), :mod:`.client` holds the connection and turns its errors into
newsindex's, :mod:`.documents` maps articles to documents, and :mod:`.engine` is the engine
under :class:`newsindex.NewsIndex`; :mod:`.copy` moves a whole index behind an alias.
"""
