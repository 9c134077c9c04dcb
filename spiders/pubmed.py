"""The ``pubmed`` kind: papers from NCBI E-utilities.

`esearch` (JSON, with the history server) finds the records matching ``term``; later runs ask
only for records added since the last complete run (a date window on the Entrez date); `efetch`
(XML) gives titles, abstracts, journal, authors, DOI and publication types, 100 records a call.
NCBI allows 3 requests a second without an API key and 10 with one: the spider keeps under that.
Each paper links to its DOI, or to PubMed when it has none.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from lxml import etree
from scrapy.http import Response

from hsctwatch.crawl.items import Article
from hsctwatch.kinds import Option
from spiders.base import SourceSpider

BATCH = 100
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = ""
OPTIONS = (
    Option("term", str, None, "an Entrez query", required=True,
           example='term = "an E-utilities search term"'),
    Option("api", str, "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", "another E-utilities base URL",
           check="url"),
    Option("tool", str, "hsct-watch", "the tool name NCBI asks for"),
    Option("email", str, "", "a contact address NCBI asks for"),
    Option("api_key", str, "", "an NCBI API key: 10 requests/s instead of 3"),
    Option("max_records", int, 500, "records fetched per run at most", check="positive"),
)


class PubMedSpider(SourceSpider):
    name = "pubmed"
    kind = "pubmed"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PubMedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # NCBI's limits: 3 requests/s without a key, 10/s with one; one at a time. Scrapy reads
        # these two attributes when it makes the site's download slot.
        delay = 0.12 if spider.source.option("api_key") else 0.4
        spider.download_delay = delay  # type: ignore[attr-defined]
        spider.max_concurrent_requests = 1  # type: ignore[attr-defined]
        return spider  # type: ignore[return-value]

    def eutils(self, tool: str, **params: Any) -> str:
        query = {"db": "pubmed", **params, "tool": self.source.option("tool")}
        if self.source.option("email"):
            query["email"] = self.source.option("email")
        if self.source.option("api_key"):
            query["api_key"] = self.source.option("api_key")
        base = self.source.option("api")
        return f"{base.rstrip('/')}/{tool}.fcgi?{urlencode(query)}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        params: dict[str, Any] = {"term": self.source.option("term"), "retmode": "json", "usehistory": "y",
                                  "retmax": BATCH, "sort": "pub_date"}
        last = self.last_finished_run()
        if last is not None:  # only what Entrez added since the last complete run, with a margin
            params.update(datetype="edat", mindate=(last - timedelta(days=2)).strftime("%Y/%m/%d"),
                          maxdate="3000")
        yield scrapy.Request(self.eutils("esearch", **params), callback=self.parse_search,
                             errback=self.listing_failed, dont_filter=True)

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            result = json.loads(response.text)["esearchresult"]
        except (ValueError, KeyError, TypeError):
            self.report(f"{response.url}: esearch did not answer the expected JSON")
            return
        if "ERROR" in result:
            self.report(f"{response.url}: esearch error: {result['ERROR']}")
            return
        count = min(int(result.get("count", 0)), int(self.source.option("max_records")))
        self.crawler.stats.set_value("hsctwatch/pubmed/found", count)
        webenv, query_key = result.get("webenv"), result.get("querykey")
        for start in range(0, count, BATCH):
            if webenv and query_key:
                url = self.eutils("efetch", query_key=query_key, WebEnv=webenv, retstart=start,
                                  retmax=BATCH, retmode="xml")
            else:
                ids = result.get("idlist", [])[start:start + BATCH]
                url = self.eutils("efetch", id=",".join(ids), retmode="xml")
            yield scrapy.Request(url, callback=self.parse_records, errback=self.listing_failed)

    def parse_records(self, response: Response) -> Iterator[Article]:
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(resolve_entities=False,
                                                                         no_network=True, huge_tree=False))
        except etree.XMLSyntaxError as exc:
            self.report(f"{response.url}: efetch did not answer readable XML ({exc})")
            return
        for node in root.iter("PubmedArticle"):
            record = paper_record(node)
            if not record["pmid"] or not record["title"]:
                continue
            self.crawler.stats.inc_value("hsctwatch/pubmed/records")
            yield self.paper_item(record)

    def paper_item(self, record: dict[str, Any]) -> Article:
        link = f"https://doi.org/{record['doi']}" if record["doi"] else \
            f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"
        item = self.article_item(link, {
            "guid": f"pmid:{record['pmid']}",
            "title": record["title"],
            "content_html": record["abstract_html"],
            "published": record["published"],
            "author": _authors(record["authors"]),
        })
        item["record_type"] = "paper"
        item["record"] = {k: v for k, v in record.items() if k not in ("abstract_html", "published")}
        item["record"]["published"] = record["published"].date().isoformat() if record["published"] else ""
        return item


def paper_record(node: Any) -> dict[str, Any]:
    """The fields of one PubmedArticle element."""
    citation = node.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None

    def text(path: str, at: Any = article) -> str:
        found = at.find(path) if at is not None else None
        return " ".join("".join(found.itertext()).split()) if found is not None else ""

    sections = []
    for part in (article.findall("Abstract/AbstractText") if article is not None else []):
        body = " ".join("".join(part.itertext()).split())
        label = part.get("Label")
        sections.append(f"<p><strong>{_esc(label.title())}:</strong> {_esc(body)}</p>" if label
                        else f"<p>{_esc(body)}</p>")
    doi = ""
    for id_node in node.findall("PubmedData/ArticleIdList/ArticleId"):
        if id_node.get("IdType") == "doi" and id_node.text:
            doi = id_node.text.strip()
    if not doi and article is not None:
        for loc in article.findall("ELocationID"):
            if loc.get("EIdType") == "doi" and loc.text:
                doi = loc.text.strip()
    authors = []
    for author in (article.findall("AuthorList/Author") if article is not None else []):
        last, initials = text("LastName", author), text("Initials", author)
        name = f"{last} {initials}".strip() or text("CollectiveName", author)
        if name:
            authors.append(name)
    return {
        "pmid": text("PMID", citation) if citation is not None else "",
        "title": text("ArticleTitle").rstrip("."),
        "abstract_html": "".join(sections),
        "journal": text("Journal/Title"),
        "doi": doi,
        "authors": authors,
        "publication_types": [t for t in (" ".join(p.itertext()).strip()
                                          for p in (article.findall("PublicationTypeList/PublicationType")
                                                    if article is not None else [])) if t],
        "published": _published(node, article),
    }


def _published(node: Any, article: Any) -> datetime | None:
    for status in ("pubmed", "entrez"):
        for date in node.findall("PubmedData/History/PubMedPubDate"):
            if date.get("PubStatus") == status:
                parsed = _ymd(date)
                if parsed:
                    return parsed
    if article is not None:
        for path in ("ArticleDate", "Journal/JournalIssue/PubDate"):
            found = article.find(path)
            if found is not None and _ymd(found):
                return _ymd(found)
    return None


def _ymd(node: Any) -> datetime | None:
    year = (node.findtext("Year") or "").strip()
    month = (node.findtext("Month") or "1").strip()
    day = (node.findtext("Day") or "1").strip()
    if not year.isdigit():
        return None
    month_number = int(month) if month.isdigit() else MONTHS.get(month[:3].lower(), 1)
    try:
        return datetime(int(year), month_number, int(day) if day.isdigit() else 1, tzinfo=UTC)
    except ValueError:
        return None


def _authors(names: list[str]) -> str:
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{names[0]} et al."


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
