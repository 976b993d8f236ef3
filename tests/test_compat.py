"""Indexes written by earlier versions stay readable: the class names their tables of contents
pickle never move with the code."""

from __future__ import annotations

import pickle
import re

import pytest
from _engine import searcher

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
    assert names == {
        b"newsindex.schema\nTitleOnly",
        b"newsindex.schema\nPairs",
        b"newsindex.schema\nForms",
        b"newsindex.analysis\nNewsAnalyzer",
    }


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


def test_reindex_of_a_schema_3_index_adds_the_word_pairs(tmp_path, monkeypatch):
    """An index of schema 3, which has no word pairs, asks for a reindex; reindexed, it finds
    phrases from the pairs and ranks words side by side first."""
    import json

    from newsindex import IndexVersionError
    from newsindex.engines.whoosh import folder, transactions
    from newsindex.engines.whoosh.codec import schema as schema_module

    def schema_3():
        schema = schema_module.build_schema()
        for name in schema_module.PAIR_FIELDS.values():
            schema.remove(name)
        return schema

    def document_3(article):
        document = schema_module.to_document(article)
        for name in schema_module.PAIR_FIELDS.values():
            del document[name]
        return document

    articles = [
        Article(id="apart", title="Harbour", body="The strike hit the ferry service today."),
        Article(id="adjacent", title="Harbour", body="The ferry strike hit the service today."),
    ]
    monkeypatch.setattr(folder, "build_schema", schema_3)
    monkeypatch.setattr(transactions, "to_document", document_3)
    with NewsIndex.create(tmp_path / "index") as news:
        news.add(articles)
        assert "body_pairs" not in searcher(news).schema
    monkeypatch.undo()
    meta = tmp_path / "index" / schema_module.META_FILE
    meta.write_text(json.dumps({"schema_version": 3, "format": "newsindex"}), encoding="utf-8")
    with pytest.raises(IndexVersionError):
        NewsIndex.open(tmp_path / "index")
    assert NewsIndex.reindex(tmp_path / "index") == 2
    with NewsIndex.open(tmp_path / "index") as news:
        assert "body_pairs" in searcher(news).schema
        assert [h.id for h in news.search('"ferry strike"').hits] == ["adjacent"]
        assert [h.id for h in news.search("ferry strike").hits] == ["adjacent", "apart"]
