"""Indexes written by earlier versions stay readable: the class names their tables of contents
pickle never move with the code."""

from __future__ import annotations

import pickle
import re

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh.codec.schema import build_schema


def _toc_bytes(folder) -> bytes:
    (toc,) = folder.glob("_MAIN_*.toc")
    return toc.read_bytes()


def test_tables_of_contents_name_fixed_classes(tmp_path):
    """A table of contents names its classes under newsindex.schema and newsindex.analysis."""
    with NewsIndex.create(tmp_path) as news:
        news.add([Article(id="a", title="Harbour reopens")])
    names = set(re.findall(rb"newsindex[\w.]*\n\w+", _toc_bytes(tmp_path)))
    assert names == {b"newsindex.schema\nTitleOnly", b"newsindex.analysis\nNewsAnalyzer"}


def test_schemas_pickled_under_any_earlier_module_name_load():
    """Schemas pickled under the names earlier versions used unpickle to the same classes."""
    dumped = pickle.dumps(build_schema(), 2)
    for schema_module, analyzer_module in [
        (b"newsindex.schema", b"newsindex.analysis"),
        (b"newsindex.engines.whoosh.codec.schema", b"newsindex.analysis.analyzer"),
    ]:
        renamed = dumped.replace(b"newsindex.schema\n", schema_module + b"\n").replace(
            b"newsindex.analysis\n", analyzer_module + b"\n"
        )
        schema = pickle.loads(renamed)
        assert type(schema["title_only"]).__name__ == "TitleOnly"
        assert schema["body"].analyzer.terms("Peacekeepers") == ("peacekeep",)
