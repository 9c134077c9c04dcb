"""The review desk through Flask's test client: permissions, sign-in, CSRF, the queue, every
action on an item, the feeds following decisions, and hostile text shown inert."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hsctwatch.stories.models import Decision, Source, SourceRun, Story, User
from tests.desk import (
    BLOG,
    DIET,
    HOSTILE_URL,
    NEWS,
    OTHER,
    PASSWORD,
    Desk,
    Editor,
    desk_app,
    item_id,
    make_desk,
)


@pytest.fixture
def desk(tmp_path: Path, store_url: str) -> Desk:
    return make_desk(tmp_path, store_url)


@pytest.fixture
def editor(desk: Desk) -> Editor:
    ed = Editor(desk_app(desk))
    assert ed.login().status_code == 302
    return ed


def status_of(desk: Desk, url: str) -> str:
    with desk.store.session() as session:
        article = desk.store.get_article(session, url)
        assert article is not None
        return article.status


# -- permissions ------------------------------------------------------------------------------------


def test_anonymous_requests_are_refused_except_the_feeds(desk: Desk) -> None:
    anon = Editor(desk_app(desk))
    news = item_id(desk, NEWS)
    for path in ("/", "/?status=all", f"/item/{news}", "/sources", "/nowhere"):
        response = anon.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path
        assert "MIST" not in response.get_data(as_text=True)
    anon.get("/login")  # a valid CSRF token: refused for want of a login, not of a token
    for path, data in ((f"/item/{news}/status", {"status": "rejected"}),
                       (f"/item/{news}/tags", {"add": "ppms"}),
                       (f"/item/{news}/edit", {"title": "x"}),
                       (f"/item/{news}/merge", {"into": "2"}),
                       (f"/item/{news}/split", {"url": BLOG}),
                       ("/logout", {})):
        assert anon.post(path, data).status_code == 401, path
    assert status_of(desk, NEWS) == "new"
    for path in ("/feeds/", "/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"):
        assert anon.get(path).status_code == 200, path


def test_sign_in_sets_a_safe_session_cookie(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    response = ed.login(password="wrong password!")
    assert response.status_code == 401 and "Wrong name or password" in response.get_data(as_text=True)
    response = ed.login(name="nobody")
    assert response.status_code == 401
    response = ed.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert PASSWORD not in cookie and PASSWORD.replace(" ", "+") not in cookie
    assert ed.get("/").status_code == 200
    with desk.store.session() as session:
        user = session.get(User, "editor")
        assert user is not None and user.last_login is not None
        assert user.password_hash.startswith("$argon2id$")


def test_the_cookie_is_secure_over_https(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    ed.get("/login", base_url="https://desk.example.org")
    response = ed.client.post("/login", base_url="https://desk.example.org",
                              headers={"Referer": "https://desk.example.org/login"},
                              data={"name": "editor", "password": PASSWORD, "csrf_token": ed.token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_sign_in_goes_back_where_the_editor_was_going_but_never_off_site(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    ed.get("/login")
    response = ed.post("/login", {"name": "editor", "password": PASSWORD, "next": "/sources"})
    assert response.headers["Location"] == "/sources"
    ed = Editor(desk_app(desk))
    ed.get("/login")
    response = ed.post("/login", {"name": "editor", "password": PASSWORD,
                                  "next": "//evil.example.com/"})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(editor: Editor) -> None:
    assert editor.post("/logout").status_code == 302
    assert editor.get("/").status_code == 302


def test_removing_an_account_ends_its_sessions(desk: Desk, editor: Editor) -> None:
    from hsctwatch.web.users import remove_user

    assert editor.get("/").status_code == 200
    remove_user(desk.store, "editor")
    assert editor.get("/").status_code == 302


def test_login_attempts_are_rate_limited(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    codes = [ed.login(password=f"wrong password {n}").status_code for n in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # the right password does not get through while the name is locked out
    response = ed.login()
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)


def test_forms_without_a_valid_csrf_token_are_refused(desk: Desk, editor: Editor) -> None:
    news = item_id(desk, NEWS)
    response = editor.post(f"/item/{news}/status", {"status": "rejected"}, token=False)
    assert response.status_code == 400 and "did not come from this desk" in response.get_data(as_text=True)
    response = editor.post(f"/item/{news}/status", {"status": "rejected", "csrf_token": "forged"})
    assert response.status_code == 400
    other = Editor(editor.app)
    other.get("/login")  # another browser's token does not fit this session
    response = editor.post(f"/item/{news}/status", {"status": "rejected", "csrf_token": other.token})
    assert response.status_code == 400
    assert status_of(desk, NEWS) == "new"
    anon = Editor(desk_app(desk))
    assert anon.post("/login", {"name": "editor", "password": PASSWORD}, token=False).status_code == 400


# -- the queue ----------------------------------------------------------------------------------------


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="row-(\d+)"', html)


def test_the_queue_lists_new_items_newest_first_with_counts(desk: Desk, editor: Editor) -> None:
    html = editor.get("/").get_data(as_text=True)
    news, other, hostile = item_id(desk, NEWS), item_id(desk, OTHER), item_id(desk, HOSTILE_URL)
    # newest first: the MIST story (10 March), the hostile page (5 March), BEAT-MS (1 March)
    assert rows(html) == [str(news), str(hostile), str(other)]
    assert 'data-status="new">new <span class="count">3</span>' in html
    assert 'data-status="approved">approved <span class="count">0</span>' in html
    row = html[html.index(f'id="row-{news}"'):html.index(f'id="row-{hostile}"')]
    for shown in ("HSCT for MS: MIST at ten years", "news", "2026-03-10", '<span class="tag">mist</span>',
                  "0.90"):
        assert shown in row
    # the item the rules left out shows only when asked for
    diet = item_id(desk, DIET)
    assert str(diet) in rows(editor.get("/?status=new&irrelevant=1").get_data(as_text=True))


def test_the_queue_filters_by_status_tag_source_and_text(desk: Desk, editor: Editor) -> None:
    news, other = item_id(desk, NEWS), item_id(desk, OTHER)
    editor.post(f"/item/{other}/status", {"status": "approved"})
    assert rows(editor.get("/?status=approved").get_data(as_text=True)) == [str(other)]
    assert str(other) not in rows(editor.get("/").get_data(as_text=True))
    assert rows(editor.get("/?status=all&tag=mist").get_data(as_text=True)) == [str(news)]
    assert rows(editor.get("/?status=all&source=blog").get_data(as_text=True)) == [str(news)]
    assert rows(editor.get("/?status=all&q=enrolling").get_data(as_text=True)) == [str(other)]
    html = editor.get("/?status=all&q=enrolling").get_data(as_text=True)
    assert 'data-status="approved">approved <span class="count">1</span>' in html
    assert 'data-status="new">new <span class="count">0</span>' in html
    assert rows(editor.get("/?status=all&q=100%25").get_data(as_text=True)) == []  # % is literal


def test_the_queue_shows_each_item_s_language_and_filters_by_it(desk: Desk, editor: Editor) -> None:
    news, other = item_id(desk, NEWS), item_id(desk, OTHER)
    with desk.store.session() as session:  # as the extract stage would have told them
        for story in session.scalars(select(Story)):
            story.language = "es" if story.id == other else "en"
    html = editor.get("/?status=all").get_data(as_text=True)
    assert '<option value="es" >Spanish</option>' in html
    assert '<td class="lang" title="Spanish">es</td>' in html
    assert rows(editor.get("/?status=all&lang=es").get_data(as_text=True)) == [str(other)]
    assert str(news) in rows(editor.get("/?status=all&lang=en").get_data(as_text=True))
    item = editor.get(f"/item/{other}?lang=es").get_data(as_text=True)
    assert 'Language: <span lang="es">es</span>' in item  # no check stored: the code alone


# -- an item --------------------------------------------------------------------------------------------


def test_an_item_shows_excerpt_evidence_reasons_and_copies(desk: Desk, editor: Editor) -> None:
    news = item_id(desk, NEWS)
    html = editor.get(f"/item/{news}").get_data(as_text=True)
    assert "Most patients remain free of progression ten years on." in html
    assert re.search(r'<mark class="ev facet-trial" data-tag="mist"[^>]*>MIST trial</mark>', html)
    assert re.search(r'<mark class="ev facet-type" data-tag="research"[^>]*>scientists report</mark>', html)
    assert "HSCT in the headline" in html and "Why it is in" in html
    copies = html[html.index("Copies of this story"):html.index("Mark as duplicate")]
    assert re.search(rf'<strong>original</strong>\s*<a href="{re.escape(NEWS)}"', copies)
    assert re.search(rf'<strong>copy</strong>\s*<a href="{re.escape(BLOG)}"', copies)
    assert "Approve (a)" in html and "Reject (r)" in html


def test_approve_and_reject_are_recorded_and_rebuild_the_feeds(desk: Desk, editor: Editor) -> None:
    news, other = item_id(desk, NEWS), item_id(desk, OTHER)
    assert "HSCT for MS: MIST at ten years" in desk.feed_titles()
    response = editor.post(f"/item/{news}/status", {"status": "rejected", "next_id": str(other)})
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/item/{other}")
    editor.wait_for_feeds()
    assert "HSCT for MS: MIST at ten years" not in desk.feed_titles()
    editor.post(f"/item/{news}/status", {"status": "approved"})
    editor.wait_for_feeds()
    assert "HSCT for MS: MIST at ten years" in desk.feed_titles()
    editor.post(f"/item/{news}/status", {"status": "new"})
    with desk.store.session() as session:
        decisions = session.scalars(select(Decision).where(Decision.article_id == news)
                                    .order_by(Decision.id)).all()
        assert [(d.action, d.editor) for d in decisions] == [
            ("reject", "editor"), ("approve", "editor"), ("reopen", "editor")]
        assert all(d.at is not None for d in decisions)
    html = editor.get(f"/item/{news}").get_data(as_text=True)
    assert "reject by <strong>editor</strong>" in html


def test_approving_from_the_queue_keeps_the_place(desk: Desk, editor: Editor) -> None:
    hostile = item_id(desk, HOSTILE_URL)
    response = editor.post(f"/item/{hostile}/status",
                           {"status": "approved", "from": "queue", "qs": "status=new", "sel": "1"})
    assert response.headers["Location"] == "/?status=new&sel=1"
    assert status_of(desk, HOSTILE_URL) == "approved"


def test_tags_are_added_and_removed_and_the_feed_follows(desk: Desk, editor: Editor) -> None:
    news = item_id(desk, NEWS)
    editor.post(f"/item/{news}/tags", {"add": "ppms"})
    editor.post(f"/item/{news}/tags", {"remove": "mist"})
    editor.wait_for_feeds()
    entry = next(e for e in desk.feed().entries if e.title == "HSCT for MS: MIST at ten years")
    terms = {t.term for t in entry.tags}
    assert "ppms" in terms and "mist" not in terms
    html = editor.get(f"/item/{news}").get_data(as_text=True)
    assert "added by an editor" in html and "removed by an editor" in html
    response = editor.post(f"/item/{news}/tags", {"add": "no-such-tag"})
    assert response.status_code == 302
    assert "unknown tag" in editor.get(f"/item/{news}").get_data(as_text=True)


def test_edited_title_and_excerpt_are_what_the_feeds_show(desk: Desk, editor: Editor) -> None:
    news = item_id(desk, NEWS)
    editor.post(f"/item/{news}/edit", {"title": "MIST: ten years on, most still stable",
                                       "summary": "An editor's excerpt."})
    editor.wait_for_feeds()
    entry = next(e for e in desk.feed().entries if e.link == NEWS)
    assert entry.title == "MIST: ten years on, most still stable"
    assert "An editor's excerpt." in entry.summary
    # the queue shows the edited title; a later crawl's text update keeps it (it is stored apart)
    assert "MIST: ten years on, most still stable" in editor.get("/").get_data(as_text=True)
    editor.post(f"/item/{news}/edit", {"title": "", "summary": ""})
    editor.wait_for_feeds()
    assert any(e.title == "HSCT for MS: MIST at ten years" for e in desk.feed().entries)


def test_mark_as_duplicate_and_split_a_copy_off(desk: Desk, editor: Editor) -> None:
    news, other = item_id(desk, NEWS), item_id(desk, OTHER)
    assert len(desk.feed().entries) == 3
    response = editor.post(f"/item/{other}/merge", {"into": str(news)})
    assert response.headers["Location"].startswith(f"/item/{news}")
    editor.wait_for_feeds()
    assert len(desk.feed().entries) == 2  # one story now, linked to its earliest copy
    with desk.store.session() as session:
        assert session.get(Story, other) is None
        merged = session.get(Story, news)
        assert merged is not None and {c.url for c in merged.copies} == {NEWS, BLOG, OTHER}
    response = editor.post(f"/item/{news}/split", {"url": OTHER})
    new = int(response.headers["Location"].split("/item/")[1].split("?")[0])
    assert new != news
    editor.wait_for_feeds()
    assert len(desk.feed().entries) == 3
    editor.post(f"/item/{news}/merge", {"into": str(news)})
    assert "those are the same item" in editor.get(f"/item/{news}").get_data(as_text=True)


def test_sources_page_shows_each_sources_health(desk: Desk, editor: Editor) -> None:
    now = datetime.now(UTC)
    with desk.store.session() as session:
        session.merge(Source(name="news", kind="feed", last_run_at=now - timedelta(hours=2),
                             last_item_at=now - timedelta(days=3)))
        session.add(SourceRun(source="news", started_at=now - timedelta(hours=2), finished_at=now,
                              items=7, new=3, errors=1,
                              messages=["https://news.example.org/feed/: HTTP 500"]))
    html = editor.get("/sources").get_data(as_text=True)
    for name in ("news", "blog", "hostile"):
        assert f'data-source="{name}"' in html
    row = html[html.index('data-source="news"'):html.index('data-source="blog"')]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    assert cells[:9] == ["news", "feed", "yes", "2h ago", "7", "3", "1", "3", "3d ago"]
    assert "1 error(s) in the last run: https://news.example.org/feed/: HTTP 500" in row
    blog = html[html.index('data-source="blog"'):html.index('data-source="hostile"')]
    assert re.findall(r"<td[^>]*>(.*?)</td>", blog)[3] == "never"


def add_runs(desk: Desk, source: str, items: list[int], *, failed_at: int | None = None) -> None:
    """Finished runs of ``source``, one an hour, oldest first, finding ``items`` each."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with desk.store.session() as session:
        for i, found in enumerate(items):
            failed = i == failed_at
            session.add(SourceRun(source=source, started_at=start + timedelta(hours=i),
                                  finished_at=start + timedelta(hours=i, minutes=1), items=found,
                                  errors=1 if failed else 0,
                                  finish_reason="shutdown" if failed else "finished"))


