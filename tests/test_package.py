"""Tests for the package's shape: the public names and which module may import what."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

import newsindex
from newsindex import errors, models

PACKAGE = Path(newsindex.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a source file imports (``from a.b import c``: ``a.b``, and
    ``a.b.c`` where ``c`` is a module of ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if node.module.startswith("newsindex") and _is_module(f"{node.module}.{alias.name}")
            )
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, which is not a package
        return False


def modules_imported_from(path: Path, package: str) -> set[str]:
    """The modules of ``package`` (by their name in it) that a source file imports."""
    prefix = package + "."
    return {
        name[len(prefix) :].split(".")[0]
        for name in imported_modules(path)
        if name.startswith(prefix)
    }


def test_all_importable():
    """Every name in `__all__` exists, is public, and `__all__` is sorted without repeats."""
    # Sorted as ruff's RUF022 keeps it: constants, classes, functions.
    for name in newsindex.__all__:
        assert hasattr(newsindex, name), name
        assert not name.startswith("_"), name

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert newsindex.__all__ == sorted(set(newsindex.__all__), key=kind)


def test_all_matches_public_names():
    """`__all__` lists exactly the public names the package defines (submodules aside)."""
    public = {
        name
        for name, value in vars(newsindex).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public | set(newsindex._LAZY) == set(newsindex.__all__)


def test_lazy_names_load_on_use():
    """The evaluation names are not imported with the package, and resolve when asked for."""
    code = (
        "import sys, newsindex\n"
        "print('newsindex.evaluation' in sys.modules)\n"
        "from newsindex import evaluate, Topic\n"
        "from newsindex.evaluation import evaluate as real\n"
        "print(evaluate is real, 'Topic' in vars(newsindex), 'Topic' in dir(newsindex))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True", "True", "True"]
    with pytest.raises(AttributeError, match="module 'newsindex' has no attribute 'nope'"):
        _ = newsindex.nope


def test_opensearch_client_loads_on_use(tmp_path):
    """Importing newsindex and searching a folder's index import no OpenSearch module."""
    code = (
        "import sys\n"
        "from newsindex import Article, NewsIndex\n"
        "with NewsIndex.create(sys.argv[1]) as ix:\n"
        "    ix.add([Article(id='a', title='Harbour reopens')])\n"
        "    assert ix.search('harbour').total == 1\n"
        "print(sorted(m for m in sys.modules if 'opensearch' in m))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["[]"]


def test_front_door_exported():
    """The names the README promises are exported."""
    expected = {"NewsIndex", "Article", "Hit", "SearchResults", "IndexStats", "NewsIndexError"}
    assert expected <= set(newsindex.__all__)


def test_every_error_exported():
    """Every error class of the error tree is public and a NewsIndexError."""
    for name in errors.__all__:
        cls = getattr(newsindex, name)
        assert issubclass(cls, newsindex.NewsIndexError)


def test_every_model_exported():
    """The models a caller receives are all public."""
    for name in ("Article", "Hit", "ImportSummary", "IndexStats", "SearchResults", "Skipped"):
        assert getattr(newsindex, name) is getattr(models, name)


def test_public_names_documented():
    """Every public class and function has a docstring."""
    for name in newsindex.__all__:
        value = getattr(newsindex, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_cli_imports_no_whoosh_or_nltk():
    """cli.py imports neither whoosh nor nltk."""
    roots = {name.split(".")[0] for name in imported_modules(PACKAGE / "cli.py")}
    assert not roots & {"whoosh", "nltk"}


def test_cli_uses_public_names_only():
    """cli.py imports newsindex's public names (and render), no internal module."""
    internal = {
        name for name in imported_modules(PACKAGE / "cli.py") if name.startswith("newsindex.")
    }
    assert internal <= {"newsindex.render"}


STAGES = (
    ("errors", set()),
    ("models", {"errors"}),
    ("fields", set()),
    ("_whoosh", set()),
    ("analysis", {"_whoosh"}),
    ("ingest", {"errors", "models"}),
    ("locations", {"errors"}),
    ("query", {"analysis", "errors", "fields", "models"}),
    ("engines", {"errors", "models", "query"}),
    ("engines.whoosh.codec", {"_whoosh", "analysis", "errors", "fields", "models"}),
    (
        "engines.whoosh",
        {
            "_whoosh",
            "analysis",
            "engines",
            "engines.whoosh.codec",
            "errors",
            "fields",
            "models",
            "query",
        },
    ),
    (
        "engines.opensearch",
        {"analysis", "engines", "errors", "fields", "locations", "models", "query"},
    ),
    (
        "api",
        {
            "engines",
            "engines.opensearch",
            "engines.whoosh",
            "errors",
            "ingest",
            "locations",
            "models",
            "query",
        },
    ),
    ("evaluation", {"api", "errors", "models"}),
    ("render", {"locations", "models"}),
)
"""The pipeline's stages, each with the stages it may import (besides itself): data flows one
way, ingest -> analysis -> query -> engines -> api -> render and cli."""

WHOOSH_OR_NLTK = ("_whoosh", "analysis", "engines.whoosh", "engines.whoosh.codec")
"""The only stages that may import whoosh or nltk."""


def stage_of(module: str) -> str:
    """The stage a module of the package (``newsindex.x.y``) belongs to: the longest match."""
    name = module.removeprefix("newsindex.")
    matches = [s for s, _ in STAGES if name == s or name.startswith(s + ".")]
    return max(matches, key=len) if matches else name


def package_modules() -> list[str]:
    """Every module of the package, by its dotted name."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def source_of(module: str) -> Path:
    """The file of a module of the package."""
    path = PACKAGE.parent / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_every_module_has_a_stage():
    """Every module but the package's front (its __init__, cli, __main__) is in a stage."""
    front = {"newsindex", "newsindex.cli", "newsindex.__main__"}
    stages = {stage for stage, _ in STAGES}
    for module in package_modules():
        if module not in front:
            assert stage_of(module) in stages, module


@pytest.mark.parametrize("module", package_modules())
def test_imports_go_one_way(module):
    """Each module imports only from its own stage and the stages to its left."""
    if module in ("newsindex", "newsindex.cli", "newsindex.__main__"):
        return
    stage = stage_of(module)
    allowed = dict(STAGES)[stage] | {stage}
    imported = {
        stage_of(name)
        for name in imported_modules(source_of(module))
        if name.startswith("newsindex.")
    }
    assert imported <= allowed, module


@pytest.mark.parametrize("module", package_modules())
def test_whoosh_and_nltk_stay_behind_the_walls(module):
    """Only the analysis stage and the Whoosh engine import whoosh or nltk."""
    roots = {name.split(".")[0] for name in imported_modules(source_of(module))}
    if stage_of(module) not in WHOOSH_OR_NLTK:
        assert not roots & {"whoosh", "nltk"}, module


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("searchers", set()),
        ("damage", set()),
        ("ranking", set()),
        ("snippets", set()),
        ("workers", set()),
        ("writer", {"workers"}),
        ("terms", set()),
        ("lock", {"damage", "terms"}),
        ("folder", {"damage", "lock"}),
        ("stats", set()),
        ("transactions", {"damage", "folder", "lock", "terms", "writer"}),
        ("handle", {"damage", "folder", "lock", "searchers", "stats", "terms", "transactions"}),
        ("repair", {"damage", "folder", "lock", "terms", "transactions"}),
        ("compile", {"ranking"}),
        ("postings", set()),
        ("phrases", {"compile", "postings", "ranking"}),
        ("accumulate", {"compile", "phrases", "postings", "ranking"}),
        ("dense", {"accumulate", "compile", "postings"}),
        ("pruning", {"accumulate", "dense", "postings", "ranking"}),
        ("ranked", {"compile"}),
        ("proximity", {"compile"}),
        ("exact", {"compile"}),
        ("collect", {"accumulate", "pruning"}),
        ("hits", {"postings", "snippets"}),
        ("search", {"collect", "compile", "exact", "hits", "proximity", "ranked"}),
        ("engine", {"folder", "handle", "ranking", "repair", "search", "transactions", "writer"}),
    ],
)
def test_engine_modules_import_one_way(module, allowed):
    """Inside the Whoosh engine too: the folder's parts, then compile, the posting readers,
    the scoring that uses them and the pruning on top; search last."""
    path = PACKAGE / "engines" / "whoosh" / f"{module}.py"
    assert modules_imported_from(path, "newsindex.engines.whoosh") - {"codec"} <= allowed


