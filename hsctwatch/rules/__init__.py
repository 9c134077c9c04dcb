"""The rules engine: relevance and tags, read from an editor's rules file (``rules.toml`` here).

The vocabulary is data, so that editors change it without code (the policy it implements is
docs/editorial-policy.md). What is code here is how the words are read in context, because
counting keywords is not enough for this feed: an MS news story naming HSCT once in a list of
drugs, a lymphoma study naming MS once in a list of diseases, and a patient's blog about her
transplant use the same words. So a document is read the way a person reads it, part by part
and sentence by sentence, and every decision has a score and reasons a person can check, every
tag the phrases that triggered it, and where.

The parts, in the order they build on each other:

- ``model``: the document, a relevance decision, tags and their evidence;
- ``terms``: phrases and patterns as regexes, found through an index of words;
- ``views``: the document split into headline, standfirst, paragraphs and sentences;
- ``forms``: first-hand stories and interviews, told by their form;
- ``relevance`` and ``tags``: the two judgements;
- ``loading``: reading and checking a rules file into `Rules`; `Vocabulary` for the tag names only;
- ``evaluate``: the figures against the labelled corpus.
"""

from hsctwatch.rules.loading import Rules, Vocabulary
from hsctwatch.rules.model import WHERE, Document, Evidence, Relevance, RulesError, TagMatch
from hsctwatch.rules.terms import Terms, phrase_regex

__all__ = ["WHERE", "Document", "Evidence", "Relevance", "Rules", "RulesError", "TagMatch", "Terms",
           "Vocabulary", "phrase_regex"]
