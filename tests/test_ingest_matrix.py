"""Bad input, end to end: every case gives a correct index or an IngestError, never half of one.

Each case writes input files and says what must come of them: the first bad record (file, line,
reason) that fails a default-mode import, every bad record a ``--skip-bad`` import lists, and
the articles a successful import stores. One test runs the matrix through
``NewsIndex.add_files`` (one process and two), one through ``newsindex index``. A failed import
must leave the index exactly as it was: the same stored articles, the same files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from conftest import is_soak

from newsindex import Article, IngestError, NewsIndex
from newsindex.cli import main
from newsindex.engines.whoosh.folder import stored_articles

UTC = dt.timezone.utc
BEFORE = (
    Article(id="keep", title="Kept as it was", body="The original text.", published="2024-05-01"),
    Article(id="other", title="Another stored article", body="Unrelated."),
)
"""What the index holds before each import; bad files try to replace ``keep`` first."""
REPLACE_KEEP = {"id": "keep", "title": "Replaced", "body": "New text.", "date": "2025-01-01"}


@attrs.frozen
class Expect:
    """What importing a case's files must give."""

    paths: tuple[Path, ...]
    """The files (or folders) to import, in order."""
    good: tuple[Article, ...] = ()
    """The articles stored when the import succeeds (in skip mode: despite the bad records)."""
    bad: tuple[tuple[Path, int, str], ...] = ()
    """Every bad record as (file, line, part of the reason); the first one fails the import."""


def jsonl(path: Path, *records: object) -> Path:
    """A JSON Lines file: dicts are dumped, str and bytes lines are written as they are."""
    lines = [
        r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()
        for r in records
    ]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def article(record: dict) -> Article:
    """The article a JSON record becomes."""
    return Article.from_dict(record)


def broken_json(folder: Path, soak: bool) -> Expect:
    path = jsonl(
        folder / "a.jsonl", REPLACE_KEEP, '{"id": "x", "title": ', {"id": "n1", "title": "One"}
    )
    return Expect(
        (path,),
        good=(article(REPLACE_KEEP), Article(id="n1", title="One")),
        bad=((path, 2, "invalid JSON"),),
    )


def not_an_object(folder: Path, soak: bool) -> Expect:
    path = jsonl(folder / "a.jsonl", REPLACE_KEEP, "[1, 2]", '"just text"', "42", "null")
    reason = "expected a JSON object"
    return Expect(
        (path,), good=(article(REPLACE_KEEP),), bad=tuple((path, n, reason) for n in (2, 3, 4, 5))
    )


def wrong_types(folder: Path, soak: bool) -> Expect:
    path = jsonl(
        folder / "a.jsonl",
        REPLACE_KEEP,
        {"id": "t1", "title": 42},
        {"id": "t2", "title": "Fine", "date": ["2025-01-01"]},
        {"id": "t3", "title": "Fine", "authors": {"nom": "A"}},
        {"id": "t4", "title": "Fine", "tags": [1, 2]},
        {"id": ["t5"], "title": "Fine"},
        {"id": "n1", "title": "One"},
    )
    bad = (
        (path, 2, "title"),
        (path, 3, "date"),
        (path, 4, "author"),
        (path, 5, "tag"),
        (path, 6, "id"),
    )
    return Expect((path,), good=(article(REPLACE_KEEP), Article(id="n1", title="One")), bad=bad)


def bad_dates(folder: Path, soak: bool) -> Expect:
    dates = ("2025-13-01", "2025-02-30", "yesterday", "2025-02-28T25:00:00Z", "0000-01-01")
    records = [{"id": f"d{n}", "title": "Dated", "date": d} for n, d in enumerate(dates)]
    path = jsonl(
        folder / "a.jsonl",
        REPLACE_KEEP,
        *records,
        {"id": "ok", "title": "Ok", "date": "2024-02-29"},
    )
    good = (article(REPLACE_KEEP), Article(id="ok", title="Ok", published="2024-02-29"))
    return Expect((path,), good=good, bad=tuple((path, n, "date") for n in range(2, 7)))


def empty_files(folder: Path, soak: bool) -> Expect:
    empty = folder / "empty.jsonl"
    empty.write_bytes(b"")
    blank = folder / "blank.ndjson"
    blank.write_bytes(b"\n  \n\t\n")
    return Expect((empty, blank))


def empty_json(folder: Path, soak: bool) -> Expect:
    path = folder / "empty.json"
    path.write_bytes(b"")
    return Expect((path,), bad=((path, 1, "invalid JSON"),))


def empty_seed(folder: Path, soak: bool) -> Expect:
    path = folder / "001_empty.txt"
    path.write_bytes(b"")
    return Expect((path,), bad=((path, 0, "neither a title nor a body"),))


