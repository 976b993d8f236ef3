"""Tests for newsindex.locations: index URLs parsed into nodes, index and login; passwords
redacted; the default index's location."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsindex import InvalidArgumentError
from newsindex.locations import (
    RemoteIndex,
    default_index_location,
    default_index_path,
    is_remote,
    parse_remote,
    redact,
)

PASSWORD = "s3cret-Pa55"


@pytest.mark.parametrize(
    ("where", "remote"),
    [
        ("http://127.0.0.1:9200/news", True),
        ("HTTPS://search.example/news", True),
        ("  http://host:9200", True),
        ("news/", False),
        ("http-archive/", False),
        (Path("http://x"), False),
        (None, False),
    ],
)
def test_is_remote(where, remote):
    """Only http:// and https:// text names an index on a cluster; paths are folders."""
    assert is_remote(where) is remote


class TestParse:
    def test_url_with_index(self):
        """The path of the URL names the index; the node keeps scheme, host and port."""
        assert parse_remote("http://127.0.0.1:9200/news") == RemoteIndex(
            nodes=("http://127.0.0.1:9200",), index="news"
        )

    def test_default_index(self):
        """A URL without a path (or with only a slash) names the index 'news'."""
        assert parse_remote("http://127.0.0.1:9200/").index == "news"
        assert parse_remote("http://127.0.0.1:9200").index == "news"

    def test_index_argument(self):
        """index= names the index when the URL does not."""
        assert parse_remote("http://h:9200", index="wires").index == "wires"

    def test_index_argument_agreeing_with_url(self):
        """index= may repeat the URL's index."""
        assert parse_remote("http://h:9200/wires", index="wires").index == "wires"

    def test_two_indexes(self):
        """A URL and index= naming different indexes is an error naming both."""
        with pytest.raises(InvalidArgumentError) as info:
            parse_remote("http://h:9200/wires", index="news")
        assert str(info.value) == (
            "The URLs and arguments name two indexes, 'news' and 'wires': name one."
        )

    def test_list_of_nodes(self):
        """A list of node URLs: every node, in order, once; the index from any of them."""
        remote = parse_remote(["http://a:9200", "http://b:9200/news", "http://a:9200"])
        assert remote.nodes == ("http://a:9200", "http://b:9200")
        assert remote.index == "news"

    def test_comma_separated(self):
        """One string may list several nodes separated by commas."""
        remote = parse_remote("http://a:9200, http://b:9200/wires")
        assert (remote.nodes, remote.index) == (("http://a:9200", "http://b:9200"), "wires")

    def test_login_in_url(self):
        """user:password@ becomes the login, percent-escapes decoded, and leaves the nodes."""
        remote = parse_remote("https://ana:p%40ss%3Aword@search.example:9200/news")
        assert remote.nodes == ("https://search.example:9200",)
        assert remote.auth == ("ana", "p@ss:word")

    def test_login_argument(self):
        """auth= gives the login for URLs without one."""
        assert parse_remote("http://h:9200", auth=("ana", PASSWORD)).auth == ("ana", PASSWORD)

    def test_two_logins(self):
        """Two different logins (URL and auth=) are an error that shows neither password."""
        with pytest.raises(InvalidArgumentError) as info:
            parse_remote(f"http://ana:{PASSWORD}@h:9200", auth=("bob", "other-pw"))
        assert str(info.value) == "The URLs and arguments give two different logins: give one."

    def test_ipv6_host(self):
        """An IPv6 address keeps its brackets in the node's address."""
        assert parse_remote("http://[::1]:9200/news").nodes == ("http://[::1]:9200",)

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("ftp://h/news", "it must start with http:// or https://"),
            ("http:///news", "it names no host"),
            ("http://h:99999/news", "its port is not a number from 0 to 65535"),
            ("http://h:9200/news?pretty", "an index URL has no '?' or '#' part"),
            (
                "http://h:9200/a/news",
                "its path must be the index name alone, as in http://host:9200/news",
            ),
        ],
    )
    def test_bad_url(self, url, reason):
        """A URL that names no index on a node is an InvalidArgumentError saying why."""
        with pytest.raises(InvalidArgumentError) as info:
            parse_remote(url)
        assert str(info.value) == f"'{url}' is not an index URL: {reason}."

    def test_bad_url_hides_password(self):
        """The message about a bad URL shows its user but not its password."""
        with pytest.raises(InvalidArgumentError) as info:
            parse_remote(f"http://ana:{PASSWORD}@h:9200/a/news")
        assert PASSWORD not in str(info.value)
        assert PASSWORD not in repr(info.value.value)
        assert str(info.value).startswith("'http://ana:***@h:9200/a/news' is not an index URL")

    def test_bad_index_name(self):
        """An index name OpenSearch refuses (uppercase) is an error naming the rule."""
        with pytest.raises(InvalidArgumentError) as info:
            parse_remote("http://h:9200/News")
        assert str(info.value) == (
            "'News' is not an index name OpenSearch accepts: use lowercase letters, digits, "
            "'-', '_' and '.', starting with a letter or digit."
        )

    def test_no_url(self):
        """An empty list of URLs is an error."""
        with pytest.raises(InvalidArgumentError, match="Give at least one OpenSearch node URL"):
            parse_remote([])

    def test_repr_hides_login(self):
        """The parsed location's repr and location show no password."""
        remote = parse_remote(f"http://ana:{PASSWORD}@h:9200/news")
        assert PASSWORD not in repr(remote)
        assert remote.location == "http://h:9200/news"


class TestRedact:
    def test_password_replaced(self):
        """A URL's password becomes *** and its user stays."""
        assert redact(f"at http://ana:{PASSWORD}@h:9200/news now") == (
            "at http://ana:***@h:9200/news now"
        )

    def test_every_url(self):
        """Every URL in the text is redacted, https too."""
        text = f"http://a:{PASSWORD}@h1:9200,HTTPS://b:x@h2:9200/news"
        assert redact(text) == "http://a:***@h1:9200,HTTPS://b:***@h2:9200/news"

    def test_password_with_at_sign(self):
        """A password holding a raw @ is hidden whole."""
        assert redact("http://ana:p@ss@h:9200/news") == "http://ana:***@h:9200/news"

    def test_nothing_to_hide(self):
        """Text without a login is left as it is."""
        text = "'http://h:9200/news' and ana@example.com"
        assert redact(text) == text


class TestDefaultLocation:
    def test_url_in_environment(self):
        """A URL in $NEWSINDEX_DIR is the default location, as text."""
        env = {"NEWSINDEX_DIR": "http://h:9200/news"}
        assert default_index_location(env) == "http://h:9200/news"

    def test_folder_in_environment(self, tmp_path):
        """A folder in $NEWSINDEX_DIR is the default location, as a path."""
        assert default_index_location({"NEWSINDEX_DIR": str(tmp_path)}) == tmp_path

    def test_default_index_path_refuses_a_url(self):
        """default_index_path with a URL in $NEWSINDEX_DIR says it is no folder, no password."""
        with pytest.raises(InvalidArgumentError) as info:
            default_index_path({"NEWSINDEX_DIR": f"http://ana:{PASSWORD}@h:9200/news"})
        assert str(info.value) == (
            "$NEWSINDEX_DIR names an OpenSearch index, not a folder: "
            "default_index_location() gives either."
        )
        assert info.value.value == "http://ana:***@h:9200/news"
