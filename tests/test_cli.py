"""Tests for the ``newsindex`` command: every command end to end, its errors and its exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsindex import Article, NewsIndex
from newsindex.cli import main

SEED_ID = "cf3f115601c28b53"
GOOD_1 = json.dumps({"id": "j1", "title": "Harbour reopens after storm", "date": "2025-02-01"})
GOOD_2 = json.dumps({"id": "j2", "title": "Ferry strike ends at harbour", "date": "2025-03-20"})
BAD = '{"id": "j-bad", "title": '


def run(*args: str, env: dict[str, str | None] | None = None):
    """Invoke the command group with ``args``; stdout and stderr stay apart."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def write_jsonl(path, *lines: str):
    """A JSON Lines file with the given raw lines."""
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, seed_path):
    """An index built by `newsindex index` from the seed file and two JSON Lines records."""
    folder = tmp_path_factory.mktemp("cli")
    jsonl = write_jsonl(folder / "more.jsonl", GOOD_1, GOOD_2)
    index = folder / "index"
    result = run("index", seed_path, jsonl, "--index", index)
    assert result.exit_code == 0, result.output
    return index


@pytest.fixture
def fresh_index(tmp_path, seed_path):
    """A writable index holding the seed article."""
    index = tmp_path / "index"
    with NewsIndex.create(index) as news:
        news.add_files([seed_path])
    return index


def run_in_terminal(*args: str, env: dict[str, str]) -> str:
    """Run ``python -m newsindex ARGS`` with stdout on a pseudo-terminal; return what it printed."""
    import pty

    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "newsindex", *map(str, args)]
    with subprocess.Popen(command, stdout=follower, stderr=subprocess.DEVNULL, env=env) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # Linux: EIO once the process has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def hits_of(result) -> list[dict]:
    """The JSON hits printed by `search --json`."""
    return [json.loads(line) for line in result.stdout.splitlines()]


class TestIndex:
    def test_index_reports_count(self, tmp_path, seed_path):
        """`index` imports the files and says how many articles went where."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2)
        result = run("index", seed_path, jsonl, "--index", tmp_path / "ix")
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 3 articles into {tmp_path / 'ix'}.\n"
        assert result.stderr == ""

    def test_memory_option(self, tmp_path, seed_path):
        """`--memory-mb` is accepted down to 1 MB; below that it is a usage error, exit 2."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2)
        result = run("index", seed_path, jsonl, "--memory-mb", "1", "--index", tmp_path / "ix")
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 3 articles into {tmp_path / 'ix'}.\n"
        result = run("index", jsonl, "--memory-mb", "0", "--index", tmp_path / "ix")
        assert result.exit_code == 2
        assert "Invalid value for '--memory-mb': 0 is not in the range x>=1." in result.stderr

    def test_index_adds_to_existing(self, fresh_index, tmp_path):
        """A second `index` adds to the index already there."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1)
        assert run("index", jsonl, "--index", fresh_index).exit_code == 0
        stats = json.loads(run("stats", "--json", "--index", fresh_index).stdout)
        assert stats["articles"] == 2

    def test_bad_record(self, fresh_index, tmp_path):
        """A bad JSONL line fails the import with exit 1, naming file and line; nothing changes."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD, GOOD_2)
        result = run("index", jsonl, "--index", fresh_index)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {jsonl}, line 2: invalid JSON: ")
        assert result.stderr.count("\n") == 1
        assert result.stdout == ""
        stats = json.loads(run("stats", "--json", "--index", fresh_index).stdout)
        assert stats["articles"] == 1
        assert run("show", "j1", "--index", fresh_index).exit_code == 1

    def test_skip_bad(self, fresh_index, tmp_path):
        """`--skip-bad` imports the good records, exits 0 and lists what it skipped."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD, GOOD_2)
        result = run("index", jsonl, "--skip-bad", "--index", fresh_index)
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 2 articles into {fresh_index}.\n"
        lines = result.stderr.splitlines()
        assert lines[0] == "Skipped 1 bad record:"
        assert lines[1].startswith(f"  {jsonl}, line 2: invalid JSON: ")
        stats = json.loads(run("stats", "--json", "--index", fresh_index).stdout)
        assert stats["articles"] == 3

    def test_missing_file(self, tmp_path):
        """A file that does not exist is exit 1 with one error line naming it."""
        result = run("index", tmp_path / "nope.jsonl", "--index", tmp_path / "ix")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {tmp_path / 'nope.jsonl'}")
        assert result.stderr.count("\n") == 1

    def test_index_reports_ignored_files(self, tmp_path):
        """A folder's files of other types are counted on stderr by type; hidden ones are not."""
        folder = tmp_path / "mixed"
        (folder / "scans").mkdir(parents=True)
        write_jsonl(folder / "a.jsonl", GOOD_1)
        for name in ("paper.pdf", "scans/page.PDF", "README", ".DS_Store"):
            (folder / name).write_bytes(b"")
        result = run("index", folder, "--index", tmp_path / "ix")
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 1 article into {tmp_path / 'ix'}.\n"
        assert result.stderr == "Ignored 3 files of other types: 2 .pdf, 1 (no extension).\n"

    def test_failed_first_import_leaves_no_folder(self, tmp_path):
        """A failed import into a new folder is exit 1 with one error line and leaves no folder."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD)
        result = run("index", jsonl, "--index", tmp_path / "new" / "index")
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: {jsonl}, line 2: invalid JSON: Expecting value (column 1)\n"
        )
        assert result.stdout == ""
        assert sorted(path.name for path in tmp_path.iterdir()) == ["a.jsonl"]

    def test_failed_first_import_keeps_an_empty_folder(self, tmp_path):
        """A failed import into an empty folder leaves that folder, still empty."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD)
        folder = tmp_path / "index"
        folder.mkdir()
        result = run("index", jsonl, "--index", folder)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: {jsonl}, line 2: invalid JSON: Expecting value (column 1)\n"
        )
        assert list(folder.iterdir()) == []

    def test_failed_import_keeps_a_folder_with_other_files(self, tmp_path):
        """A failed import into a folder holding other files leaves those files alone."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD)
        folder = tmp_path / "index"
        folder.mkdir()
        (folder / "notes.txt").write_text("mine", encoding="utf-8")
        result = run("index", jsonl, "--index", folder)
        assert result.exit_code == 1
        assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"

    def test_failed_import_keeps_the_index(self, fresh_index, tmp_path):
        """A failed import into an existing index leaves the index and its articles."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD)
        assert run("index", jsonl, "--index", fresh_index).exit_code == 1
        with NewsIndex.open(fresh_index) as news:
            assert len(news) == 1
            assert SEED_ID in news

    def test_no_files(self, tmp_path):
        """`index` without files is a usage error (exit 2)."""
        result = run("index", "--index", tmp_path / "ix")
        assert result.exit_code == 2
        assert "Missing argument 'PATHS...'" in result.stderr


