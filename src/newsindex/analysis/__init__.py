"""Text to terms: the tokenizer with character spans, folding, possessives, hyphens and dotted
acronyms, and NLTK's Snowball stemmer (:mod:`newsindex.analysis.analyzer`); the table of
combining marks the tokenizer needs (:mod:`newsindex.analysis.marks`).

Queries and indexes analyse text the same way, so this stage sits below both.
"""

from newsindex.analysis.analyzer import NewsAnalyzer, analyze, plain_analyzer, stemming_analyzer

__all__ = ["NewsAnalyzer", "analyze", "plain_analyzer", "stemming_analyzer"]

# Indexes pickle their analyzers by class: under this package's name, which does not move.
NewsAnalyzer.__module__ = __name__