def test_sources_page_draws_items_per_run_so_a_quiet_source_shows(desk: Desk, editor: Editor) -> None:
    add_runs(desk, "news", [8, 7, 9, 6, 0, 0, 0])  # gone quiet
    add_runs(desk, "blog", [3, 4, 3], failed_at=1)
    html = editor.get("/sources").get_data(as_text=True)
    assert "<script" not in html.split("<main>")[1]  # a picture, not a program
    news = html[html.index('data-source="news"'):html.index('data-source="blog"')]
    svg = re.search(r'<svg class="runs" role="img" aria-label="([^"]+)"[^>]*>(.*?)</svg>', news, re.DOTALL)
    assert svg is not None
    assert svg.group(1) == "news: items found in each of its last 7 runs, oldest first: 8, 7, 9, 6, 0, 0, 0"
    bars = re.findall(r'<rect class="(\w+)" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)">'
                      r"<title>([^<]+)</title>", svg.group(2))
    assert [b[0] for b in bars] == ["items"] * 4 + ["none"] * 3
    heights = [int(b[4]) for b in bars]
    assert heights[2] == 30 and heights[0] == round(8 / 9 * 30) and heights[3] == 20  # to scale
    assert heights[4:] == [2, 2, 2]  # a run that found nothing is still seen
    assert [int(b[1]) for b in bars] == sorted(int(b[1]) for b in bars)  # oldest on the left
    assert bars[-1][5] == "2026-03-01 06:01 UTC: 0 item(s)"
    assert "no items in the last 3 runs" in news  # the same sign in words
    blog = html[html.index('data-source="blog"'):html.index('data-source="hostile"')]
    assert re.findall(r'<rect class="(\w+)"', blog) == ["items", "failed", "items"]
    assert "2026-03-01 01:01 UTC: 4 item(s), 1 error(s), failed" in blog
    hostile = html[html.index('data-source="hostile"'):]
    assert "no runs yet" in hostile and "<svg" not in hostile