def test_nobody_imports_cli():
    """No module imports the CLI."""
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        assert "newsindex.cli" not in imported_modules(path), path.name


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_code_passes_ruff(command):
    """The code keeps the project's lint rules and format (pyproject's ``[tool.ruff]``): run
    here, the CI command checks them too."""
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "src", "tests", "benchmarks"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_search_scored_in_dicts_does_not_import_numpy(tmp_path):
    """NumPy (the fast extra) is imported by the first search scored in arrays only: a fresh
    process that searches words the index has seen (NLTK, which imports NumPy too, is then
    not loaded) and scores them in dicts never imports it."""
    path = str(tmp_path / "index")
    build = (
        "from newsindex import Article, NewsIndex\n"
        "others = [Article(id=f'o-{n}', title='Weather', body=f'Rain on day {n}.')"
        " for n in range(99)]\n"
        f"with NewsIndex.create({path!r}) as news:\n"
        "    news.add([Article(id='a', title='Ferry news', body='The ferry sails.'), *others])\n"
    )
    search = (
        "import sys\n"
        "from newsindex import NewsIndex\n"
        f"with NewsIndex.open({path!r}) as news:\n"
        "    assert [h.id for h in news.search('ferry sails').hits] == ['a']\n"
        "print(sorted(m for m in ('numpy', 'nltk') if m in sys.modules))\n"
    )
    subprocess.run([sys.executable, "-c", build], check=True)
    found = subprocess.run(
        [sys.executable, "-c", search], capture_output=True, text=True, check=True
    )
    assert found.stdout == "[]\n"
