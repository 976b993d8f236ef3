"""Indexes written by earlier versions stay readable: the class names their tables of contents
pickle never move with the code."""

from __future__ import annotations

import pickle
import re

import pytest

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


def test_reindex_makes_url_ids_again_and_reimporting_adds_no_copy(tmp_path):
    """An index of the previous schema, whose ids were made from URLs with tracking
    parameters, asks for a reindex; the reindex makes those ids from the canonical URL (two
    shares of one story become one article), and importing the file again adds nothing."""
    import hashlib
    import json

    from newsindex import IndexVersionError
    from newsindex.engines.whoosh.codec.schema import META_FILE

    def written_id(url: str) -> str:
        return hashlib.blake2b(f"url:{url}".encode(), digest_size=8).hexdigest()

    shared = ["https://a.example/s?utm_source=tw", "https://a.example/s?fbclid=9#top"]
    old = [Article(id=written_id(url), url=url, title=f"Share {n}") for n, url in enumerate(shared)]
    kept = Article(id="mine", url="https://b.example/t?utm_medium=x", title="Own id")
    with NewsIndex.create(tmp_path / "index") as news:
        news.add([*old, kept])
    meta = tmp_path / "index" / META_FILE
    meta.write_text(json.dumps({"schema_version": 2, "format": "newsindex"}), encoding="utf-8")
    with pytest.raises(IndexVersionError):
        NewsIndex.open(tmp_path / "index")
    assert NewsIndex.reindex(tmp_path / "index") == 2
    records = tmp_path / "shares.jsonl"
    records.write_text(
        "".join(
            json.dumps({"url": url, "title": f"Share {n}"}) + "\n" for n, url in enumerate(shared)
        ),
        encoding="utf-8",
    )
    with NewsIndex.open(tmp_path / "index") as news:
        news.add_files([records])
        assert len(news) == 2
        assert news.get("mine").title == "Own id"
        (hit,) = [h for h in news.search("share").hits]
        assert hit.title == "Share 1"
