"""The OpenSearch engine: the same articles, queries and results over a cluster.

:mod:`.template` makes the index (settings, analyzers that mirror newsindex's, mappings) and
:mod:`.compile` turns the parsed query tree into OpenSearch's query DSL.
"""
