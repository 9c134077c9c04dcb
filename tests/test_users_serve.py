"""`hsct-watch users` and `hsct-watch serve` as an operator runs them: real prompts, a real server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.stories.models import User, open_store

CONFIG = '[store]\nurl = "{store_url}"\n[feeds]\nout = "public"\n'


def hw(config: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=input)
    return result.exit_code, result.output


def test_users_add_list_passwd_remove(tmp_path: Path, store_url: str) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text(CONFIG.format(store_url=store_url), encoding="utf-8")
    code, out = hw(config, "users", "list")
    assert code == 0 and "No accounts" in out
    # the password is asked twice, hidden; a mismatch asks again
    code, out = hw(config, "users", "add", "editor",
                   input="first password 1\nsecond password\nfirst password 1\nfirst password 1\n")
    assert code == 0 and "Added editor" in out and "do not match" in out
    assert "first password 1" not in out
    store = open_store(store_url)
    with store.session() as session:
        user = session.get(User, "editor")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert "first password" not in user.password_hash
    code, out = hw(config, "users", "add", "editor", "--password-stdin", input="another password\n")
    assert code == 2 and "already exists" in out
    code, out = hw(config, "users", "add", "shorty", "--password-stdin", input="short\n")
    assert code == 2 and "at least 10 characters" in out
    code, out = hw(config, "users", "add", "bad name!", "--password-stdin", input="long enough pw\n")
    assert code == 2 and "not a usable name" in out
    code, out = hw(config, "users", "list")
    assert code == 0 and re.search(r"editor\s+\d{4}-\d\d-\d\d\s+never", out)
    code, out = hw(config, "users", "passwd", "editor", "--password-stdin", input="a new password\n")
    assert code == 0
    from hsctwatch.web.users import authenticate

    assert authenticate(store, "editor", "a new password") and not authenticate(store, "editor",
                                                                                "first password 1")
    code, out = hw(config, "users", "remove", "editor")
    assert code == 0 and "Removed editor" in out
    code, out = hw(config, "users", "remove", "editor")
    assert code == 2 and "no user" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_binds_to_loopback_serves_feeds_and_asks_for_a_login(tmp_path: Path, store_url: str) -> None:
    config = tmp_path / "hsct-watch.toml"
    config.write_text(CONFIG.format(store_url=store_url), encoding="utf-8")
    hw(config, "feeds")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hsctwatch", "--config", str(config), "serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/feeds/rss.xml", timeout=2) as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
                    assert response.headers["ETag"] and response.headers["Last-Modified"]
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            raise AssertionError("the desk did not start: " + proc.stderr.read() if proc.stderr else "")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(f"{base}/", timeout=5)
            raise AssertionError("the queue was served without a login")
        except urllib.error.HTTPError as exc:
            assert exc.code == 302 and exc.headers["Location"].startswith("/login")
        # bound to loopback only: another local address is refused
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.2", port)) != 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "No editor accounts yet" in err


class _Browser:
    """A client of the desk behind a (pretend) reverse proxy: every request carries the proxy's
    X-Forwarded-For/-Proto, as nginx sends them; the session cookie is kept by hand (it is
    Secure, and this speaks plain HTTP to the desk, as the proxy does)."""

    def __init__(self, port: int, client_address: str):
        self.port = port
        self.forwarded = {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"}
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                referer: str | None = None) -> tuple[int, dict[str, str], str]:
        import http.client
        from urllib.parse import urlencode

        headers = dict(self.forwarded)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if referer is not None:
            headers["Referer"] = referer
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        found = dict(response.getheaders())
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("hsct_watch_session="):
                self.cookie = value.split(";", 1)[0]
                found["Set-Cookie"] = value
        connection.close()
        token = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if token:
            self.token = token.group(1)
        return response.status, found, text

    def sign_in(self, name: str, password: str, referer: str | None = None) -> tuple[int, dict[str, str]]:
        if not self.token:
            self.request("GET", "/login")
        origin = f"https://127.0.0.1:{self.port}/login"
        status, headers, _ = self.request("POST", "/login", {"name": name, "password": password,
                                                             "csrf_token": self.token},
                                          referer=origin if referer is None else referer)
        return status, headers


def test_behind_a_proxy_the_desk_sees_the_client_and_https(tmp_path: Path, store_url: str) -> None:
    """`hsct-watch serve` with behind_proxy = true, on a real waitress server on loopback."""
    config = tmp_path / "hsct-watch.toml"
    config.write_text(CONFIG.format(store_url=store_url)
                      + '[serve]\nbehind_proxy = true\ntrusted_proxy = "127.0.0.1"\n', encoding="utf-8")
    code, _ = hw(config, "users", "add", "editor", "--password-stdin", input="a long editor password\n")
    assert code == 0
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hsctwatch", "--config", str(config), "serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        # HTTPS at the proxy: a sign-in from another site's page is refused (strict Referer check)
        status, _ = _Browser(port, "203.0.113.5").sign_in("editor", "a long editor password",
                                                          referer="https://evil.example/login")
        assert status == 400
        # ... and the session cookie is Secure
        status, headers = _Browser(port, "203.0.113.5").sign_in("editor", "a long editor password")
        assert status == 302 and "Secure" in headers["Set-Cookie"]
        # ten failed tries from one client lock that client out, not everyone
        attacker = _Browser(port, "198.51.100.66")
        codes = [attacker.sign_in(f"guess{n}", "wrong password!")[0] for n in range(11)]
        assert codes == [401] * 10 + [429]
        status, _ = _Browser(port, "203.0.113.9").sign_in("editor", "a long editor password")
        assert status == 302
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
