"""How fast each reader turns files into articles, before any indexing.

The same articles (from ``--corpus``, else the bundled sample) are written in every format a
reader takes: JSON Lines, JSON, CSV, an RSS feed, one HTML page per article (with menus, a
cookie banner and related links around the text) and a web archive of those pages. Each is
then read ``--runs`` times with ``newsindex.read_path`` and the best run kept:

    python -m benchmarks.readers --articles 1000 --runs 3

Prints articles per second per reader and writes ``readers.json`` into ``--out``; the feed,
page and archive readers need the ``web`` extra and are left out without it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import importlib.util
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from email.utils import format_datetime
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

_PAGE = """<!doctype html>
<html lang="en"><head><title>{title} | Example News</title>
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="{url}"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>{title}</h1><p class="byline">By {author}</p>
<time datetime="{published}">{published}</time>
{paragraphs}</article>
<aside><h2>Related stories</h2><ul><li><a href="/a">Markets rally</a></li></ul></aside>
<footer>Copyright Example News. All rights reserved.</footer></body></html>
"""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readers", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="JSON Lines articles [default: the sample].")
    parser.add_argument("--articles", type=int, default=1000, help="Articles per format [1000].")
    parser.add_argument("--runs", type=int, default=3, help="Reads per format; the best is kept.")
    parser.add_argument("--out", type=Path, default=_ROOT / "benchmarks" / "results")
    return parser.parse_args(argv)


def _published(article) -> dt.datetime:
    return article.published or dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def _url(article, n: int) -> str:
    return article.url or f"https://news.example/story/{n}"


def _write_jsonl(articles, folder: Path) -> Path:
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
    return path


def _write_json(articles, folder: Path) -> Path:
    path = folder / "articles.json"
    path.write_text(json.dumps([a.to_dict() for a in articles], ensure_ascii=False), "utf-8")
    return path


def _write_csv(articles, folder: Path) -> Path:
    path = folder / "articles.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "title", "body", "url", "published", "source"])
        for n, article in enumerate(articles):
            published = _published(article).isoformat()
            row = [article.id, article.title, article.body, _url(article, n), published]
            writer.writerow([*row, article.source or ""])
    return path


def _item(article, n: int) -> str:
    """One RSS item holding the article."""
    parts = {
        "title": article.title,
        "link": _url(article, n),
        "guid": article.id,
        "pubDate": format_datetime(_published(article)),
        "description": article.body,
    }
    return "<item>" + "".join(f"<{k}>{html.escape(v)}</{k}>" for k, v in parts.items()) + "</item>"


def _write_rss(articles, folder: Path) -> Path:
    items = "".join(_item(article, n) for n, article in enumerate(articles))
    path = folder / "feed.rss"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Example News</title><link>https://news.example/</link>{items}</channel></rss>",
        encoding="utf-8",
    )
    return path


def _page(article, n: int) -> str:
    paragraphs = "\n".join(
        f"<p>{html.escape(p)}</p>" for p in article.body.split("\n") if p.strip()
    )
    return _PAGE.format(
        title=html.escape(article.title),
        url=html.escape(_url(article, n)),
        author=html.escape(", ".join(article.authors) or "Staff"),
        published=_published(article).isoformat(),
        paragraphs=paragraphs,
    )


def _write_pages(articles, folder: Path) -> Path:
    pages = folder / "pages"
    pages.mkdir()
    for n, article in enumerate(articles):
        (pages / f"{n:06d}.html").write_text(_page(article, n), encoding="utf-8")
    return pages


def _write_warc(articles, folder: Path) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = folder / "crawl.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n, article in enumerate(articles):
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                _url(article, n),
                "response",
                payload=io.BytesIO(_page(article, n).encode("utf-8")),
                http_headers=headers,
            )
            writer.write_record(record)
    return path


def _formats() -> dict[str, Callable[..., Path]]:
    formats: dict[str, Callable[..., Path]] = {
        "jsonl": _write_jsonl,
        "json": _write_json,
        "csv": _write_csv,
    }
    if importlib.util.find_spec("feedparser"):
        formats["rss"] = _write_rss
    if importlib.util.find_spec("trafilatura"):
        formats["html pages"] = _write_pages
        if importlib.util.find_spec("warcio"):
            formats["warc"] = _write_warc
    return formats


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    from newsindex import read_path, read_paths
    from newsindex.ingest import sample_paths

    paths = [args.corpus] if args.corpus else list(sample_paths())
    articles = [a for a in read_paths(paths) if a.title and a.body][: args.articles]
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsindex-readers-") as tmp:
        for name, write in _formats().items():
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            path = write(articles, folder)
            best, count = float("inf"), 0
            for _run in range(args.runs):
                begin = time.perf_counter()
                count = sum(1 for _ in read_path(path))
                best = min(best, time.perf_counter() - begin)
            rows.append({"reader": name, "articles": count, "seconds": best})
    report = {"articles": len(articles), "readers": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "readers.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{len(articles):,} articles per format; best of {args.runs} reads")
    print(f"{'reader':<12}{'articles':>10}{'articles/s':>14}")
    for row in rows:
        rate = row["articles"] / row["seconds"] if row["seconds"] else 0.0
        print(f"{row['reader']:<12}{row['articles']:>10,}{rate:>14,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