class TestSearch:
    def test_text(self, cli_index):
        """`search` prints the ranked hits as text, exit 0."""
        result = run("search", "peacekeepers", "--index", cli_index)
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0] == "  1. Italy does not plan to send peacekeepers to Ukraine, remains " + (
            "committed to 'effective security guarantees'"
        )
        assert lines[1] == f"     2025-03-16 · Kyiv Independent · id {SEED_ID}"
        assert "peacekeeping" in lines[2]
        assert lines[-1] == "1 article matches peacekeep"
        assert "\x1b" not in result.stdout

    @pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
    @pytest.mark.parametrize(
        ("no_color", "bold"), [(None, True), ("", True), ("1", False), ("false", False)]
    )
    def test_color_on_a_terminal(self, cli_index, no_color, bold):
        """On a terminal the matched words are bold, unless $NO_COLOR is set and not empty."""
        env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
        if no_color is not None:
            env["NO_COLOR"] = no_color
        printed = run_in_terminal("search", "peacekeepers", "--index", cli_index, env=env)
        title = "Italy does not plan to send peacekeepers to Ukraine"
        assert title in printed
        assert ("\x1b[1mpeacekeeping\x1b[0m" in printed) is bold
        assert ("\x1b" in printed) is bold

    def test_json(self, cli_index):
        """`--json` prints one JSON object per hit."""
        result = run("search", "harbour", "--json", "--index", cli_index)
        assert result.exit_code == 0
        hits = hits_of(result)
        assert {h["id"] for h in hits} == {"j1", "j2"}
        assert [h["rank"] for h in hits] == [1, 2]
        assert all(h["published"].startswith("2025-0") for h in hits)

    def test_match(self, cli_index):
        """`--match any` ranks articles with any of the words, `--match all` (the default for
        two words) requires every one; another value is a usage error."""
        every = hits_of(run("search", "ferry storm", "--json", "--index", cli_index))
        either = hits_of(
            run("search", "ferry storm", "--match", "any", "--json", "--index", cli_index)
        )
        assert every == []
        assert {h["id"] for h in either} == {"j1", "j2"}
        wrong = run("search", "ferry", "--match", "some", "--index", cli_index)
        assert wrong.exit_code == 2
        assert "'some' is not one of 'auto', 'all', 'any'" in wrong.stderr

    def test_json_summary(self, cli_index):
        """`--json-summary` prints the hits as `--json` does, then one summary line."""
        result = run("search", "harbour", "-n", "1", "--json-summary", "--index", cli_index)
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        plain = run("search", "harbour", "-n", "1", "--json", "--index", cli_index)
        assert lines[:-1] == plain.stdout.splitlines()
        assert len(lines) == 2
        assert lines[-1] == (
            '{"summary": true, "query": "harbour", "total": 2, "page": 1, "pages": 2, "limit": 1}'
        )

    def test_json_summary_zero_hits(self, cli_index):
        """With zero hits `--json-summary` prints the summary line alone, exit 0."""
        result = run("search", "zzyzx", "--json-summary", "--index", cli_index)
        assert result.exit_code == 0
        assert result.stdout == (
            '{"summary": true, "query": "zzyzx", "total": 0, "page": 1, "pages": 1, "limit": 10}\n'
        )
        assert result.stderr == ""

    def test_json_summary_with_json(self, cli_index):
        """`--json --json-summary` is the same as `--json-summary` alone."""
        both = run("search", "harbour", "--json", "--json-summary", "--index", cli_index)
        alone = run("search", "harbour", "--json-summary", "--index", cli_index)
        assert (both.exit_code, both.stdout) == (0, alone.stdout)
        assert len(both.stdout.splitlines()) == 3

    def test_limit_and_page(self, cli_index):
        """`--limit 1 --page 2` prints the second hit only."""
        everything = hits_of(run("search", "harbour", "--json", "--index", cli_index))
        result = run("search", "harbour", "--json", "-n", "1", "--page", "2", "--index", cli_index)
        assert [h["id"] for h in hits_of(result)] == [everything[1]["id"]]
        assert hits_of(result)[0]["rank"] == 2

    @pytest.mark.parametrize(
        ("sort", "expected"), [("newest", ["j2", "j1"]), ("oldest", ["j1", "j2"])]
    )
    def test_sort(self, cli_index, sort, expected):
        """`--sort newest/oldest` orders by date."""
        result = run("search", "harbour", "--json", "--sort", sort, "--index", cli_index)
        assert [h["id"] for h in hits_of(result)] == expected

    def test_since_until(self, cli_index):
        """`--since`/`--until` are inclusive dates."""
        common = ["--json", "--index", cli_index]
        result = run(
            "search", "date:2025", "--since", "2025-03-16", "--until", "2025-03-16", *common
        )
        assert [h["id"] for h in hits_of(result)] == [SEED_ID]
        result = run("search", "date:2025", "--since", "2025-03-17", *common)
        assert [h["id"] for h in hits_of(result)] == ["j2"]

    def test_beyond_last_page(self, cli_index):
        """A page past the end is exit 0 with a line saying how many pages there are."""
        result = run("search", "harbour", "--page", "9", "--index", cli_index)
        assert result.exit_code == 0
        assert result.stdout == "No results on page 9: the last page is 1.\n"

    def test_bad_since(self, cli_index):
        """A `--since` that is not a date is exit 1 with one line."""
        result = run("search", "harbour", "--since", "soon", "--index", cli_index)
        assert result.exit_code == 1
        expected = "Error: 'soon' is not a date: use a form like 2025, 2025-03 or 2025-03-16.\n"
        assert result.stderr == expected

    def test_zero_hits(self, cli_index):
        """No hits is success: exit 0 and a line saying so."""
        result = run("search", "zzyzx", "--index", cli_index)
        assert result.exit_code == 0
        assert result.stdout == "No articles match zzyzx.\n"

    def test_zero_hits_json(self, cli_index):
        """No hits with `--json` prints nothing, exit 0."""
        result = run("search", "zzyzx", "--json", "--index", cli_index)
        assert (result.exit_code, result.stdout) == (0, "")

    def test_bad_query(self, cli_index):
        """A query error is exit 1 with one line naming the position."""
        result = run("search", "meloni title:", "--index", cli_index)
        assert result.exit_code == 1
        assert result.stderr == "Error: Query error at position 8: 'title:' has nothing after it.\n"
        assert result.stdout == ""

    def test_no_index(self, tmp_path):
        """Searching a folder without an index is exit 1 with the way out."""
        result = run("search", "meloni", "--index", tmp_path)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: No index at '{tmp_path}': run 'newsindex index FILES --index {tmp_path}' "
            "first.\n"
        )
        assert result.stdout == ""

    def test_unknown_option(self, cli_index):
        """An unknown option is a usage error, exit 2."""
        result = run("search", "meloni", "--bogus", "--index", cli_index)
        assert result.exit_code == 2
        assert result.stderr.endswith("Error: No such option '--bogus'.\n")

    def test_bad_sort(self, cli_index):
        """An unknown `--sort` is a usage error, exit 2."""
        result = run("search", "meloni", "--sort", "best", "--index", cli_index)
        assert result.exit_code == 2
        assert "'best' is not one of 'relevance', 'newest', 'oldest'" in result.stderr

    def test_limit_zero(self, cli_index):
        """`--limit 0` is a usage error, exit 2."""
        assert run("search", "meloni", "-n", "0", "--index", cli_index).exit_code == 2


