"""The engines the benchmark compares: newsindex and its peers, behind one small interface.

Every engine has a folder of its own and:

- ``build(corpus)``: index a JSON Lines file into the folder and commit;
- ``open()`` then ``search(query, limit)``: the ids of one page of hits for a
  :class:`~benchmarks.queries.BenchQuery`, reading each hit's stored id and title;
- ``cold_command(query)``: a command line that answers one query as a fresh process.

The peers index what newsindex indexes (the articles ``newsindex.read_path`` yields: same text,
same ids, same dates), in title and body, with the date sortable, and are set up the way their
documentation shows a first user:

- ``whoosh``: plain Whoosh, ``StemmingAnalyzer`` on title and body, ``ix.writer()`` with its
  defaults, ``MultifieldParser`` for queries, ``DateRange`` for dates.
- ``fts5``: SQLite FTS5 from the standard library, ``tokenize='porter unicode61'``, one
  transaction, ``ORDER BY rank`` (BM25); the date is an unindexed column filtered with ``WHERE``.
- ``tantivy``: tantivy-py (optional), ``en_stem`` tokenizer, default writer (two threads,
  128 MB heap), ``parse_query`` with AND by default, ``range_query`` for dates.

Run as a module it is the fresh process the cold-start measurement times for the peers:
``python -m benchmarks.peers ENGINE FOLDER QUERY_JSON``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

from benchmarks.queries import BenchQuery

__all__ = [
    "ENGINES",
    "PEERS",
    "available_engines",
    "make_engine",
    "query_from_data",
    "query_to_data",
]

PEERS = ("whoosh", "fts5", "tantivy")
"""Peer engines, in report order."""

ENGINES = ("newsindex", *PEERS)


def available_engines() -> tuple[str, ...]:
    """The engines importable here (tantivy is an optional extra)."""
    return tuple(e for e in ENGINES if e != "tantivy" or importlib.util.find_spec("tantivy"))


def _articles(corpus: Path) -> Iterator:
    from newsindex import read_path

    return read_path(corpus)


def _naive_utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment else None


def _date_bounds(query: BenchQuery) -> tuple[dt.datetime, dt.datetime]:
    """The query's date filter as naive-UTC datetimes, the end exclusive."""
    since = dt.datetime.combine(query.since, dt.time())
    until = dt.datetime.combine(query.until, dt.time()) + dt.timedelta(days=1)
    return since, until


def query_to_data(query: BenchQuery) -> dict:
    """A query as JSON-ready data, for child processes."""
    data = attrs.asdict(query)
    data["words"] = list(query.words)
    for key in ("since", "until"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def query_from_data(data: dict) -> BenchQuery:
    """The query :func:`query_to_data` described."""
    data = dict(data, words=tuple(data["words"]))
    for key in ("since", "until"):
        data[key] = dt.date.fromisoformat(data[key]) if data[key] else None
    return BenchQuery(**data)


class NewsIndexEngine:
    """newsindex through its public API, as the ``newsindex`` command uses it."""

    name = "newsindex"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index = None

    def build(self, corpus: Path) -> None:
        from newsindex import NewsIndex

        with NewsIndex.create(self.folder) as index:
            index.add_files([corpus])

    def open(self) -> None:
        from newsindex import NewsIndex

        self._index = NewsIndex.open(self.folder)

    def search(self, query: BenchQuery, limit: int) -> list[str]:
        results = self._index.search(
            query.newsindex_query(), limit=limit, page=query.page, sort=query.sort
        )
        return [hit.id for hit in results.hits]

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def cold_command(self, query: BenchQuery, limit: int) -> list[str]:
        script = Path(sys.executable).with_name("newsindex")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "newsindex"]
        command += ["search", query.newsindex_query(), "--index", str(self.folder)]
        command += ["-n", str(limit), "-p", str(query.page)]
        if query.sort != "relevance":
            command += ["--sort", query.sort]
        return command


class _Peer:
    name = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def cold_command(self, query: BenchQuery, limit: int) -> list[str]:
        args = [self.name, str(self.folder), json.dumps(query_to_data(query)), str(limit)]
        return [sys.executable, "-m", "benchmarks.peers", *args]

    def close(self) -> None:
        """Nothing to release by default."""


class WhooshEngine(_Peer):
    """Plain Whoosh, written the way its quick start shows."""

    name = "whoosh"

    def build(self, corpus: Path) -> None:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer

        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            published=fields.DATETIME(stored=True, sortable=True),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.folder), schema)
        writer = ix.writer()
        for article in _articles(corpus):
            doc = {"id": article.id, "title": article.title, "body": article.body}
            if article.published is not None:
                doc["published"] = _naive_utc(article.published)
            writer.add_document(**doc)
        writer.commit()

    def open(self) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self._ix = index.open_dir(str(self.folder))
        self._searcher = self._ix.searcher()
        self._parser = MultifieldParser(["title", "body"], self._ix.schema)

    def search(self, query: BenchQuery, limit: int) -> list[str]:
        from whoosh.query import And, DateRange

        parsed = self._parser.parse(query.text())
        if query.since is not None:
            since, until = _date_bounds(query)
            parsed = And([parsed, DateRange("published", since, until, endexcl=True)])
        options = {"sortedby": "published", "reverse": True} if query.sort == "newest" else {}
        # What search_page does, without its habit of turning a page past the end into the last.
        first = (query.page - 1) * limit
        hits = self._searcher.search(parsed, limit=first + limit, **options)[first : first + limit]
        return [hit.fields()["id"] for hit in hits]  # fields(): every stored field, title too

    def close(self) -> None:
        self._searcher.close()


