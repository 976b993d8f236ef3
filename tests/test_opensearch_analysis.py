"""Tests that the index template's analyzer makes the terms newsindex's own analyzer makes."""

from __future__ import annotations

import difflib
import json
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

pytest.importorskip("opensearchpy")

from click.testing import CliRunner

from newsindex import analyze
from newsindex.analysis.pairs import word_pairs
from newsindex.cli import main
from newsindex.engines.opensearch.client import Connection
from newsindex.engines.opensearch.proximity import COMMON_TERMS
from newsindex.engines.opensearch.template import index_body
from newsindex.ingest import read_path
from newsindex.ingest.sample import sample_paths

AGREEMENT = 0.998
"""The share of tokens on which the two analyzers must agree."""


@pytest.fixture(scope="module", params=["opensearch_url", "opensearch_secure"])
def analysis_index(request: pytest.FixtureRequest) -> Iterator[tuple[Connection, str]]:
    """An empty index with the template's analyzers, taking whole articles to ``_analyze``:
    on OpenSearch 3.6 and on 2.19 (secured), whose Lucene has another Snowball."""
    node = request.getfixturevalue(request.param)
    if isinstance(node, str):
        connection = Connection([node])
    else:
        connection = Connection(
            [node.url], auth=(node.user, node.password), ca_certs=str(node.ca_file)
        )
    index = f"newsindex-analysis-{uuid.uuid4().hex[:8]}"
    body = index_body(combined_fields=request.param == "opensearch_url")
    body["settings"]["index"]["analyze"] = {"max_token_count": 1_000_000}
    connection.client.indices.create(index=index, body=body)
    yield connection, index
    connection.client.indices.delete(index=index)
    connection.close()


def server_terms(
    connection: Connection, index: str, text: str, analyzer: str = "news_text"
) -> list[str]:
    """The terms OpenSearch's ``analyzer`` makes of ``text``."""
    answer = connection.client.indices.analyze(
        index=index, body={"analyzer": analyzer, "text": text}
    )
    return [token["token"] for token in answer["tokens"]]


def test_cli_analyze_is_the_function():
    """`newsindex analyze` prints the terms newsindex.analyze returns (what is compared)."""
    text = "Ukraine's U.K.-led coalition-of-the-willing, 1,000 peacekeepers"
    result = CliRunner().invoke(main, ["analyze", text, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == list(analyze(text))


@pytest.mark.opensearch
def test_template_analyzer_agrees_with_newsindex(analysis_index):
    """Over the 1,500 bundled Wikinews articles, at least 99.8% of the tokens agree (per
    article, the tokens in the longest matching blocks of the two streams over the longer
    stream's length), and the differences left are the kinds the README lists."""
    connection, index = analysis_index
    articles = list(read_path(sample_paths()[1]))
    assert len(articles) >= 1_000
    matched = total = 0
    differences: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    for article in articles:
        text = article.title + "\n\n" + article.body
        local, remote = list(analyze(text)), server_terms(connection, index, text)
        blocks = difflib.SequenceMatcher(None, local, remote, autojunk=False)
        matched += sum(block.size for block in blocks.get_matching_blocks())
        total += max(len(local), len(remote))
        for tag, i1, i2, j1, j2 in blocks.get_opcodes():
            if tag != "equal":
                differences[(tuple(local[i1:i2]), tuple(remote[j1:j2]))] += 1
    assert matched / total >= AGREEMENT, differences.most_common(20)
    assert sum(differences.values()) <= 10, differences.most_common(20)


@pytest.mark.opensearch
def test_pairs_sub_field_holds_the_local_pairs(analysis_index):
    """Over the bundled Wikinews articles' titles and bodies, the pairs analyzer makes exactly
    the local engine's word pairs, but where the two analyzers' terms differ (the kinds the
    README lists: at most 10 texts)."""
    connection, index = analysis_index
    articles = list(read_path(sample_paths()[1]))
    texts = [text for article in articles for text in (article.title, article.body)]
    pairing = terms_differ = 0  # texts whose pairs differ, and why
    for text in texts:
        terms = list(analyze(text))
        if word_pairs(terms, COMMON_TERMS) != server_terms(connection, index, text, "news_pairs"):
            if terms == server_terms(connection, index, text):
                pairing += 1
            else:
                terms_differ += 1
    assert (pairing, terms_differ <= 10) == (0, True)
    assert server_terms(connection, index, "Coalition of the willing", "news_pairs") == [
        "coalit of",
        "the will",
    ]
