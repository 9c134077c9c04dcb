"""The ``clinicaltrials`` kind: trials from the ClinicalTrials.gov API v2.

One request per page of `/studies` (query.cond, query.intr), following `nextPageToken`. One item
per trial, with its status, phase, enrolment and locations in the text (so the tag rules find
the countries and the trial's name). A trial whose status changed since the last run updates its
item, and the feed says so ("Status changed: …").
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from hsctwatch.crawl.items import Article
from hsctwatch.kinds import Option
from hsctwatch.stories.trials import STATUS_WORDS
from spiders.base import SourceSpider

MAX_PAGES = 50


#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = ""
OPTIONS = (
    Option("condition", str, None, "the condition searched (query.cond)", required=True,
           example='condition = "multiple sclerosis"'),
    Option("intervention", str, "", "the intervention searched (query.intr)"),
    Option("api", str, "https://clinicaltrials.gov/api/v2/", "another API base URL", check="url"),
    Option("page_size", int, 50, "trials per API page", check="positive"),
)


class ClinicalTrialsSpider(SourceSpider):
    name = "clinicaltrials"
    kind = "clinicaltrials"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.page_request(None, 1)

    def page_request(self, token: str | None, page: int) -> scrapy.Request:
        query: dict[str, Any] = {"query.cond": self.source.option("condition"), "format": "json",
                                 "pageSize": self.source.option("page_size"), "countTotal": "true"}
        if self.source.option("intervention"):
            query["query.intr"] = self.source.option("intervention")
        if token:
            query["pageToken"] = token
        url = f"{self.source.option('api').rstrip('/')}/studies?{urlencode(query)}"
        return scrapy.Request(url, callback=self.parse_page, errback=self.listing_failed,
                              cb_kwargs={"page": page}, dont_filter=True,
                              headers={"Accept": "application/json"})

    def parse_page(self, response: Response, page: int) -> Iterator[Article | scrapy.Request]:
        try:
            data = json.loads(response.text)
            studies = data["studies"]
        except (ValueError, KeyError, TypeError):
            self.report(f"{response.url}: the API did not answer the expected JSON (API v2 'studies')")
            return
        for study in studies:
            record = trial_record(study)
            if record["nct_id"]:
                self.crawler.stats.inc_value("hsctwatch/clinicaltrials/trials")
                yield self.trial_item(record)
        token = data.get("nextPageToken")
        if token and page < MAX_PAGES:
            yield self.page_request(token, page + 1)

    def trial_item(self, record: dict[str, Any]) -> Article:
        title = record["title"]
        if record["acronym"] and record["acronym"].lower() not in title.lower():
            title = f"{record['acronym']}: {title}"
        item = self.article_item(f"https://clinicaltrials.gov/study/{record['nct_id']}", {
            "guid": f"nct:{record['nct_id']}",
            "title": title,
            "content_html": trial_html(record),
            "published": record["first_posted"],
            "updated": record["last_update"],
            "author": record["sponsor"],
        })
        item["record_type"] = "trial"
        item["record"] = record
        return item


def trial_record(study: dict[str, Any]) -> dict[str, Any]:
    protocol = study.get("protocolSection", {})
    ident = protocol.get("identificationModule", {})
    status = protocol.get("statusModule", {})
    design = protocol.get("designModule", {})
    description = protocol.get("descriptionModule", {})
    sponsor = protocol.get("sponsorCollaboratorsModule", {}).get("leadSponsor", {})
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    return {
        "nct_id": ident.get("nctId", ""),
        "title": ident.get("briefTitle") or ident.get("officialTitle") or "",
        "acronym": ident.get("acronym", ""),
        "status": status.get("overallStatus", "UNKNOWN"),
        "has_results": bool(study.get("hasResults")),
        "phases": design.get("phases", []),
        "enrollment": (design.get("enrollmentInfo") or {}).get("count"),
        "summary": description.get("briefSummary", ""),
        "description": description.get("detailedDescription", ""),
        "sponsor": sponsor.get("name", ""),
        "first_posted": (status.get("studyFirstPostDateStruct") or {}).get("date"),
        "last_update": (status.get("lastUpdatePostDateStruct") or {}).get("date"),
        "locations": [
            {k: loc.get(k, "") for k in ("facility", "city", "country")} for loc in locations
        ],
    }


def trial_html(record: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    phases = ", ".join(p.replace("PHASE", "phase ").replace("NA", "not applicable") for p in record["phases"])
    facts = [f"Status: {STATUS_WORDS.get(record['status'], record['status'].lower())}"]
    if record["has_results"]:
        facts.append("results posted")
    if phases:
        facts.append(f"Phase: {phases}")
    if record["enrollment"]:
        facts.append(f"Enrolment: {record['enrollment']} participants")
    parts = [f"<p>{esc(record['summary'])}</p>"] if record["summary"] else []
    parts.append(f"<p>{esc('. '.join(facts))}. Trial {esc(record['nct_id'])}.</p>")
    if record["description"]:
        parts.append(f"<p>{esc(record['description'])}</p>")
    places = [", ".join(v for v in (loc["facility"], loc["city"], loc["country"]) if v)
              for loc in record["locations"]]
    if places:
        parts.append("<p>The trial is run at these sites: " + esc("; ".join(places)) + ".</p>")
    return "".join(parts)
