"""The engines that store articles and answer the parsed query tree.

:mod:`newsindex.engines.base` says what an engine does (:class:`~.base.Engine`); each engine is
a package beside it: :mod:`newsindex.engines.whoosh` keeps an index in a folder on this
machine. An engine takes what the stages below it produce (``Article`` models, the engine-free
query tree of :mod:`newsindex.query.tree`) and returns the models of :mod:`newsindex.models`;
:class:`newsindex.NewsIndex` is the front door over it.
"""