class Fts5Engine(_Peer):
    """SQLite FTS5 with the Porter stemmer, from Python's standard library."""

    name = "fts5"

    @property
    def _db(self) -> Path:
        return self.folder / "articles.db"

    def build(self, corpus: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._db)
        db.execute(
            "CREATE VIRTUAL TABLE articles USING fts5("
            "id UNINDEXED, title, body, published UNINDEXED, tokenize='porter unicode61')"
        )
        rows = (
            (a.id, a.title, a.body, _naive_utc(a.published).isoformat() if a.published else None)
            for a in _articles(corpus)
        )
        with db:
            db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?)", rows)
        db.close()

    def open(self) -> None:
        self._conn = sqlite3.connect(self._db)

    @staticmethod
    def match(query: BenchQuery) -> str:
        """The FTS5 MATCH expression: quoted words (implicitly ANDed) or one quoted phrase."""
        if query.phrase:
            text = '"' + " ".join(query.words) + '"'
        else:
            text = " ".join(f'"{w}"' for w in query.words)
        return f"{query.field} : {text}" if query.field else text

    def search(self, query: BenchQuery, limit: int) -> list[str]:
        sql = "SELECT id, title FROM articles WHERE articles MATCH ?"
        params: list[object] = [self.match(query)]
        if query.since is not None:
            since, until = _date_bounds(query)
            sql += " AND published >= ? AND published < ?"
            params += [since.isoformat(), until.isoformat()]
        sql += " ORDER BY published DESC" if query.sort == "newest" else " ORDER BY rank"
        sql += " LIMIT ? OFFSET ?"
        params += [limit, (query.page - 1) * limit]
        return [row[0] for row in self._conn.execute(sql, params)]

    def close(self) -> None:
        self._conn.close()


class TantivyEngine(_Peer):
    """tantivy-py (Rust), the optional peer."""

    name = "tantivy"

    @staticmethod
    def _schema():
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        builder.add_date_field("published", stored=True, indexed=True, fast=True)
        return builder.build()

    def build(self, corpus: Path) -> None:
        import tantivy

        self.folder.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self._schema(), path=str(self.folder))
        writer = index.writer()
        for article in _articles(corpus):
            doc = {"id": article.id, "title": article.title, "body": article.body}
            if article.published is not None:
                doc["published"] = _naive_utc(article.published)
            writer.add_document(tantivy.Document(**doc))
        writer.commit()
        writer.wait_merging_threads()

    def open(self) -> None:
        import tantivy

        self._schema_obj = self._schema()
        self._index = tantivy.Index(self._schema_obj, path=str(self.folder))
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: BenchQuery, limit: int) -> list[str]:
        import tantivy

        parsed = self._index.parse_query(
            query.text(), ["title", "body"], conjunction_by_default=True
        )
        if query.since is not None:
            since, until = _date_bounds(query)
            dates = tantivy.Query.range_query(
                self._schema_obj, "published", tantivy.FieldType.Date, since, until,
                include_lower=True, include_upper=False,
            )  # fmt: skip
            parsed = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, parsed), (tantivy.Occur.Must, dates)]
            )
        options = {"offset": (query.page - 1) * limit}
        if query.sort == "newest":
            options.update(order_by_field="published", order=tantivy.Order.Desc)
        result = self._searcher.search(parsed, limit, count=False, **options)
        # doc(): every stored field, title too
        return [self._searcher.doc(address).get_first("id") for _key, address in result.hits]


_CLASSES = {
    "newsindex": NewsIndexEngine,
    "whoosh": WhooshEngine,
    "fts5": Fts5Engine,
    "tantivy": TantivyEngine,
}


def make_engine(name: str, folder: Path):
    """The engine called ``name``, working in ``folder``."""
    return _CLASSES[name](folder)


def remove(folder: Path) -> None:
    """Delete an engine's folder (indexes of large scales take gigabytes)."""
    shutil.rmtree(folder, ignore_errors=True)


def _main(argv: list[str]) -> None:
    """Answer one query in a fresh process, printing the ids (the peers' cold start)."""
    name, folder, query_json, limit = argv
    engine = make_engine(name, Path(folder))
    engine.open()
    for article_id in engine.search(query_from_data(json.loads(query_json)), int(limit)):
        print(article_id)
    engine.close()


if __name__ == "__main__":
    _main(sys.argv[1:])
