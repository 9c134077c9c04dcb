"""The desk as an attacker tries it: sign-in never leads off-site, a session ends on the server
when the editor signs out or the password changes, absurd numbers are a 404 and not a 500, and
/feeds/ serves feed files only — never the desk's key, the store, the config or a temp file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsctwatch.web.users import add_user
from tests.desk import NEWS, PASSWORD, Desk, Editor, desk_app, item_id, make_desk

COOKIE = "hsct_watch_session"


@pytest.fixture
def desk(tmp_path: Path, store_url: str) -> Desk:
    return make_desk(tmp_path, store_url)


# -- where sign-in leads ------------------------------------------------------------------------


OFF_SITE = ["/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/\r\n/evil.example",
            "/\\evil.example", "/\\/evil.example", "//evil.example", "/ /evil.example",
            "https://evil.example/", "/\x00/evil.example", "/\x0b/evil.example", "\t//evil.example",
            "/sources\r\nSet-Cookie: x=1"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_leads_off_site(desk: Desk, target: str) -> None:
    from urllib.parse import unquote

    ed = Editor(desk_app(desk))
    ed.get("/login")
    response = ed.post("/login", {"name": "editor", "password": PASSWORD, "next": unquote(target)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_next_of_the_login_page_is_read_from_the_query_too(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    page = ed.get("/login?next=/%09/evil.example")
    assert page.status_code == 200 and "evil.example" not in page.get_data(as_text=True)
    assert ed.get("/login?next=/sources%0d%0aX:%201").status_code == 200  # not a 500
    ed.get("/login")
    assert ed.post("/login", {"name": "editor", "password": PASSWORD,
                              "next": "/sources?status=all"}).headers["Location"] == "/sources?status=all"


# -- sessions end on the server -------------------------------------------------------------------


def signed_in(desk: Desk) -> tuple[Editor, str]:
    ed = Editor(desk_app(desk))
    assert ed.login().status_code == 302
    cookie = ed.client.get_cookie(COOKIE)
    assert cookie is not None and ed.get("/").status_code == 200
    return ed, cookie.value


def replay(desk: Desk, cookie: str) -> int:
    """A request with a copy of the cookie, from somewhere else."""
    client = desk_app(desk).test_client()
    client.set_cookie(COOKIE, cookie)
    return int(client.get("/").status_code)


def test_a_cookie_replayed_after_signing_out_is_refused(desk: Desk) -> None:
    ed, cookie = signed_in(desk)
    assert replay(desk, cookie) == 200
    assert ed.post("/logout").status_code == 302
    assert replay(desk, cookie) == 302  # to the login page


def test_a_new_password_ends_every_session(desk: Desk) -> None:
    _, first = signed_in(desk)
    _, second = signed_in(desk)
    add_user(desk.store, "editor", "a brand new password", replace=True)
    assert replay(desk, first) == 302 and replay(desk, second) == 302


def test_signing_out_ends_only_that_session(desk: Desk) -> None:
    ed, cookie = signed_in(desk)
    _, other = signed_in(desk)
    ed.post("/logout")
    assert replay(desk, cookie) == 302 and replay(desk, other) == 200


def test_a_session_older_than_session_hours_has_ended(desk: Desk) -> None:
    from datetime import timedelta

    from hsctwatch.stories.models import DeskSession

    _, cookie = signed_in(desk)
    with desk.store.session() as session:
        for row in session.query(DeskSession):
            row.created_at -= timedelta(hours=desk.config.serve.session_hours, minutes=1)
    assert replay(desk, cookie) == 302


# -- absurd numbers -----------------------------------------------------------------------------


HUGE = "9" * 30


def test_huge_numbers_are_not_found(desk: Desk) -> None:
    ed = Editor(desk_app(desk))
    ed.login()
    for path in (f"/item/{HUGE}", f"/item/{2**63}", f"/?page={HUGE}", f"/?page={2**62}"):
        assert ed.get(path).status_code == 404, path
    assert ed.get(f"/?sel={HUGE}").status_code == 200
    news = item_id(desk, NEWS)
    assert ed.post(f"/item/{HUGE}/status", {"status": "approved"}).status_code == 404
    response = ed.post(f"/item/{news}/merge", {"into": HUGE})
    assert response.status_code == 302  # back to the item, with a message
    assert "no item" in ed.get(f"/item/{news}").get_data(as_text=True).lower()
    response = ed.post(f"/item/{news}/status", {"status": "approved", "next_id": HUGE})
    assert response.status_code in (302, 404)


# -- /feeds/ --------------------------------------------------------------------------------------


def test_the_feed_folder_serves_feed_files_only(desk: Desk) -> None:
    out = desk.config.feeds_dir
    secrets = {".hsct-watch-secret": "k3y", "hsct-watch.toml": "[store]", "hsct-watch.db": "SQLite",
               "store.db": "SQLite", "hsct-watch.log": "log", ".rss.xml.Xy12.tmp": "<rss>half",
               "notes.txt": "private", ".htpasswd": "x:y", "tags/.research.xml.Ab3.tmp": "<rss>",
               "backup.xml.bak": "<rss>", "RSS.XML": "<rss>", "tags/sub/deep.xml": "<rss>"}
    for name, text in secrets.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    (out / "lang").mkdir(exist_ok=True)  # the build makes it when a language is in use
    (out / "lang" / "en.xml").write_bytes((out / "rss.xml").read_bytes())
    (out / "feeds.opml").write_text("<opml/>")
    (out / "about.html").write_text("<p>about</p>")
    (out / "tags" / "mist.html").write_text("<p>MIST</p>")  # the readable site's pages
    (out / "site.css").write_text("body{}")
    anon = desk_app(desk).test_client()
    for name in secrets:
        assert anon.get(f"/feeds/{name}").status_code == 404, name
    for path in ("/feeds/../hsct-watch.toml", "/feeds/..%2fhsct-watch.toml", "/feeds/%2e%2e/store.db",
                 "/feeds/./.hsct-watch-secret", "/feeds/tags/../.hsct-watch-secret"):
        assert anon.get(path).status_code == 404, path
    for name in ("rss.xml", "atom.xml", "feed.json", "index.html", "tags/mist.xml", "lang/en.xml",
                 "feeds.opml", "about.html", "tags/mist.html", "site.css"):
        assert anon.get(f"/feeds/{name}").status_code == 200, name
    assert anon.get("/feeds/").status_code == 200