# -- publishing mode ------------------------------------------------------------------------------------


def test_approved_mode_publishes_only_what_an_editor_approved(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url, publish="approved")
    assert desk.feed().entries == []
    editor = Editor(desk_app(desk))
    editor.login()
    editor.post(f"/item/{item_id(desk, OTHER)}/status", {"status": "approved"})
    editor.post(f"/item/{item_id(desk, DIET)}/status", {"status": "approved"})  # a missed story
    editor.wait_for_feeds()
    assert desk.feed_titles() == ["BEAT-MS trial of HSCT for MS completes enrolment",
                                  "Mediterranean diet and MS fatigue"]


# -- hostile text ---------------------------------------------------------------------------------------


def test_hostile_title_and_text_are_inert(desk: Desk, editor: Editor) -> None:
    hostile = item_id(desk, HOSTILE_URL)
    with desk.store.session() as session:  # a link no crawler should let through, shown anyway
        article = session.get(Story, hostile)
        assert article is not None
        article.link = "javascript:alert(5)"
    for path in ("/", f"/item/{hostile}", "/?status=all&q=script"):
        response = editor.get(path)
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html and "<script>document" not in html, path
        assert "<img src=x" not in html and 'onmouseover="' not in html, path
        assert 'href="javascript:' not in html.lower(), path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = editor.get(f"/item/{hostile}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert '<a href="#" rel="noopener noreferrer nofollow"' in html
    # the evidence phrase that is itself markup is marked as text, not run
    assert re.search(r'<mark [^>]*data-tag="news"[^>]*>&lt;script&gt;document.title', html)


# -- the feeds ---------------------------------------------------------------------------------------------


def test_feeds_are_served_with_validators_304s_and_gzip(desk: Desk) -> None:
    anon = Editor(desk_app(desk)).client
    response = anon.get("/feeds/rss.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response.data == desk.feed_path.read_bytes()
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert anon.get("/feeds/rss.xml", headers={"If-None-Match": etag}).status_code == 304
    assert anon.get("/feeds/rss.xml", headers={"If-Modified-Since": modified}).status_code == 304
    zipped = anon.get("/feeds/rss.xml", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == desk.feed_path.read_bytes()
    assert zipped.headers["ETag"] != etag and "Accept-Encoding" in zipped.headers["Vary"]
    again = anon.get("/feeds/rss.xml", headers={"Accept-Encoding": "gzip",
                                                "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
    assert anon.get("/feeds/atom.xml").headers["Content-Type"].startswith("application/atom+xml")
    assert anon.get("/feeds/feed.json").headers["Content-Type"].startswith("application/feed+json")
    assert anon.get("/feeds/").headers["Content-Type"].startswith("text/html")
    assert anon.get("/feeds/tags/mist.xml").status_code == 200
    # the readable site beside the feeds: its pages, stylesheet and OPML, each as what it is
    page = anon.get("/feeds/tags/mist.html")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # nothing runs on the site
    assert anon.get("/feeds/site.css").headers["Content-Type"] == "text/css; charset=utf-8"
    assert anon.get("/feeds/feeds.opml").headers["Content-Type"] == "text/x-opml; charset=utf-8"
    for path in ("/feeds/../hsct-watch.toml", "/feeds/%2e%2e/store.db", "/feeds/nothing.xml"):
        assert anon.get(path).status_code == 404, path
