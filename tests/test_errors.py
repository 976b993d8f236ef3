"""Tests for newsindex.errors: every error pickles with its fields and message."""

from __future__ import annotations

import concurrent.futures
import inspect
import json
import pickle
from pathlib import Path

import pytest

from newsindex import NewsIndex, errors
from newsindex.errors import (
    ArticleNotFoundError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    IngestError,
    NewsIndexError,
    QuerySyntaxError,
)

EXAMPLES: dict[type[NewsIndexError], tuple[object, ...]] = {
    NewsIndexError: ("limit and page must be at least 1.",),
    IndexNotFoundError: (Path("news"),),
    IndexExistsError: ("news",),
    IndexLockedError: ("news", 2.5),
    IndexVersionError: ("news", 3, 4),
    IndexReadOnlyError: ("news",),
    IndexWriteError: ("news", "No space left on device"),
    IndexCorruptError: ("news", "MAIN_x.seg", "cut short"),
    ArticleNotFoundError: ("a1",),
    IngestError: (Path("feed.jsonl"), 7, "invalid JSON: Expecting value (column 1)"),
    QuerySyntaxError: ('"open', 0, "the quote opened here is never closed"),
    errors.InvalidArgumentError: ("page", 0, "limit and page must be at least 1."),
    errors.UnsupportedError: ("repair", "opensearch", "the cluster keeps its own replicas"),
    errors.EngineConnectionError: ("http://127.0.0.1:9200", "Connection refused"),
    errors.EngineTimeoutError: ("http://127.0.0.1:9200", 10.0),
    errors.EngineAuthError: ("https://admin@127.0.0.1:9200", 401),
    errors.EngineVersionError: ("http://127.0.0.1:9200", "2.11.1", "2.19"),
    errors.EngineRequestError: ("http://127.0.0.1:9200", 400, "failed to parse query"),
    errors.EngineWriteError: ("http://127.0.0.1:9200/news", ("a1", "a2"), "mapper_parsing"),
}
"""Constructor arguments for one instance of each error class."""

ERROR_CLASSES = [getattr(errors, name) for name in errors.__all__]


def add_files_in_worker(index: str, path: str) -> int:
    """Import one file into an index; run in a worker process of a pool."""
    with NewsIndex.open_or_create(index) as news:
        return news.add_files([path]).added


def test_every_error_has_an_example():
    """EXAMPLES covers every error class errors.py exports, so the tests below see them all."""
    assert set(EXAMPLES) == set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_fields_name_the_constructor_parameters(cls):
    """An error's _fields are its constructor's parameters in order: what unpickling passes it."""
    if cls is NewsIndexError:
        assert cls._fields == ()
    else:
        assert cls._fields == tuple(inspect.signature(cls).parameters)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_pickle_round_trip(cls):
    """An error comes back from pickle as the same class with equal fields, args and message."""
    error = cls(*EXAMPLES[cls])
    error.add_note("raised in a worker")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert vars(copy) == vars(error)
    assert copy.args == error.args
    assert str(copy) == str(error)


def test_ingest_error_fields_survive_pickle():
    """A pickled IngestError keeps its path, line, reason and message."""
    copy = pickle.loads(pickle.dumps(IngestError(Path("feed.jsonl"), 7, "expected a JSON object")))
    assert (copy.path, copy.line, copy.reason) == ("feed.jsonl", 7, "expected a JSON object")
    assert str(copy) == "feed.jsonl, line 7: expected a JSON object"


def test_add_files_error_reaches_the_parent_of_a_process_pool(tmp_path):
    """add_files on a bad file in a pool's worker raises the IngestError in the parent."""
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "j1", "title": "Harbour reopens"})
    path.write_text(f'{good}\n{{"id": "j2", "title": }}\n', encoding="utf-8")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(add_files_in_worker, str(tmp_path / "news"), str(path))
        with pytest.raises(IngestError) as info:
            future.result(timeout=120)
    assert (info.value.path, info.value.line) == (str(path), 2)
    assert str(info.value) == f"{path}, line 2: invalid JSON: Expecting value (column 23)"