def binary_file(folder: Path, soak: bool) -> Expect:
    rng = random.Random(5)
    data = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(20_000))
    path = folder / "image.jsonl"
    path.write_bytes(data)
    lines = [n for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    return Expect((path,), bad=tuple((path, n, "") for n in lines))


def binary_json(folder: Path, soak: bool) -> Expect:
    path = folder / "image.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return Expect((path,), bad=((path, 1, "UTF-8"),))


def not_utf8(folder: Path, soak: bool) -> Expect:
    path = jsonl(
        folder / "a.jsonl",
        REPLACE_KEEP,
        '{"id": "latin", "title": "Caf\xe9"}'.encode("latin-1"),
        {"id": "n1", "title": "One"},
    )
    return Expect(
        (path,),
        good=(article(REPLACE_KEEP), Article(id="n1", title="One")),
        bad=((path, 2, "UTF-8"),),
    )


def control_characters(folder: Path, soak: bool) -> Expect:
    raw = (
        '{"id": "ctl", "title": "Bell\x07 and NUL\\u0000 here", "body": "tab\\tkept\\r\\nline\x1b"}'
    )
    path = jsonl(folder / "a.jsonl", raw)
    return Expect(
        (path,), good=(Article(id="ctl", title="Bell and NUL here", body="tab\tkept\nline"),)
    )


def huge_article(folder: Path, soak: bool) -> Expect:
    rng = random.Random(20)
    # Long words: 20 MB of text in fewer tokens, so the case costs seconds, not tens of them.
    words = ["counterinsurgency", "telecommunications", "intergovernmental", "reconstruction"]
    body = " ".join(f"{rng.choice(words)}{n % 5_000}" for n in range(960_000))
    record = {"id": "huge", "title": "A very long article", "body": body}
    path = jsonl(folder / "huge.jsonl", record)
    assert path.stat().st_size >= 20_000_000
    return Expect((path,), good=(article(record),))


def many_tiny(folder: Path, soak: bool) -> Expect:
    records = [{"id": f"tiny-{n}", "title": f"Tiny {n}"} for n in range(50_000 if soak else 10_000)]
    path = jsonl(folder / "tiny.jsonl", *records)
    return Expect((path,), good=tuple(article(r) for r in records))


def duplicate_ids(folder: Path, soak: bool) -> Expect:
    versions = [{"id": "dup", "title": f"Version {n}", "body": f"v{n}"} for n in (1, 2, 3)]
    path = jsonl(
        folder / "a.jsonl",
        versions[0],
        REPLACE_KEEP,
        versions[1],
        {"id": "keep", "title": "Again"},
        versions[2],
    )
    return Expect((path,), good=(article(versions[2]), Article(id="keep", title="Again")))


SEED_TEXT = """ date 2025-03-16 Banner of the site

Ferry strike ends after talks

This first paragraph has no byline above it.

A second paragraph.
"""


def seed_without_byline(folder: Path, soak: bool) -> Expect:
    path = folder / "002_00000000000000ab.txt"
    path.write_text(SEED_TEXT, encoding="utf-8")
    expected = Article(
        id="00000000000000ab",
        title="Ferry strike ends after talks",
        body="This first paragraph has no byline above it.\n\nA second paragraph.",
        published=dt.datetime(2025, 3, 16, tzinfo=UTC),
    )
    return Expect((path,), good=(expected,))


def seed_impossible_byline(folder: Path, soak: bool) -> Expect:
    good = jsonl(folder / "a.jsonl", REPLACE_KEEP)
    path = folder / "003_00000000000000cd.txt"
    text = SEED_TEXT.replace("\nThis first", "\nby Anna Berg February 30, 2025 4:16 AM\nThis first")
    path.write_text(text, encoding="utf-8")
    return Expect((good, path), good=(article(REPLACE_KEEP),), bad=((path, 5, "invalid date"),))


CASES: dict[str, Callable[[Path, bool], Expect]] = {
    case.__name__: case
    for case in (
        broken_json,
        not_an_object,
        wrong_types,
        bad_dates,
        empty_files,
        empty_json,
        empty_seed,
        binary_file,
        binary_json,
        not_utf8,
        control_characters,
        huge_article,
        many_tiny,
        duplicate_ids,
        seed_without_byline,
        seed_impossible_byline,
    )
}


@pytest.fixture
def index(tmp_path: Path, index_copies) -> Path:
    """An index folder holding the ``BEFORE`` articles."""
    return index_copies(tmp_path / "index", BEFORE)


def build(name: str, tmp_path: Path, soak: bool) -> Expect:
    """Write a case's files into a fresh folder."""
    folder = tmp_path / "input"
    folder.mkdir()
    return CASES[name](folder, soak)


def state(index: Path) -> tuple[dict[str, dict], list[str]]:
    """The stored articles by id, and the names of the files in the folder."""
    articles = {a.id: attrs.asdict(a) for a in stored_articles(index)}
    return articles, sorted(p.name for p in index.iterdir())


def expected_articles(expect: Expect) -> dict[str, dict]:
    """The stored articles after a successful import of ``expect``."""
    after = {a.id: attrs.asdict(a) for a in BEFORE}
    after |= {a.id: attrs.asdict(a) for a in expect.good}
    return after


CLEAN = {
    "empty_files",
    "control_characters",
    "huge_article",
    "many_tiny",
    "duplicate_ids",
    "seed_without_byline",
}
"""Cases without bad records: for them skip mode would only repeat the default mode."""
SOAK_ONLY = {
    ("test_add_files", "huge_article", 1),
    ("test_add_files", "huge_article", 2),
    ("test_cli_index", "many_tiny", None),
}
"""Heavy runs left to soak mode. By default the 20 MB article goes through the CLI, which takes
the parallel path for inputs of 4 MB or more, and the many tiny articles through ``add_files``
in one process and in two."""
SLOW = {"huge_article", "many_tiny"}
"""Cases whose runs are marked ``slow``: seconds each, where the others take a tenth. Runs in
two processes (a forked worker each) are marked ``slow`` too."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the matrix tests: every case, strict and skip mode, one and two processes."""
    if "name" not in metafunc.fixturenames:
        return
    test = metafunc.function.__name__
    soak = is_soak(metafunc.config)
    params = []
    for name in CASES:
        for skip in (False,) if name in CLEAN else (False, True):
            for procs in (1, 2) if test == "test_add_files" else (None,):
                if soak or (test, name, procs) not in SOAK_ONLY:
                    mode = "skip" if skip else "strict"
                    ident = "-".join(str(part) for part in (name, mode, procs) if part)
                    marks = [pytest.mark.slow] if name in SLOW or procs == 2 else []
                    params.append(pytest.param(name, skip, procs, id=ident, marks=marks))
    metafunc.parametrize(("name", "skip", "procs"), params)


def shown(path: Path, line: int) -> str:
    """How an error names its place."""
    return f"{path}, line {line}" if line else str(path)


def test_add_files(index, tmp_path, soak, name, skip, procs):
    """add_files: a correct index, or IngestError naming file and line and nothing changed."""
    expect = build(name, tmp_path, soak)
    before = state(index)
    with NewsIndex.open(index) as news:
        if expect.bad and not skip:
            with pytest.raises(IngestError) as info:
                news.add_files(expect.paths, procs=procs)
            path, line, reason = expect.bad[0]
            assert (info.value.path, info.value.line) == (str(path), line)
            assert reason in info.value.reason
            assert str(info.value).startswith(f"{shown(path, line)}: ")
            assert state(index) == before
            return
        summary = news.add_files(expect.paths, skip_errors=skip, procs=procs)
    assert summary.added == len({a.id for a in expect.good})
    assert [(s.path, s.line) for s in summary.skipped] == [(str(p), n) for p, n, _ in expect.bad]
    for skipped, (_path, _line, reason) in zip(summary.skipped, expect.bad, strict=True):
        assert reason in skipped.reason
    assert state(index)[0] == expected_articles(expect)


def test_cli_index(index, tmp_path, soak, name, skip, procs):
    """`newsindex index`: exit 0 and the count, or exit 1, one `Error:` line and nothing changed."""
    expect = build(name, tmp_path, soak)
    before = state(index)
    args = ["index", *map(str, expect.paths), "--index", str(index)] + (
        ["--skip-bad"] if skip else []
    )
    result = CliRunner().invoke(main, args)
    if expect.bad and not skip:
        path, line, reason = expect.bad[0]
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: {shown(path, line)}: ")
        assert reason in result.stderr
        assert result.stderr.count("\n") == 1
        assert state(index) == before
        return
    assert result.exit_code == 0, result.output
    count = len({a.id for a in expect.good})
    noun = "article" if count == 1 else "articles"
    assert result.stdout == f"Indexed {count:,} {noun} into {index}.\n"
    if expect.bad:
        lines = result.stderr.splitlines()
        noun = "record" if len(expect.bad) == 1 else "records"
        assert lines[0] == f"Skipped {len(expect.bad)} bad {noun}:"
        assert [line.split(": ")[0].strip() for line in lines[1:]] == [
            shown(p, n) for p, n, _ in expect.bad
        ]
    else:
        assert result.stderr == ""
    assert state(index)[0] == expected_articles(expect)
