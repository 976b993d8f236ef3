"""The ``newsindex`` command: a thin layer over :class:`newsindex.NewsIndex` and ``render``."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO, get_args

import click

from newsindex import (
    DEFAULT_LOCK_TIMEOUT,
    FETCH_DELAY,
    FETCH_TIMEOUT,
    IMPORT_MEMORY_MB,
    Match,
    NewsIndex,
    NewsIndexError,
    Sort,
    analyze,
    default_index_location,
    render,
)

_INDEX_HELP = (
    "Index folder, or an OpenSearch index URL (http://127.0.0.1:9200/news) "
    "[default: $NEWSINDEX_DIR, else the per-user data folder]."
)

Where = Path | str
"""An index folder, or an OpenSearch index's URL as text."""


def _fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print our errors as one line and exit 1; quit quietly when the reader closes the pipe."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewsIndexError as exc:
            click.echo(render.format_error(exc), err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.stderr.close()  # `newsindex search x | head`: not an error
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing was changed by the unfinished step.", err=True)
            sys.exit(130)

    return wrapper


def _index_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Where | None:
    """``--index``: an ``http(s)://`` URL as given, anything else a folder path."""
    if value is None or value.strip()[:8].lower().startswith(("http://", "https://")):
        return value
    folder = click.Path(file_okay=False, path_type=Path).convert(value, param, ctx)
    return Path(folder)


def _command(*options: Callable[..., Any]) -> Callable[..., Any]:
    """A subcommand with ``--index`` and clean error handling."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = _fail_cleanly(func)
        for option in reversed(options):
            func = option(func)
        func = click.option(
            "--index",
            "index_dir",
            default=None,
            callback=_index_value,
            metavar="DIR|URL",
            help=_INDEX_HELP,
        )(func)
        return main.command()(func)

    return decorate


_json = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
_lock_timeout = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_LOCK_TIMEOUT,
    envvar="NEWSINDEX_LOCK_TIMEOUT",
    show_default=True,
    show_envvar=True,
    metavar="SECONDS",
    help="How long to wait for another process's write to the index to finish.",
)


_ca_certs = click.option(
    "--ca-certs",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    envvar="NEWSINDEX_CA_CERTS",
    show_envvar=True,
    metavar="FILE",
    help="The CA certificate (PEM) that verifies an https:// index URL's cluster "
    "[default: the system's].",
)


def _open(index_dir: Where | None, ca_certs: Path | None) -> NewsIndex:
    """The index asked for; with no choice made, the user's own, else the bundled sample."""
    where = index_dir or default_index_location()
    if isinstance(where, str):
        return NewsIndex.connect(where, ca_certs=ca_certs)
    if index_dir is not None:
        return NewsIndex.open(index_dir)

    def note(path: Path) -> None:
        click.echo(
            f"No index of your own yet at {path}: searching the bundled sample news "
            "('newsindex index FILES' makes your own).",
            err=True,
        )

    def announce() -> None:
        click.echo("Building the sample index once, in a few seconds ...", err=True)

    return NewsIndex.open_default(on_sample=note, on_build=announce)


def _color(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``stream`` gets colour: a terminal does, unless $NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not environ.get("NO_COLOR")


@contextlib.contextmanager
def _undone_if_failed(folder: Path) -> Iterator[None]:
    """Remove what a failed first import into ``folder`` made: the folder and the parents it
    needed, or what it put in a folder that was empty.

    A folder that held anything before is left alone, and so is one another process is
    importing into (see :meth:`NewsIndex.discard`).
    """
    folder = folder.absolute()
    was_empty = folder.is_dir() and not any(folder.iterdir())
    if folder.exists() and not was_empty:
        yield
        return
    made = [folder]  # the folders the import makes, innermost first
    while not was_empty and not made[-1].parent.exists() and made[-1].parent != made[-1]:
        made.append(made[-1].parent)
    try:
        yield
    except BaseException:
        NewsIndex.discard(folder)  # the index, if nobody else's articles are on the way
        # The import's own error is the one to report: these clean-ups fail quietly.
        if was_empty:
            with contextlib.suppress(OSError):
                folder.mkdir(exist_ok=True)
        else:
            for made_folder in made:
                try:
                    made_folder.rmdir()  # only while empty: it holds nothing of anyone's
                except FileNotFoundError:
                    continue  # discarded with the index
                except OSError:
                    break
        raise


def _open_for_writing(
    index_dir: Where | None, lock_timeout: float, ca_certs: Path | None
) -> NewsIndex:
    """The index asked for, or the user's own (never the sample), made empty if there is none."""
    where = index_dir or default_index_location()
    if isinstance(where, str):
        return NewsIndex.connect(where, ca_certs=ca_certs, create=True)
    if index_dir is not None:
        return NewsIndex.open_or_create(index_dir, lock_timeout=lock_timeout)
    return NewsIndex.open_default(create=True, lock_timeout=lock_timeout)


def _column_map(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    """``--map title=headline,published=date`` (the option may be repeated) as a dict."""
    mapping: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            field, equals, column = pair.partition("=")
            if not equals or not field.strip() or not column.strip():
                raise click.BadParameter(f"{pair!r} is not FIELD=COLUMN (as in title=headline).")
            mapping[field.strip()] = column.strip()
    return mapping


def _progress(count: int) -> None:
    click.echo(f"\r{count:,} articles ...", nl=False, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsindex")
def main() -> None:
    """Index news articles and search them."""


@_command(
    click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str)),
    click.option(
        "--skip-bad",
        is_flag=True,
        help="Leave out bad records (and URLs that cannot be fetched) instead of failing.",
    ),
    click.option(
        "--format",
        "input_format",
        metavar="FORMAT",
        help="Read standard input (and files named) as this format: jsonl, json, csv, tsv, txt ... "
        "[default: told by name, else by content].",
    ),
    click.option(
        "--map",
        "column_map",
        multiple=True,
        callback=_column_map,
        metavar="FIELD=COLUMN,...",
        help="Read an article field from a CSV column or JSON key of another name: title=headline.",
    ),
    click.option(
        "--memory-mb",
        type=click.IntRange(1),
        default=IMPORT_MEMORY_MB,
        show_default=True,
        help="Memory for the import's postings (a larger import writes them out in more pieces).",
    ),
    click.option(
        "--dayfirst",
        "date_order",
        flag_value="dayfirst",
        default=None,
        help="Read a date such as 03/04/2025 day first (3 April); without it, it is an error.",
    ),
    click.option(
        "--monthfirst",
        "date_order",
        flag_value="monthfirst",
        help="Read a date such as 03/04/2025 month first (4 March).",
    ),
    click.option(
        "--follow",
        is_flag=True,
        help="For a feed of summaries, fetch each item's page and index its text.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=FETCH_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for a web server's answer.",
    ),
    click.option(
        "--delay",
        type=click.FloatRange(min=0),
        default=FETCH_DELAY,
        show_default=True,
        metavar="SECONDS",
        help="Pause between two requests to the same web site.",
    ),
    _lock_timeout,
    _ca_certs,
)
def index(
    index_dir: Where | None,
    paths: tuple[str, ...],
    skip_bad: bool,
    input_format: str | None,
    column_map: dict[str, str],
    memory_mb: int,
    date_order: str | None,
    follow: bool,
    timeout: float,
    delay: float,
    lock_timeout: float,
    ca_certs: Path | None,
) -> None:
    """Import articles from files, folders, feed or page URLs, or - for standard input (.jsonl,
    .json, .csv, .tsv, .txt seed format ...)."""
    where = index_dir or default_index_location()
    show_progress = sys.stderr.isatty()
    stdin = sys.stdin.buffer
    sources = [stdin if path == "-" else path for path in paths]
    # Only a folder is tidied up after a failed first import: a cluster keeps its index.
    undo = _undone_if_failed(where) if isinstance(where, Path) else contextlib.nullcontext()
    with undo, _open_for_writing(index_dir, lock_timeout, ca_certs) as news:
        summary = news.add_files(
            sources,
            skip_errors=skip_bad,
            progress=_progress if show_progress else None,
            memory_mb=memory_mb,
            format=input_format,
            column_map=column_map,
            date_order=date_order,  # type: ignore[arg-type]  # one of the two flag values
            follow=follow,
            timeout=timeout,
            delay=delay,
        )
    if show_progress:
        click.echo("", err=True)
    for line in render.format_import(summary, news.location):
        click.echo(line, err=not line.startswith("Indexed"))


@_command(
    click.argument("query"),
    click.option(
        "-n",
        "--limit",
        default=10,
        show_default=True,
        type=click.IntRange(1, 1000),
        help="Hits per page.",
    ),
    click.option(
        "-p",
        "--page",
        default=1,
        show_default=True,
        type=click.IntRange(1),
        help="Which page of hits to show.",
    ),
    click.option(
        "--sort",
        type=click.Choice(get_args(Sort)),
        default="relevance",
        show_default=True,
        help="Order by relevance or by publication date.",
    ),
    click.option(
        "--match",
        type=click.Choice(get_args(Match)),
        default="auto",
        show_default=True,
        help="all: every word required; any: ranked by any of the words (pasted text); "
        "auto: any for five or more plain words, else all.",
    ),
    click.option("--since", metavar="DATE", help="Only articles published on or after DATE."),
    click.option("--until", metavar="DATE", help="Only articles published on or before DATE."),
    _json,
    click.option(
        "--json-summary",
        is_flag=True,
        help="As --json, then a last line with the total and the page count.",
    ),
    _ca_certs,
)
def search(
    index_dir: Where | None,
    query: str,
    limit: int,
    page: int,
    sort: Sort,
    match: Match,
    since: str | None,
    until: str | None,
    as_json: bool,
    json_summary: bool,
    ca_certs: Path | None,
) -> None:
    """Search the index: words, "exact phrases", field:value, date:2025-03, OR, -word."""
    with _open(index_dir, ca_certs) as news:
        results = news.search(
            query, limit=limit, page=page, sort=sort, match=match, since=since, until=until
        )
    if as_json or json_summary:
        for hit in results.hits:
            click.echo(render.hit_json(hit))
        if json_summary:
            click.echo(render.results_summary_json(results))
    else:
        click.echo(render.format_results(results, color=_color(sys.stdout)))


@_command(click.argument("article_id", metavar="ID"), _json, _ca_certs)
def show(index_dir: Where | None, article_id: str, as_json: bool, ca_certs: Path | None) -> None:
    """Print one article in full."""
    with _open(index_dir, ca_certs) as news:
        article = news.get(article_id)
    click.echo(render.article_json(article) if as_json else render.format_article(article))


@_command(_json, _ca_certs)
def stats(index_dir: Where | None, as_json: bool, ca_certs: Path | None) -> None:
    """Show how many articles the index holds, their dates and its size."""
    with _open(index_dir, ca_certs) as news:
        numbers = news.stats()
    click.echo(render.stats_json(numbers) if as_json else render.format_stats(numbers))


@_command(
    click.argument("article_ids", metavar="ID...", nargs=-1, required=True),
    _lock_timeout,
    _ca_certs,
)
def delete(
    index_dir: Where | None,
    article_ids: tuple[str, ...],
    lock_timeout: float,
    ca_certs: Path | None,
) -> None:
    """Delete articles by id."""
    where = index_dir or default_index_location()
    if isinstance(where, str):
        opened = NewsIndex.connect(where, ca_certs=ca_certs)
    else:
        opened = NewsIndex.open(where, lock_timeout=lock_timeout)
    with opened as news:
        deleted = news.delete(article_ids)
    click.echo(f"Deleted {deleted} article{'s' if deleted != 1 else ''}.")


@_command(_lock_timeout)
def reindex(index_dir: Where | None, lock_timeout: float) -> None:
    """Rebuild an index written by another newsindex version from the articles it stores."""
    path = index_dir or default_index_location()
    count = NewsIndex.reindex(path, lock_timeout=lock_timeout)
    click.echo(f"Rebuilt {path} with {count:,} articles.")


@_command(_json)
def check(index_dir: Where | None, as_json: bool) -> None:
    """Read a whole index and report damage (exit 1 if damaged); writes nothing."""
    report = NewsIndex.check(index_dir or default_index_location())
    click.echo(render.check_json(report) if as_json else render.format_check(report))
    if not report.ok:
        sys.exit(1)


@_command(_json, _lock_timeout)
def repair(index_dir: Where | None, as_json: bool, lock_timeout: float) -> None:
    """Rebuild a damaged index from the articles it can still read; damaged files move aside."""
    report = NewsIndex.repair(index_dir or default_index_location(), lock_timeout=lock_timeout)
    click.echo(render.repair_json(report) if as_json else render.format_repair(report))


@_command(
    click.option(
        "--to",
        "to",
        required=True,
        callback=_index_value,
        metavar="URL|DIR",
        help="Where the copy goes: an OpenSearch URL whose path names an alias "
        "(http://127.0.0.1:9200/news), or a new index folder.",
    ),
    click.option(
        "--shards",
        type=click.IntRange(1),
        default=1,
        show_default=True,
        help="Primary shards of the index made on OpenSearch.",
    ),
    click.option(
        "--replicas",
        type=click.IntRange(0),
        default=0,
        show_default=True,
        help="Copies of each shard on other nodes of the cluster.",
    ),
    _json,
    _ca_certs,
)
def copy(
    index_dir: Where | None,
    to: Where,
    shards: int,
    replicas: int,
    as_json: bool,
    ca_certs: Path | None,
) -> None:
    """Copy every article of an index folder into OpenSearch (or into a new folder).

    On OpenSearch the articles go into a fresh index, and the alias --to names moves onto it in
    one step once all are there: readers see the old articles or all the new ones. If the copy
    stops part way, run the same command again: it sends only what is missing.
    """
    with _open(index_dir, ca_certs) as index, contextlib.ExitStack() as shown:
        bar: Any = None
        done = 0

        def progress(count: int) -> None:
            # The bar shows once the target is ready, not before an error about it.
            nonlocal bar, done
            if bar is None:
                bar = shown.enter_context(
                    click.progressbar(length=len(index), label="Copying", file=sys.stderr)
                )
            bar.update(count - done)
            done = count

        report = index.copy_to(
            to, ca_certs=ca_certs, shards=shards, replicas=replicas, progress=progress
        )
    click.echo(render.copy_json(report) if as_json else render.format_copy(report))


@main.command("analyze")
@click.argument("text")
@click.option("--no-stem", is_flag=True, help="Show the terms names fields get (no stemming).")
@_json
@_fail_cleanly
def analyze_command(text: str, no_stem: bool, as_json: bool) -> None:
    """Show the terms a text becomes in the index (and in queries)."""
    click.echo(render.format_terms(analyze(text, stem=not no_stem), as_json=as_json))


@main.command("eval")
@click.argument("docs", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("queries", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--index",
    "index_dir",
    default=None,
    callback=_index_value,
    metavar="DIR|URL",
    help="Build the index in this new folder (or OpenSearch index URL) and keep it "
    "[default: a temporary folder].",
)
@click.option(
    "--depth", default=1000, show_default=True, type=click.IntRange(1), help="Results per query."
)
@_json
@_fail_cleanly
def eval_command(
    docs: Path, queries: Path, qrels: Path, index_dir: Where | None, depth: int, as_json: bool
) -> None:
    """Measure ranking quality on judged queries: MAP, nDCG@10, P@10 and R@100.

    DOCS is JSON Lines articles, QUERIES JSON Lines {"id", "text"}, QRELS TREC qrels.
    """
    from newsindex import evaluate_collection  # imported on use: a search needs none of it

    report = evaluate_collection(docs, queries, qrels, index_path=index_dir, depth=depth)
    click.echo(render.eval_json(report) if as_json else render.format_eval(report))
