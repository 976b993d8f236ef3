"""Turn results into text for a terminal or into JSON lines. Pure functions: no I/O.

Whatever names an index (a stats' path, an error) passes through
:func:`newsindex.locations.redact` on its way out, so no password of an index URL is printed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import PurePath
from typing import Any

import attrs

from newsindex.locations import redact
from newsindex.models import (
    Article,
    CopyReport,
    Hit,
    ImportSummary,
    IndexCheck,
    IndexStats,
    RepairReport,
    SearchResults,
)

__all__ = [
    "article_json",
    "check_json",
    "copy_json",
    "eval_json",
    "format_article",
    "format_check",
    "format_copy",
    "format_error",
    "format_eval",
    "format_import",
    "format_repair",
    "format_results",
    "format_stats",
    "format_terms",
    "hit_json",
    "repair_json",
    "results_summary_json",
    "stats_json",
]

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _date(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else "no date"


def _mark(text: str, spans: Sequence[tuple[int, int]], color: bool) -> str:
    """Emphasise ``spans`` of ``text``: bold on a terminal, left plain otherwise."""
    if not color or not spans:
        return text
    out, cursor = [], 0
    for start, end in spans:
        out += [text[cursor:start], _BOLD, text[start:end], _RESET]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _style(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _format_hit(hit: Hit, color: bool) -> list[str]:
    meta = " · ".join(part for part in (_date(hit.published), hit.source, f"id {hit.id}") if part)
    lines = [f"{hit.rank:>3}. {_style(hit.title or '(untitled)', _BOLD, color)}"]
    lines.append("     " + _style(meta, _DIM, color))
    if hit.snippet:
        lines.append("     " + _mark(hit.snippet, hit.highlights, color))
    return lines


def format_results(results: SearchResults, *, color: bool = False) -> str:
    """Human-readable results: rank, title, date, source, id and a snippet per hit."""
    if not results.hits:
        if results.total:
            return f"No results on page {results.page}: the last page is {results.pages}."
        return f"No articles match {results.query}."
    lines: list[str] = []
    for hit in results.hits:
        lines += [*_format_hit(hit, color), ""]
    matches = "article matches" if results.total == 1 else "articles match"
    footer = f"{results.total:,} {matches} {results.query}"
    if results.pages > 1:
        footer += f" · page {results.page} of {results.pages}"
    lines.append(_style(footer, _DIM, color))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def hit_json(hit: Hit) -> str:
    """One hit as a compact JSON object (dates in ISO 8601)."""
    data = {k: _jsonable(v) for k, v in attrs.asdict(hit, recurse=False).items()}
    return json.dumps(data, ensure_ascii=False)


def results_summary_json(results: SearchResults) -> str:
    """The line that ends a page of JSON hits: the query as understood, the total and the pages.

    ``"summary": true`` tells it apart from a hit.
    """
    data = {
        "summary": True,
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "limit": results.limit,
    }
    return json.dumps(data, ensure_ascii=False)


def article_json(article: Article) -> str:
    """An article as a JSON object that the JSON Lines reader accepts back."""
    return json.dumps(article.to_dict(), ensure_ascii=False)


def stats_json(stats: IndexStats) -> str:
    """Index statistics as a JSON object; ``location`` is the folder or the OpenSearch index's
    URL (password hidden), and ``path`` the same, kept for readers of older output."""
    data = {k: _jsonable(v) for k, v in attrs.asdict(stats, recurse=False).items()}
    data["path"] = data["location"] = redact(stats.path)
    return json.dumps(data, ensure_ascii=False)


def format_article(article: Article) -> str:
    """An article for reading in a terminal: headline, metadata block, then the body."""
    meta = [
        ("id", article.id),
        ("published", article.published.isoformat() if article.published else None),
        ("by", ", ".join(article.authors)),
        ("source", article.source),
        ("section", article.section),
        ("tags", ", ".join(article.tags)),
        ("url", article.url),
    ]
    lines = [article.title or "(untitled)", ""]
    lines += [f"{name + ':':<11}{value}" for name, value in meta if value]
    return "\n".join([*lines, "", article.body])


def format_stats(stats: IndexStats) -> str:
    """Index statistics as aligned lines."""
    if stats.first_published:
        dates = f"{_date(stats.first_published)} to {_date(stats.last_published)}"
    else:
        dates = "none"
    rows = [
        ("index", redact(stats.path)),
        ("articles", f"{stats.articles:,}"),
        ("dates", dates),
        ("size", f"{stats.size_bytes / 1_048_576:,.1f} MB"),
        ("schema", str(stats.schema_version)),
    ]
    return "\n".join(f"{name + ':':<10}{value}" for name, value in rows)


def format_terms(terms: Sequence[str], *, as_json: bool = False) -> str:
    """The terms a text analyses to: space-separated, or a JSON list."""
    return json.dumps(list(terms), ensure_ascii=False) if as_json else " ".join(terms)


def format_import(summary: ImportSummary, index_path: str) -> Iterator[str]:
    """Lines describing an import: the count, files ignored by type, then each skipped record."""
    yield f"Indexed {_count(summary.added, 'article')} into {redact(index_path)}."
    if summary.ignored:
        yield _ignored_line(summary.ignored)
    if summary.passed_over:
        kinds = Counter(summary.passed_over).most_common()
        listed = ", ".join(f"{count:,} {kind}" for kind, count in kinds)
        records = _count(len(summary.passed_over), "web-archive record")
        what = "that is not a page" if len(summary.passed_over) == 1 else "that are not pages"
        yield f"Passed over {records} {what}: {listed}."
    if summary.skipped:
        yield f"Skipped {_count(len(summary.skipped), 'bad record')}:"
        for bad in summary.skipped:
            where = f"{bad.path}, line {bad.line}" if bad.line else bad.path
            yield f"  {where}: {bad.reason}"


def _ignored_line(paths: Sequence[str]) -> str:
    """``Ignored 3 files of other types: 2 .pdf, 1 (no extension).``, most common type first."""
    kinds = Counter(PurePath(path).suffix.lower() or "(no extension)" for path in paths)
    counts = sorted(
        kinds.items(), key=lambda item: (-item[1], item[0] == "(no extension)", item[0])
    )
    others = "another type" if len(paths) == 1 else "other types"
    listed = ", ".join(f"{count:,} {kind}" for kind, count in counts)
    return f"Ignored {_count(len(paths), 'file')} of {others}: {listed}."


def format_check(check: IndexCheck) -> str:
    """A check's report: a verdict line, then each problem and note."""
    counts = f"{_count(check.articles, 'readable article')} in {_count(check.segments, 'segment')}"
    if check.ok:
        lines = [f"{check.path}: sound ({counts})."]
    else:
        lines = [f"{check.path}: damaged ({counts}); {_count(len(check.problems), 'problem')}:"]
        lines += [f"  {problem}" for problem in check.problems]
    lines += [f"  note: {note}" for note in check.notes]
    if not check.ok:
        lines.append(f"Run 'newsindex repair --index {check.path}' to keep what can be read.")
    return "\n".join(lines)


