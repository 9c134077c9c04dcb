"""The pubmed and clinicaltrials spiders on saved answers of the real APIs' shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Request

from hsctwatch.crawl.items import Article
from tests.conftest import response_for, run_callback, start_requests

EUTILS = "https://eutils.example.org/entrez/eutils/"


def query(request: Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


def test_esearch_then_efetch_with_history(make_spider) -> None:
    term = '"hematopoietic stem cell transplantation"[MeSH] AND "multiple sclerosis"[MeSH]'
    spider = make_spider("pubmed", term=term, api=EUTILS, email="editor@example.org", api_key="k3y")
    [search] = start_requests(spider)
    q = query(search)
    assert urlsplit(search.url).path.endswith("/esearch.fcgi")
    assert q["usehistory"] == ["y"] and q["retmode"] == ["json"] and q["db"] == ["pubmed"]
    assert q["tool"] == ["hsct-watch"] and q["email"] == ["editor@example.org"] and q["api_key"] == ["k3y"]
    assert "mindate" not in q  # the first run takes the whole history
    [fetch] = run_callback(search, response_for(search, "pubmed/esearch.json"))
    fq = query(fetch)
    assert urlsplit(fetch.url).path.endswith("/efetch.fcgi")
    assert fq["WebEnv"] == ["MCID_6745d1a2b3c4d5e6f7a8b9c0"] and fq["query_key"] == ["1"]
    assert fq["retmode"] == ["xml"]
    assert spider.download_delay == 0.12 and spider.max_concurrent_requests == 1  # 10/s with a key


def test_rate_without_a_key(make_spider) -> None:
    assert make_spider("pubmed", term="hsct").download_delay >= 1 / 3


def papers(make_spider) -> list[Article]:
    spider = make_spider("pubmed", term="x", api=EUTILS)
    request = Request(EUTILS + "efetch.fcgi?db=pubmed", callback=spider.parse_records)
    return run_callback(request, response_for(request, "pubmed/efetch.xml"))


def test_structured_abstract_paper(make_spider) -> None:
    mist = papers(make_spider)[0]
    assert mist["url"] == "https://doi.org/10.1001/jamaneurol.2026.0412"
    assert mist["guid"] == "pmid:39912345"
    assert mist["title"].startswith("Long-Term Outcomes of Nonmyeloablative")
    assert not mist["title"].endswith(".")
    assert "<strong>Importance:</strong>" in mist["content_html"]
    assert "<strong>Results:</strong> At 10 years" in mist["content_html"]
    assert mist["author"] == "Burt RK et al."
    assert mist["published"] == datetime(2026, 3, 31, tzinfo=UTC)
    assert mist["record_type"] == "paper"
    record = mist["record"]
    assert record["journal"] == "JAMA neurology" and record["pmid"] == "39912345"
    assert record["publication_types"] == ["Randomized Controlled Trial", "Journal Article"]
    assert record["authors"] == ["Burt RK", "Balabanov R", "MIST Investigators"]


def test_paper_without_abstract_and_paper_without_doi(make_spider) -> None:
    _, letter, brazil = papers(make_spider)
    assert letter["content_html"] == "" if "content_html" in letter else True
    assert letter["url"] == "https://doi.org/10.1177/13524585261234567"
    assert letter["record"]["publication_types"] == ["Comment", "Letter"]
    assert letter["published"] == datetime(2026, 2, 16, tzinfo=UTC)
    assert brazil["url"] == "https://pubmed.ncbi.nlm.nih.gov/38700002/"  # no DOI: PubMed
    assert brazil["record"]["doi"] == ""
    assert "Ribeirão Preto" in brazil["content_html"]


def test_esearch_error_is_reported(make_spider) -> None:
    spider = make_spider("pubmed", term="((", api=EUTILS)
    [search] = start_requests(spider)
    assert run_callback(search, response_for(search, "pubmed/esearch-error.json")) == []
    assert "unbalanced parentheses" in spider.crawler.stats.get_value("hsctwatch/error_messages")[0]


def test_clinicaltrials_pages_and_trials(make_spider) -> None:
    spider = make_spider("clinicaltrials", condition="multiple sclerosis",
                         intervention="hematopoietic stem cell transplantation",
                         api="https://ct.example.org/api/v2/")
    [first] = start_requests(spider)
    q = query(first)
    assert urlsplit(first.url).path == "/api/v2/studies"
    assert q["query.cond"] == ["multiple sclerosis"]
    assert q["query.intr"] == ["hematopoietic stem cell transplantation"]
    results = run_callback(first, response_for(first, "clinicaltrials/page1.json"))
    [ram] = [r for r in results if isinstance(r, Article)]
    [second] = [r for r in results if isinstance(r, Request)]
    assert query(second)["pageToken"] == ["NF0g5JKClvMuwQY"]
    assert ram["url"] == "https://clinicaltrials.gov/study/NCT03477500" and ram["guid"] == "nct:NCT03477500"
    assert ram["title"].startswith("RAM-MS: Randomized Autologous")
    assert ram["record_type"] == "trial" and ram["record"]["status"] == "ACTIVE_NOT_RECRUITING"
    facts = "Status: active, not recruiting. Phase: phase 3. Enrolment: 100 participants"
    assert facts in ram["content_html"]
    assert "Haukeland University Hospital, Bergen, Norway" in ram["content_html"]
    assert ram["published"] == "2018-03-26" and ram["updated"] == "2026-01-15"
    page2 = run_callback(second, response_for(second, "clinicaltrials/page2.json"))
    [beat] = page2  # no nextPageToken: the last page
    assert len(beat["record"]["locations"]) == 18
    assert "King's College Hospital, London, United Kingdom" in beat["content_html"]