class TestDefaultLocation:
    @pytest.mark.slow
    def test_builds_sample(self, tmp_path):
        """With no index yet, `search` builds the sample in its own folder, says so, finds it."""
        from newsindex.ingest import sample_paths

        if not all(path.is_file() for path in sample_paths()):
            pytest.skip("the bundled sample data is not installed")
        home = tmp_path / "default"
        env = {"NEWSINDEX_DIR": str(home), "XDG_DATA_HOME": str(tmp_path / "data")}
        note = (
            f"No index of your own yet at {home}: searching the bundled sample news "
            "('newsindex index FILES' makes your own).\n"
        )
        result = run("search", "peacekeepers", "--json", env=env)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == note + "Building the sample index once, in a few seconds ...\n"
        assert hits_of(result)[0]["id"] == SEED_ID
        assert not home.exists()
        assert NewsIndex.open(tmp_path / "data" / "newsindex" / "sample").stats().articles == 1501
        again = run("search", "peacekeepers", "--json", env=env)
        assert again.stderr == note
        assert hits_of(again) == hits_of(result)

    @pytest.mark.slow
    def test_own_index_never_mixes_with_sample(self, tmp_path):
        """After the sample was searched, `index` without --index starts the user's own index."""
        env = {"NEWSINDEX_DIR": None, "XDG_DATA_HOME": str(tmp_path)}
        assert run("search", "peacekeepers", env=env).exit_code == 0
        mine = write_jsonl(tmp_path / "mine.jsonl", GOOD_1)
        result = run("index", mine, env=env)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"Indexed 1 article into {tmp_path / 'newsindex' / 'index'}.\n"
        assert json.loads(run("stats", "--json", env=env).stdout)["articles"] == 1
        searched = run("search", "harbour", "--json", env=env)
        assert searched.stderr == ""
        assert [hit["id"] for hit in hits_of(searched)] == ["j1"]
        assert run("search", "peacekeepers", env=env).stdout == "No articles match peacekeep.\n"

    @pytest.mark.slow
    def test_sample_an_older_version_built_moves_out(self, tmp_path, seed_path):
        """A sample that an older newsindex built in the default folder moves to its own."""
        from newsindex.ingest import sample_paths

        default = tmp_path / "newsindex" / "index"
        with NewsIndex.create(default) as old_sample:
            old_sample.add_files(sample_paths())
        env = {"NEWSINDEX_DIR": None, "XDG_DATA_HOME": str(tmp_path)}
        mine = write_jsonl(tmp_path / "mine.jsonl", GOOD_1)
        assert run("index", mine, env=env).exit_code == 0
        with NewsIndex.open(default) as news:
            assert len(news) == 1
        with NewsIndex.open(tmp_path / "newsindex" / "sample") as sample:
            assert len(sample) == 1501

    def test_index_uses_env(self, tmp_path, seed_path):
        """`index` without `--index` writes to $NEWSINDEX_DIR."""
        home = tmp_path / "default"
        result = run("index", seed_path, env={"NEWSINDEX_DIR": str(home)})
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 1 article into {home}.\n"
        with NewsIndex.open(home) as news:
            assert SEED_ID in news

    @pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are a Linux convention")
    def test_xdg_data_home(self, tmp_path, seed_path):
        """Without $NEWSINDEX_DIR the index lives under $XDG_DATA_HOME/newsindex/index."""
        env = {"NEWSINDEX_DIR": None, "XDG_DATA_HOME": str(tmp_path)}
        assert run("index", seed_path, env=env).exit_code == 0
        result = run("show", SEED_ID, "--json", env=env)
        assert json.loads(result.stdout)["id"] == SEED_ID
        assert NewsIndex.open(tmp_path / "newsindex" / "index").stats().articles == 1