def check_json(check: IndexCheck) -> str:
    """A check's report as one JSON object (with ``ok``)."""
    return json.dumps({**attrs.asdict(check), "ok": check.ok}, ensure_ascii=False)


def format_repair(report: RepairReport) -> str:
    """A repair's report: what was kept, what was lost, where the damaged files went."""
    if not report.lost and not report.moved_aside and not report.notes:
        return f"{report.path}: nothing to repair ({_count(report.recovered, 'article')})."
    lines = [f"Repaired {report.path}: {_count(report.recovered, 'article')} kept."]
    if report.lost:
        lines.append("Lost:")
        lines += [f"  {lost}" for lost in report.lost]
    lines += [f"Note: {note}" for note in report.notes]
    if report.moved_aside:
        lines.append(f"Damaged files moved to {report.aside_folder}:")
        lines += [f"  {name}" for name in report.moved_aside]
    return "\n".join(lines)


def repair_json(report: RepairReport) -> str:
    """A repair's report as one JSON object."""
    return json.dumps(attrs.asdict(report), ensure_ascii=False)


def format_copy(report: CopyReport) -> str:
    """A copy's report: where the articles went, and what the alias named before."""
    written = _count(report.copied, "article")
    if report.present:
        written += f" ({report.present:,} more were there already)"
    if report.alias is None:
        return f"Copied {written} into {report.index}."
    lines = [f"Copied {written} into {report.index}; the alias {report.alias} names it now."]
    if report.previous:
        kept = ", ".join(report.previous)
        lines.append(f"The alias named {kept} before: kept, not deleted.")
    return "\n".join(lines)


def copy_json(report: CopyReport) -> str:
    """A copy's report as one JSON object."""
    return json.dumps(attrs.asdict(report), ensure_ascii=False)


# An evaluation report (newsindex.EvalReport) is read by its attributes: render imports only
# models, and the report's classes live with the evaluation code.


def format_eval(report: Any) -> str:
    """An :class:`~newsindex.EvalReport` as lines: what was measured, then the four means."""
    means = report.means
    queries = len(report.queries)
    lines = [
        f"{queries:,} {'query' if queries == 1 else 'queries'} over "
        f"{_count(report.documents, 'document')}, up to {report.depth:,} results each"
    ]
    if report.unjudged:
        lines.append(f"left out (nothing judged relevant): {', '.join(report.unjudged)}")
    lines += [
        f"{name + ':':<9}{value:.4f}"
        for name, value in zip(means.NAMES, means.values(), strict=True)
    ]
    return "\n".join(lines)


def eval_json(report: Any) -> str:
    """An :class:`~newsindex.EvalReport` as a JSON object: the means, then every query."""
    data = {
        "depth": report.depth,
        "documents": report.documents,
        "queries": len(report.queries),
        "means": attrs.asdict(report.means),
        "unjudged": list(report.unjudged),
        "per_query": [attrs.asdict(query) for query in report.queries],
    }
    return json.dumps(data, ensure_ascii=False)


def format_error(error: BaseException) -> str:
    """The line the CLI prints for one of newsindex's errors: ``Error: <message>``."""
    return f"Error: {redact(str(error))}"
