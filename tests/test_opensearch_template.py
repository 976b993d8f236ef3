"""Tests for the OpenSearch index template: the layout it leaves room in (no server needed)."""

from __future__ import annotations

from newsindex.engines.opensearch.template import COMMON_PAIRS, TEMPLATE_VERSION, index_body


def test_layout_version_in_meta():
    """The mapping carries the layout version the engine checks on opening."""
    assert index_body()["mappings"]["_meta"] == {"newsindex_template": TEMPLATE_VERSION}


def test_bm25_is_the_local_engines():
    """The default similarity is BM25 with the local engine's b and k1."""
    similarity = index_body()["settings"]["index"]["similarity"]
    assert similarity == {"default": {"type": "BM25", "b": 0.6, "k1": 1.2}}


def test_name_fields_have_keyword_sub_fields():
    """Source, url, author, section and tag keep whole values for aggregations and collapse."""
    properties = index_body()["mappings"]["properties"]
    for field in ("source", "url", "author", "section", "tag"):
        assert properties[field]["fields"]["raw"] == {"type": "keyword", "ignore_above": 1024}
    assert properties["id"] == {"type": "keyword"}
    assert properties["published"] == {"type": "date"}


def test_text_fields_search_analysed_terms():
    """Title and body index with the mirror analyzer and search terms as they are, with an
    unstemmed sub-field."""
    title = index_body()["mappings"]["properties"]["title"]
    assert (title["analyzer"], title["search_analyzer"]) == ("news_text", "news_terms")
    assert title["fields"]["exact"]["analyzer"] == "news_plain"


def test_copied_text_field_before_combined_fields():
    """Without combined_fields, title and body are copied to one text field."""
    properties = index_body(combined_fields=False)["mappings"]["properties"]
    assert properties["title"]["copy_to"] == "text"
    assert properties["body"]["copy_to"] == "text"
    assert "text" not in index_body()["mappings"]["properties"]


def test_percolator_field_when_the_server_has_it():
    """Saved searches get a percolator field where the module is installed."""
    assert index_body(percolator=True)["mappings"]["properties"]["saved_query"] == {
        "type": "percolator"
    }
    assert "saved_query" not in index_body()["mappings"]["properties"]


def test_no_stop_filter():
    """The analyzers keep stop words, so phrases with them stay exact."""
    analyzers = index_body()["settings"]["analysis"]["analyzer"]
    for analyzer in analyzers.values():
        assert "stop" not in analyzer.get("filter", [])


def test_text_fields_index_word_pairs():
    """Title and body index neighbouring terms as one, for two-word phrases."""
    properties = index_body()["mappings"]["properties"]
    assert properties["title"]["index_phrases"] is True
    assert properties["body"]["index_phrases"] is True


def test_text_fields_have_the_local_pairs_sub_field():
    """Title and body have a pairs sub-field: the text chain, then pairs of neighbouring terms
    joined by a space, with no filler, those of two common terms dropped."""
    body = index_body()
    properties = body["mappings"]["properties"]
    for field in ("title", "body"):
        assert properties[field]["fields"]["pairs"] == {
            "type": "text",
            "analyzer": "news_pairs",
            "search_analyzer": "keyword",
            "index_options": "freqs",
        }
    analysis = body["settings"]["analysis"]
    chain = analysis["analyzer"]["news_pairs"]["filter"]
    assert chain == [
        *analysis["analyzer"]["news_text"]["filter"],
        "news_shingles",
        "news_common_pairs",
    ]
    assert analysis["filter"]["news_shingles"] == {
        "type": "shingle",
        "min_shingle_size": 2,
        "max_shingle_size": 2,
        "output_unigrams": False,
        "token_separator": " ",
        "filler_token": "",
    }
    stop = analysis["filter"]["news_common_pairs"]
    assert stop["type"] == "stop"
    assert stop["stopwords"] == list(COMMON_PAIRS)
    assert {"of the", "the of", "was by"} <= set(COMMON_PAIRS)
    assert "the will" not in COMMON_PAIRS
    assert len(COMMON_PAIRS) == 34 * 34