class TestShowStatsDelete:
    def test_show(self, cli_index):
        """`show ID` prints the article: title, metadata, body."""
        result = run("show", SEED_ID, "--index", cli_index)
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0].startswith("Italy does not plan to send peacekeepers to Ukraine")
        assert f"id:        {SEED_ID}" in lines
        assert "by:        Volodymyr Ivanyshyn" in lines
        assert "published: 2025-03-16T04:16:00+00:00" in lines
        assert lines[-1].startswith('"We need to think about more durable solutions"')

    def test_show_json(self, cli_index, seed_article):
        """`show --json` prints the article as JSON that reads back equal."""
        result = run("show", SEED_ID, "--json", "--index", cli_index)
        assert result.exit_code == 0
        assert Article.from_dict(json.loads(result.stdout)) == seed_article

    def test_show_unknown(self, cli_index):
        """`show` with an unknown id is exit 1 with one line."""
        result = run("show", "nope", "--index", cli_index)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: No article with id 'nope' in the index: "
            "'newsindex search' shows the ids of matching articles.\n"
        )

    def test_stats(self, cli_index):
        """`stats` prints the count and the date range."""
        result = run("stats", "--index", cli_index)
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0] == f"index:    {cli_index}"
        assert "articles: 3" in lines
        assert "dates:    2025-02-01 to 2025-03-20" in lines

    def test_stats_json(self, cli_index):
        """`stats --json` prints the statistics as JSON."""
        data = json.loads(run("stats", "--json", "--index", cli_index).stdout)
        assert data["articles"] == 3
        assert data["first_published"] == "2025-02-01T00:00:00+00:00"
        assert data["last_published"] == "2025-03-20T00:00:00+00:00"
        assert data["size_bytes"] > 0
        assert data["path"] == data["location"] == str(cli_index)

    def test_stats_no_index(self, tmp_path):
        """`stats` without an index is exit 1 with the way out."""
        result = run("stats", "--index", tmp_path)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: No index at '{tmp_path}'")

    def test_delete(self, fresh_index):
        """`delete ID` removes the article and says how many went."""
        result = run("delete", SEED_ID, "--index", fresh_index)
        assert (result.exit_code, result.stdout) == (0, "Deleted 1 article.\n")
        assert run("show", SEED_ID, "--index", fresh_index).exit_code == 1

    def test_delete_unknown(self, fresh_index):
        """Deleting an unknown id among known ones is exit 1 and deletes nothing."""
        result = run("delete", SEED_ID, "nope", "--index", fresh_index)
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: No article with id 'nope' in the index")
        assert run("show", SEED_ID, "--index", fresh_index).exit_code == 0

    def test_delete_no_index(self, tmp_path):
        """`delete` without an index is exit 1, not a traceback."""
        result = run("delete", "x", "--index", tmp_path)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: No index at '{tmp_path}'")


