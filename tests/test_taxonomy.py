"""Relevance and tags: TAXONOMY.md's hard cases, evidence, and rules as editable data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from hsctwatch.items import Article
from hsctwatch.taxonomy import Document, Rules
from pipelines.relevance import RelevancePipeline
from pipelines.tag import TagPipeline


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def doc(title: str, *paragraphs: str, summary: str = "") -> Document:
    return Document(title=title, summary=summary, text="\n\n".join(paragraphs))


HSCT_PARA = ("Autologous haematopoietic stem cell transplantation (aHSCT) uses chemotherapy to "
             "remove the immune cells that attack the nervous system in multiple sclerosis, then "
             "returns the patient's own stem cells.")

RELEVANT = {
    "headline and body": doc(
        "aHSCT stops relapses in aggressive MS",
        HSCT_PARA, "In the study, 80% of people with relapsing MS had no relapses after HSCT."),
    "never writes HSCT": doc(
        "A new immune system for my MS",
        "Two years ago I had an autologous stem cell transplant for relapsing-remitting MS.",
        "The chemotherapy was hard, but I have had no relapses since the stem cell transplant."),
    "contrasts with clinics": doc(
        "Stem cell clinics are not HSCT",
        "Clinics sell mesenchymal stem cell injections for multiple sclerosis.",
        "Unlike these injections, HSCT uses chemotherapy and the patient's own blood stem cells; "
        "it has been tested in trials for relapsing MS.", HSCT_PARA),
}

IRRELEVANT = {
    "HSCT for lymphoma, MS in a list": doc(
        "Stem cell transplant improves lymphoma survival",
        "Autologous stem cell transplantation after high-dose chemotherapy helped lymphoma patients.",
        "HSCT is standard in lymphoma and myeloma, and is studied in autoimmune diseases such as "
        "multiple sclerosis and scleroderma.",
        "The lymphoma trial will expand to leukaemia centres."),
    "MS drug news naming HSCT once": doc(
        "New drug approved for relapsing MS",
        "The drug halved relapses in people with relapsing multiple sclerosis.",
        "Options for MS include interferons, tablets, ocrelizumab, natalizumab and, for a few, HSCT.",
        "It will be available next month."),
    "mesenchymal clinic": doc(
        "Clinic sells stem cell therapy for MS",
        "The clinic injects mesenchymal stem cells from umbilical cord tissue into people with MS.",
        "Regulators say the stem cell injections are unproven."),
    "mass spectrometry": doc(
        "New MS method maps proteins",
        "A mass spectrometry (MS) method identifies proteins in blood from patients before HSCT for "
        "leukaemia.", "The MS workflow is fast."),
    "Microsoft": doc(
        "MS Teams outage", "Microsoft said MS Teams was down for three hours.",
        "Staff at the HSCT project office were unable to meet."),
    "NASA's HSCT": doc(
        "The High Speed Civil Transport that never flew",
        "NASA's HSCT programme studied a supersonic airliner in the 1990s.",
        "Engineers in Mississippi (MS) tested engines for the HSCT."),
    "systemic sclerosis": doc(
        "Stem cell transplant for systemic sclerosis",
        "HSCT improved lung function in systemic sclerosis (scleroderma).",
        "Treatment-related mortality was higher than in multiple sclerosis.",
        "Systemic sclerosis patients need heart screening before HSCT."),
    "degree in a byline": doc(
        "Diet and fatigue", "By Jane Doe, MS", "Eating well may help with fatigue, says the survey."),
    "no procedure at all": doc("Vitamin D and MS",
                               "Vitamin D did not reduce relapses in multiple sclerosis."),
}


@pytest.mark.parametrize("name", sorted(RELEVANT))
def test_relevant(rules: Rules, name: str) -> None:
    decision = rules.relevance(RELEVANT[name])
    assert decision.relevant, decision.reasons
    assert decision.score >= rules.threshold and decision.reasons


@pytest.mark.parametrize("name", sorted(IRRELEVANT))
def test_irrelevant(rules: Rules, name: str) -> None:
    decision = rules.relevance(IRRELEVANT[name])
    assert not decision.relevant, decision.reasons
    assert decision.reasons[-1].startswith("score") or len(decision.reasons) == 1


def test_reasons_say_why(rules: Rules) -> None:
    lymphoma = rules.relevance(IRRELEVANT["HSCT for lymphoma, MS in a list"])
    assert any("lymphoma, not MS" in r for r in lymphoma.reasons)
    listed = rules.relevance(IRRELEVANT["MS drug news naming HSCT once"])
    assert any("list of treatment options" in r for r in listed.reasons)
    relevant = rules.relevance(RELEVANT["headline and body"])
    assert any("headline" in r for r in relevant.reasons)


def tags_of(rules: Rules, document: Document) -> dict[str, list[tuple[str, str]]]:
    return {t.slug: [(e.phrase, e.where) for e in t.evidence] for t in rules.tags(document)}


def test_tags_carry_evidence_that_occurs_in_the_text(rules: Rules) -> None:
    document = doc(
        "MIST trial: HSCT beats drugs in relapsing MS",
        "The MIST trial (NCT00273364) randomised patients at Northwestern University in Chicago.",
        "Conditioning used cyclophosphamide and ATG. EDSS improved and 78% reached NEDA.",
        "People with primary progressive MS were not included.",
    )
    tags = tags_of(rules, document)
    assert {"trial", "mist", "usa", "conditioning", "outcomes", "rrms", "ppms"} <= set(tags)
    text = {"title": document.title, "body": document.text}
    for slug, evidence in tags.items():
        assert evidence, slug
        for phrase, where in evidence:
            if slug != "news":
                assert phrase in text[where], (slug, phrase, where)


def test_country_is_where_treatment_happens_not_home(rules: Rules) -> None:
    tags = tags_of(rules, doc(
        "Sarah's HSCT journey",
        "Sarah, from Leeds, lives in England with her two children.",
        "She travelled to Moscow for HSCT at the Pirogov Center in 2025 for her relapsing MS.",
    ))
    assert "russia" in tags and "uk" not in tags


def test_one_stray_word_is_not_a_tag(rules: Rules) -> None:
    tags = tags_of(rules, doc("HSCT for relapsing MS", HSCT_PARA, "The cost was not discussed."))
    assert "cost" not in tags and "mist" not in tags


def test_content_types_from_the_form(rules: Rules) -> None:
    story = doc("My HSCT", *(["I had my transplant in Mexico and my legs are stronger. I feel like me "
                             "again, and I am grateful for my nurses."] * 3))
    assert "patient-story" in tags_of(rules, story)
    interview = doc("Q&A with a neurologist on aHSCT", "We spoke to a neurologist about HSCT for MS.",
                    "Q: Who is eligible?", "A: Young people with active relapsing MS.",
                    "Q: What are the risks?", "A: Infections and infertility.")
    assert "interview" in tags_of(rules, interview)
    plain = tags_of(rules, doc("HSCT centre opens", HSCT_PARA))
    assert "news" in plain


def test_an_editor_adds_a_synonym_without_code(tmp_path: Path, rules: Rules) -> None:
    article = doc("Immunoreconstitution therapy for MS",
                  "Immunoreconstitution therapy reset the immune system in people with relapsing MS.",
                  "After immunoreconstitution therapy, relapses stopped in most patients with MS.")
    assert not rules.relevance(article).relevant
    text = (Path(__file__).parent.parent / "hsctwatch" / "rules.toml").read_text(encoding="utf-8")
    edited = text.replace("  'immunoablat\\w*',", "  'immunoablat\\w*',\n  'immunoreconstitution therapy',")
    assert edited != text
    path = tmp_path / "rules.toml"
    path.write_text(edited, encoding="utf-8")
    assert Rules.load(path).relevance(article).relevant


@pytest.mark.parametrize(("content", "message"), [
    ("[procedure\n", "not valid TOML"),
    ("[ms]\npatterns=[]\n[negative]\n", "missing table [procedure]"),
    ("[procedure]\npatterns = ['(unclosed']\n[ms]\n[negative]\n", "is not a valid regex"),
])
def test_a_bad_rules_file_is_named_with_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        Rules.load(path)
    assert str(path) in str(caught.value)


def test_pipelines_mark_and_tag_without_dropping() -> None:
    crawler = get_crawler()
    crawler.stats.open_spider()
    relevance = RelevancePipeline.from_crawler(crawler)
    tag = TagPipeline.from_crawler(crawler)
    good = Article(title="aHSCT stops relapses in aggressive MS", summary="",
                   text="\n\n".join([HSCT_PARA, "People with relapsing MS had no relapses after HSCT."]))
    bad = Article(title="Vitamin D and MS", summary="", text="Vitamin D did not reduce MS relapses.")
    good = tag.process_item(relevance.process_item(good))
    bad = tag.process_item(relevance.process_item(bad))
    assert good["relevant"] is True and good["relevance_score"] >= 0.5 and good["relevance_reasons"]
    assert {t["slug"] for t in good["tags"]} >= {"rrms"}
    assert all(t["evidence"] for t in good["tags"])
    assert bad["relevant"] is False and bad["tags"] == []
    assert crawler.stats.get_value("hsctwatch/relevance/relevant") == 1
    assert crawler.stats.get_value("hsctwatch/relevance/irrelevant") == 1
    assert crawler.stats.get_value("hsctwatch/tag/tagged") == 1


def test_eval_prints_figures_for_the_labelled_corpus() -> None:
    from click.testing import CliRunner

    from hsctwatch.cli import cli

    corpus = Path(__file__).parent / "corpus"
    result = CliRunner().invoke(cli, ["eval", str(corpus), "--mistakes"])
    assert result.exit_code == 0, result.output
    assert "labelled cases" in result.output and "relevance" in result.output
    assert "tags (micro)" in result.output
    for facet in ("type", "ms-type", "topic", "country", "trial"):
        assert f"  {facet}" in result.output
