"""The relevance and tag pipelines on Article items, with a real Scrapy crawler: the fields they
set, what they leave alone, the stats they count, and the rules file they read."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from hsctwatch.crawl.items import Article
from pipelines.relevance import RelevancePipeline
from pipelines.tag import TagPipeline

RULES_FILE = Path(__file__).parent.parent / "hsctwatch" / "rules" / "rules.toml"

STORY = Article(
    source="blog", url="https://blog.example/2026/01/day-zero/",
    canonical_url="https://blog.example/2026/01/day-zero",
    title="Day zero: my new stem cells are in",
    summary="",
    text="\n\n".join([
        "Today is day zero of my HSCT at the Pirogov centre in Moscow. At eleven a nurse hung a bag of my "
        "own stem cells on the drip stand, and twenty minutes later they were back inside me.",
        "I have relapsing-remitting MS, and I had four days of conditioning chemotherapy, cyclophosphamide "
        "with ATG, to wipe out the immune system that has been attacking my nerves.",
        "The ATG gave me a fever and a rash on the first night. I am tired, but I am hopeful.",
    ]),
    metadata={"publisher": "A blog"},
)
DRUG_NEWS = Article(
    source="msnews", url="https://news.example/ocrelizumab",
    title="New injection of ocrelizumab approved for MS",
    summary="The under-the-skin form is approved for relapsing MS.",
    text="\n\n".join([
        "Regulators approved a subcutaneous form of ocrelizumab for relapsing multiple sclerosis.",
        "People with MS now have many options, from interferons and tablets to infusions such as natalizumab "
        "and, for a few, HSCT.",
    ]),
)


def crawler(**settings: Any) -> Crawler:
    made = get_crawler(settings_dict=settings)
    made.stats.open_spider()
    return made


@pytest.fixture
def pipelines() -> Iterator[tuple[Crawler, RelevancePipeline, TagPipeline]]:
    made = crawler()
    yield made, RelevancePipeline.from_crawler(made), TagPipeline.from_crawler(made)


def run(item: Article, relevance: RelevancePipeline, tag: TagPipeline) -> Article:
    return tag.process_item(relevance.process_item(Article(item)))


def test_a_relevant_article_is_marked_and_tagged_with_evidence(
        pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    made, relevance, tag = pipelines
    item = run(STORY, relevance, tag)
    assert item["relevant"] is True
    assert isinstance(item["relevance_score"], float) and item["relevance_score"] >= 0.5
    assert item["relevance_reasons"] and all(isinstance(r, str) for r in item["relevance_reasons"])
    tags = {t["slug"]: t for t in item["tags"]}
    assert {"patient-story", "russia", "rrms", "conditioning"} <= set(tags)
    assert tags["russia"]["facet"] == "country"
    for found in item["tags"]:
        assert set(found) == {"facet", "slug", "evidence"} and found["evidence"]
        for evidence in found["evidence"]:
            assert set(evidence) == {"phrase", "where"} and evidence["where"] in ("title", "summary", "body")
            assert evidence["phrase"] in {"title": item["title"], "summary": item["summary"],
                                          "body": item["text"]}[evidence["where"]]
    assert item["metadata"] == {"publisher": "A blog"} and item["source"] == "blog"  # the rest untouched
    assert made.stats.get_value("hsctwatch/relevance/relevant") == 1
    assert made.stats.get_value("hsctwatch/tag/tagged") == 1
    assert made.stats.get_value("hsctwatch/tag/tags") == len(item["tags"])


def test_an_irrelevant_article_is_kept_with_its_reasons_and_no_tags(
        pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    made, relevance, tag = pipelines
    item = run(DRUG_NEWS, relevance, tag)
    assert item["relevant"] is False and item["relevance_score"] < 0.5
    assert "HSCT only named once, in a list of options" in item["relevance_reasons"]
    assert item["tags"] == []
    assert made.stats.get_value("hsctwatch/relevance/irrelevant") == 1
    assert made.stats.get_value("hsctwatch/relevance/relevant") is None
    assert made.stats.get_value("hsctwatch/tag/tagged") is None


def test_an_item_without_title_or_text_passes_through_untouched(
        pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    made, relevance, tag = pipelines
    empty = Article(source="blog", url="https://blog.example/feed-only", title="  ", text="")
    item = run(empty, relevance, tag)
    assert dict(item) == dict(empty)
    assert made.stats.get_value("hsctwatch/relevance/skipped") == 1
    assert made.stats.get_value("hsctwatch/relevance/relevant") is None


def test_counts_add_up_over_a_crawl(pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    made, relevance, tag = pipelines
    for item in (STORY, DRUG_NEWS, STORY, DRUG_NEWS, STORY):
        run(item, relevance, tag)
    assert made.stats.get_value("hsctwatch/relevance/relevant") == 3
    assert made.stats.get_value("hsctwatch/relevance/irrelevant") == 2
    assert made.stats.get_value("hsctwatch/tag/tagged") == 3
    assert made.stats.get_value("hsctwatch/seconds/relevance") > 0  # the stage's share, for the benchmark


def test_a_research_record_is_research_even_when_its_text_is_short(
        pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    _, relevance, tag = pipelines
    paper = Article(title="Autologous haematopoietic stem cell transplantation for multiple sclerosis: "
                          "time to offer it earlier?", text="", record_type="paper")
    item = run(paper, relevance, tag)
    assert item["relevant"] is True
    types = [t for t in item["tags"] if t["facet"] == "type"]
    assert types == [{"facet": "type", "slug": "research",
                      "evidence": [{"phrase": "a PubMed record", "where": "record"}]}]


def test_the_pipelines_keep_the_crawler_and_use_the_modern_signature() -> None:
    made = crawler()
    for component in (RelevancePipeline.from_crawler(made), TagPipeline.from_crawler(made)):
        assert component.crawler is made
        assert list(inspect.signature(component.process_item).parameters) == ["item"]


def test_the_rules_file_comes_from_the_setting(tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(RULES_FILE.read_text(encoding="utf-8").replace("threshold = 0.5", "threshold = 1.5", 1),
                      encoding="utf-8")
    made = crawler(HSCTWATCH_RULES=str(strict))
    relevance, tag = RelevancePipeline.from_crawler(made), TagPipeline.from_crawler(made)
    item = run(STORY, relevance, tag)
    assert item["relevant"] is False and item["tags"] == []
    assert item["relevance_reasons"][-1].endswith("threshold 1.50")


def test_a_bad_rules_file_stops_the_crawl_with_its_name(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[relevance\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{broken}: not valid TOML"):
        RelevancePipeline.from_crawler(crawler(HSCTWATCH_RULES=str(broken)))


def test_the_rules_read_the_items_categories_and_its_sources_focus(
        pipelines: tuple[Crawler, RelevancePipeline, TagPipeline]) -> None:
    """A post that never names MS, filed under "HSCT Moscow", is about the transplant for MS; a post
    from a source devoted to HSCT needs less; neither rescues a post that never discusses it."""
    _, relevance, tag = pipelines
    day = Article(source="blog", url="https://blog.example/day-6", title="+6", text="\n\n".join([
        "Day +6. Neutrophils 0.1 this morning, so this is the zero week everyone warned me about.",
        "Temp 38.2 in the night, blood cultures and a new antibiotic. Mask on, door shut."]))
    assert run(day, relevance, tag)["relevant"] is False
    filed = run(Article(day, categories=["HSCT Moscow", "Day by day"]), relevance, tag)
    assert filed["relevant"] is True and "russia" in {t["slug"] for t in filed["tags"]}
    back = Article(source="blog", url="https://blog.example/back", title="Back at work", text="\n\n".join([
        "First week back at the office since the transplant. Four days, mornings only.",
        "The afternoons are hard after the transplant. My MS fatigue is there too, but I can plan "
        "around it."]))
    assert run(back, relevance, tag)["relevant"] is False
    assert run(Article(back, focus="hsct"), relevance, tag)["relevant"] is True
    assert run(Article(DRUG_NEWS, focus="hsct", categories=["HSCT"]), relevance, tag)["relevant"] is False