class TestAnalyze:
    def test_terms(self):
        """`analyze` prints the terms a text becomes."""
        result = run("analyze", "Peacekeepers' talks")
        assert (result.exit_code, result.stdout) == (0, "peacekeep talk\n")

    def test_json(self):
        """`analyze --json` prints a JSON list."""
        result = run("analyze", "Peacekeepers' talks", "--json")
        assert json.loads(result.stdout) == ["peacekeep", "talk"]

    def test_no_stem(self):
        """`--no-stem` shows the unstemmed terms names fields get."""
        assert run("analyze", "Peacekeepers' talks", "--no-stem").stdout == "peacekeepers talks\n"


class TestHelp:
    def test_every_command_has_help(self):
        """Every command has help text, shown by `--help` and in the command list."""
        listing = run("--help").stdout
        for name, command in main.commands.items():
            assert command.help, f"{name} has no help text"
            result = run(name, "--help")
            assert result.exit_code == 0
            first_line = " ".join(command.help.splitlines()[0].split())
            assert first_line in " ".join(result.stdout.split())
            assert name in listing

    def test_every_option_has_help(self):
        """Every option of every command says what it does in `--help`."""
        missing = [
            f"{name} {param.opts[0]}"
            for name, command in main.commands.items()
            for param in command.params
            if param.param_type_name == "option" and not param.help
        ]
        assert missing == []

    def test_suggested_commands_exist(self, tmp_path):
        """Commands that error messages tell users to run exist."""
        from newsindex import IndexNotFoundError, IndexVersionError

        messages = [str(IndexNotFoundError(tmp_path)), str(IndexVersionError(tmp_path, 2, 1))]
        suggested = {m.split("'newsindex ")[1].split()[0] for m in messages}
        assert suggested <= set(main.commands)

    def test_version(self):
        """`--version` prints the installed version."""
        result = run("--version")
        assert result.exit_code == 0
        assert version("newsindex") in result.stdout

    def test_python_m(self):
        """`python -m newsindex --help` works."""
        done = subprocess.run(
            [sys.executable, "-m", "newsindex", "--help"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "Index news articles and search them." in done.stdout
        assert "search" in done.stdout


class TestLockTimeout:
    @pytest.fixture
    def held(self, fresh_index):
        """The index's write lock, held by this process while the test runs."""
        from whoosh.filedb.filestore import FileStorage

        lock = FileStorage(str(fresh_index)).lock("MAIN_WRITELOCK")
        assert lock.acquire(blocking=False)
        yield fresh_index
        lock.release()

    @pytest.mark.parametrize("how", ["option", "environment"])
    def test_lock_timeout(self, held, seed_path, how):
        """`--lock-timeout` (or $NEWSINDEX_LOCK_TIMEOUT) bounds the wait for another writer."""
        args = ["index", seed_path, "--index", held]
        env = {"NEWSINDEX_LOCK_TIMEOUT": "0.2"}
        if how == "option":
            args += ["--lock-timeout", "0.2"]
            env = {"NEWSINDEX_LOCK_TIMEOUT": "100"}
        result = run(*args, env=env)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: The index at '{held}' is being written by another process (waited 0.2s): "
            "try again when it has finished, or raise the lock timeout.\n"
        )

    @pytest.mark.parametrize("command", ["delete", "reindex", "repair"])
    def test_every_writing_command_takes_it(self, held, command):
        """`delete`, `reindex` and `repair` take `--lock-timeout` too."""
        extra = [SEED_ID] if command == "delete" else []
        result = run(command, *extra, "--index", held, "--lock-timeout", "0")
        assert result.exit_code == 1
        assert "(waited 0s)" in result.stderr


class TestCheckRepair:
    @pytest.fixture
    def damaged(self, fresh_index):
        """The seed index with its segment file cut in half."""
        (segment,) = fresh_index.glob("*.seg")
        os.truncate(segment, segment.stat().st_size // 2)
        return fresh_index, segment.name

    def test_check_sound(self, fresh_index):
        """`check` on a sound index prints one line and exits 0."""
        result = run("check", "--index", fresh_index)
        assert result.exit_code == 0
        assert result.stdout == f"{fresh_index}: sound (1 readable article in 1 segment).\n"

    def test_damaged_search_is_one_line(self, damaged):
        """A search on a damaged index is one `Error:` line naming the file, exit 1."""
        index, name = damaged
        result = run("search", "peacekeepers", "--index", index)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: The index at '{index}' is damaged ({name}: cut short): run 'newsindex check "
            f"--index {index}' for a report, then 'newsindex repair --index {index}' to keep "
            "every article that can still be read.\n"
        )

    def test_check_then_repair(self, damaged):
        """`check` reports the damaged file (exit 1); `repair` moves it aside; `check` is then 0."""
        index, name = damaged
        checked = run("check", "--index", index)
        assert checked.exit_code == 1
        assert checked.stdout.splitlines() == [
            f"{index}: damaged (0 readable articles in 1 segment); 1 problem:",
            f"  {name}: cut short (1 article)",
            f"Run 'newsindex repair --index {index}' to keep what can be read.",
        ]
        repaired = run("repair", "--index", index, "--json")
        assert repaired.exit_code == 0
        report = json.loads(repaired.stdout)
        assert report["recovered"] == 0
        assert report["moved_aside"] == [name]
        assert (Path(report["aside_folder"]) / name).is_file()
        assert run("check", "--index", index).exit_code == 0
        assert run("search", "peacekeepers", "--index", index).exit_code == 0


class TestIndexInputs:
    def test_stdin_jsonl(self, tmp_path):
        """`index -` reads JSON Lines from standard input, told by content."""
        runner = CliRunner()
        result = runner.invoke(
            main, ["index", "-", "--index", str(tmp_path / "ix")], input=GOOD_1 + "\n" + GOOD_2
        )
        assert result.exit_code == 0
        assert result.stdout == f"Indexed 2 articles into {tmp_path / 'ix'}.\n"

    def test_stdin_bad_record_names_stdin(self, tmp_path):
        """A bad record on standard input is exit 1 naming `<stdin>` and the line."""
        result = CliRunner().invoke(
            main, ["index", "-", "--index", str(tmp_path / "ix")], input=f"{GOOD_1}\n{BAD}\n"
        )
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: <stdin>, line 2: invalid JSON: ")

    def test_stdin_csv_with_format_and_map(self, tmp_path):
        """`--format tsv --map` reads mapped columns from standard input."""
        args = ["index", "-", "--format", "tsv", "--map", "title=Head,body=Story"]
        result = CliRunner().invoke(
            main,
            [*args, "--index", str(tmp_path / "ix")],
            input="Head\tStory\nHarbour reopens\tThe port is open.\n",
        )
        assert result.exit_code == 0, result.stderr
        found = run("search", "harbour", "--json", "--index", tmp_path / "ix").stdout
        assert json.loads(found)["title"] == "Harbour reopens"

    def test_map_naming_a_missing_column(self, tmp_path):
        """A mapped column the CSV lacks is exit 1 naming it and the file's header line."""
        path = tmp_path / "a.csv"
        path.write_text("title,body\nA,B\n", encoding="utf-8")
        result = run("index", path, "--map", "published=date", "--index", tmp_path / "ix")
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: {path}, line 1: no column 'date' (mapped to published); "
            "the header has 'title', 'body'\n"
        )

    def test_bad_map_and_format(self, tmp_path):
        """A --map without `=` is a usage error (2); an unknown --format is exit 1."""
        result = run("index", "-", "--map", "title", "--index", tmp_path / "ix")
        assert result.exit_code == 2
        assert "'title' is not FIELD=COLUMN" in result.stderr
        result = run("index", "-", "--format", "xls", "--index", tmp_path / "ix")
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: Unknown format 'xls': use one of ")


@pytest.mark.parametrize(
    ("flag", "published"),
    [("--dayfirst", "2025-04-03T00:00:00+00:00"), ("--monthfirst", "2025-03-04T00:00:00+00:00")],
)
def test_dayfirst_and_monthfirst_read_an_ambiguous_date(tmp_path, flag, published):
    """`--dayfirst` and `--monthfirst` say how to read 03/04/2025, an error without either."""
    jsonl = write_jsonl(
        tmp_path / "a.jsonl", json.dumps({"id": "d", "title": "t", "date": "03/04/2025"})
    )
    refused = run("index", jsonl, "--index", tmp_path / "refused")
    assert refused.exit_code == 1
    assert "ambiguous date '03/04/2025': 3 April 2025 or 4 March 2025" in refused.stderr
    assert run("index", jsonl, flag, "--index", tmp_path / "index").exit_code == 0
    shown = run("show", "d", "--json", "--index", tmp_path / "index")
    assert json.loads(shown.stdout)["published"] == published


PASSWORD = "s3cret-Pa55"
URL = f"http://ana:{PASSWORD}@127.0.0.1:9200/news"


class TestIndexURL:
    def test_index_and_search_a_url(self, fake_cluster, tmp_path):
        """`--index URL` imports into and searches the index on the cluster, files read as
        files; the output names the index without the password."""
        jsonl = write_jsonl(tmp_path / "more.jsonl", GOOD_1, GOOD_2)
        result = run("index", jsonl, "--index", URL)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "Indexed 2 articles into http://127.0.0.1:9200/news.\n"
        assert sorted(fake_cluster.indexes["news"]) == ["j1", "j2"]
        assert fake_cluster.calls[0][2]["auth"] == ("ana", PASSWORD)
        assert [hit["id"] for hit in hits_of(run("search", "ferry", "--json", "--index", URL))] == [
            "j2"
        ]

    def test_url_from_environment(self, fake_cluster, tmp_path):
        """A URL in $NEWSINDEX_DIR is the index when --index is not given."""
        jsonl = write_jsonl(tmp_path / "more.jsonl", GOOD_1)
        assert run("index", jsonl, env={"NEWSINDEX_DIR": URL}).exit_code == 0
        result = run("show", "j1", "--json", env={"NEWSINDEX_DIR": URL})
        assert json.loads(result.stdout)["title"] == "Harbour reopens after storm"
        assert not (Path.cwd() / "http:").exists()

    def test_stats_json_hides_the_password(self, fake_cluster, tmp_path):
        """`stats --json` and `stats` of a URL with a password print no password."""
        fake_cluster.indexes["news"] = {}
        data = json.loads(run("stats", "--json", "--index", URL).stdout)
        assert data["location"] == data["path"] == "http://127.0.0.1:9200/news"
        assert PASSWORD not in run("stats", "--index", URL).stdout

    def test_missing_index_hides_the_password(self, fake_cluster):
        """A missing index on the cluster is exit 1 with one line and no password."""
        result = run("search", "ferry", "--index", URL)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: No index at 'http://127.0.0.1:9200/news': "
            "run 'newsindex index FILES --index http://127.0.0.1:9200/news' first.\n"
        )

    def test_bad_url_hides_the_password(self, fake_cluster):
        """A URL that names no index is exit 1 with the user shown and the password not."""
        result = run("stats", "--index", f"http://ana:{PASSWORD}@h:9200/a/news")
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: 'http://ana:***@h:9200/a/news' is not an index URL: its path must be the "
            "index name alone, as in http://host:9200/news.\n"
        )

    def test_copy_to_an_unreachable_cluster_shows_no_bar(self, cli_index):
        """`copy` to a cluster it cannot reach prints the error alone, no "Copying" bar first."""
        pytest.importorskip("opensearchpy")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        target = f"http://127.0.0.1:{port}/news"
        result = run("copy", "--index", cli_index, "--to", target)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: Cannot reach OpenSearch at 'http://127.0.0.1:{port}' (Connection refused): "
            "check that it is running and that the address and port are right.\n"
        )

    def test_delete(self, fake_cluster, tmp_path):
        """`delete --index URL` deletes on the cluster."""
        run("index", write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2), "--index", URL)
        result = run("delete", "j1", "--index", URL)
        assert (result.exit_code, result.stdout) == (0, "Deleted 1 article.\n")
        assert sorted(fake_cluster.indexes["news"]) == ["j2"]

    @pytest.mark.parametrize(
        ("command", "way_out"),
        [
            ("check", "the cluster's own health and shard APIs report on its data"),
            ("repair", "the cluster restores its data from its replicas and snapshots"),
            ("reindex", "import the articles again into a new index"),
        ],
    )
    def test_folder_commands_on_a_url(self, fake_cluster, command, way_out):
        """check, repair and reindex of a URL print the UnsupportedError line and exit 1."""
        result = run(command, "--index", URL)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: '{command}' is not available on the opensearch engine: {way_out}.\n"
        )
        assert fake_cluster.calls == []

    def test_ca_certs(self, fake_cluster, tmp_path):
        """--ca-certs (or $NEWSINDEX_CA_CERTS) is the CA file an https:// URL is verified with."""
        ca = tmp_path / "ca.pem"
        ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
        fake_cluster.indexes["news"] = {}
        assert run("stats", "--index", "https://h:9200", "--ca-certs", ca).exit_code == 0
        env = {"NEWSINDEX_CA_CERTS": str(ca), "NEWSINDEX_DIR": "https://h:9200"}
        assert run("stats", env=env).exit_code == 0
        assert [options["ca_certs"] for _method, _args, options in fake_cluster.calls] == [
            str(ca),
            str(ca),
        ]

    def test_eval_into_a_url(self, fake_cluster, tmp_path):
        """`eval --index URL` builds the judged collection's index on the cluster."""
        docs = write_jsonl(tmp_path / "docs.jsonl", GOOD_1, GOOD_2)
        queries = write_jsonl(tmp_path / "queries.jsonl", json.dumps({"id": "q1", "text": "ferry"}))
        qrels = tmp_path / "qrels.txt"
        qrels.write_text("q1 0 j2 1\n", encoding="utf-8")
        result = run("eval", docs, queries, qrels, "--json", "--index", "http://h:9200/adi")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["means"]["map"] == 1.0
        assert [(method, args[1]) for method, args, _options in fake_cluster.calls] == [
            ("create", "adi")
        ]
        assert sorted(fake_cluster.indexes["adi"]) == ["j1", "j2"]
