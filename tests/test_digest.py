"""The email digest against a real SMTP server on loopback (aiosmtpd): STARTTLS or TLS with a
certificate the client really checks, a password from the environment, one message per list
(HTML and plain text), and the store's record — nothing sent twice, nothing lost to a failed send."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.stories.review import set_status
from tests.desk import HOSTILE_URL, NEWS, OTHER, Desk, make_desk
from tests.test_pipeline_dedup_store import Pipeline

controller = pytest.importorskip("aiosmtpd.controller")
smtp_module = pytest.importorskip("aiosmtpd.smtp")
x509 = pytest.importorskip("cryptography.x509")

PASSWORD = "smtp secret"
READERS = ["reader@example.org", "Another Reader <other@example.net>"]


@dataclass
class Sink:
    """What the mail server took: (envelope sender, envelope recipients, the parsed message)."""

    mail: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse_data: str = ""  # an SMTP reply to give instead of accepting the message
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mail.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (data.login, data.password))
        self.logins.append((login, password))
        ok = (login, password) == ("hsct", PASSWORD)
        return smtp_module.AuthResult(success=ok, handled=False)  # handled=False: the server says 535


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, which the tests make the client trust."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The client trusts the test certificate the ordinary way: OpenSSL's SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("HSCT_WATCH_SMTP_PASSWORD", PASSWORD)


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[tuple[Sink, int]]:
    """An SMTP server that requires STARTTLS and a login."""
    sink = Sink()
    port = free_port()
    server = controller.Controller(sink, hostname="127.0.0.1", port=port,
                                   tls_context=server_context(certificate), require_starttls=True,
                                   authenticator=sink.authenticate, auth_required=True)
    server.start()
    try:
        yield sink, port
    finally:
        server.stop()


def with_digest(desk: Desk, port: int, *, security: str = "starttls", login: bool = True,
                extra: str = "") -> None:
    path = desk.root / "hsct-watch.toml"
    auth = 'user = "hsct"\npassword_env = "HSCT_WATCH_SMTP_PASSWORD"\n' if login else ""
    table = (f'[digest]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n{auth}'
             'from = "HSCT for MS <digest@example.org>"\n'
             f'to = {READERS!r}\n'.replace("'", '"') + extra +
             '[digest.tags]\nmist = ["mist-list@example.org"]\n\n')
    text = path.read_text(encoding="utf-8")
    if "[digest]" in text:  # a new [digest] table in place of the old one
        text = text[:text.index("[digest]")] + text[text.index("[[sources]]"):]
    path.write_text(text.replace("[[sources]]", table + "[[sources]]", 1), encoding="utf-8")


def digest(desk: Desk, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(desk.root / "hsct-watch.toml"), "digest", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


@pytest.mark.usefixtures("trusted")
def test_each_list_gets_its_stories_grouped_by_type_over_starttls(tmp_path: Path,
                                                                 smtp: tuple[Sink, int],
                                                                 store_url: str) -> None:
    sink, port = smtp
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    code, output = digest(desk)
    assert code == 0, output
    assert output.splitlines() == ["all: sent 3 stories to 2 recipient(s)",
                                   "tag:mist: sent 1 story to 1 recipient(s)"]
    assert sink.logins == [("hsct", PASSWORD)]  # one connection, signed in once
    (sender, everyone, message), (_, mist, mist_message) = sink.mail
    assert sender == "digest@example.org"
    assert everyone == ["reader@example.org", "other@example.net"]
    assert message["To"] == "undisclosed-recipients:;"  # readers do not see each other's addresses
    assert message["Subject"] == "HSCT for MS: 3 new stories"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = parts(message)
    # grouped by type, in the vocabulary's order; a story without a type comes last
    assert plain.index("RESEARCH") < plain.index("NEWS") < plain.index("OTHER STORIES")
    assert plain.index("MIST at ten years") < plain.index("NEWS") < plain.index("completes enrolment")
    assert f"Read it: {NEWS}" in plain and "Also published at: blog <https://blog.example.net/" in plain
    assert "Tags: Research, MIST trial" in plain  # the type first, as on the site
    assert f'<a href="{NEWS}"' in html and ">Research</h2>" in html
    assert "<script" not in html.lower() and "onmouseover" not in html and "<img" not in html
    assert "&lt;b onmouseover" not in html  # the hostile summary was made text before escaping
    assert mist == ["mist-list@example.org"] and mist_message["To"] == "mist-list@example.org"
    assert mist_message["Subject"] == "HSCT for MS: 1 new story — MIST trial"
    assert "BEAT-MS" not in parts(mist_message)[0]

    # nothing new: no mail at all; a new story: only that one
    assert digest(desk) == (0, "all: nothing new since the last digest\n"
                               "tag:mist: nothing new since the last digest\n")
    assert digest(desk, "--quiet") == (0, "")  # for cron: silent unless a list failed
    assert len(sink.mail) == 2
    Pipeline(desk.store)(url="https://news.example.org/2026/04/01/hsct-ms-costs/",
                         title="What aHSCT for MS costs abroad", text="Autologous HSCT for MS abroad. " * 20,
                         published=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
                         tags=[{"facet": "type", "slug": "news", "evidence": []}])
    assert digest(desk)[1].splitlines()[0] == "all: sent 1 story to 2 recipient(s)"
    assert "What aHSCT for MS costs abroad" in parts(sink.mail[-1][2])[0]
    assert "MIST at ten years" not in parts(sink.mail[-1][2])[0]


@pytest.mark.usefixtures("trusted")
def test_a_failed_send_keeps_the_stories_for_the_next_digest(tmp_path: Path,
                                                             smtp: tuple[Sink, int], store_url: str) -> None:
    sink, port = smtp
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    sink.refuse_data = "554 5.7.1 Message rejected for policy reasons"
    code, output = digest(desk)
    assert code == 1 and digest(desk, "--quiet")[1].startswith("! all: not sent")
    assert output.splitlines()[0] == ("! all: not sent (the mail server said 554 5.7.1 Message rejected "
                                      "for policy reasons); its 3 stories wait for the next digest")
    sink.refuse_data = ""
    code, output = digest(desk)
    assert code == 0 and output.splitlines()[0] == "all: sent 3 stories to 2 recipient(s)"
    assert digest(desk)[0] == 0 and len(sink.mail) == 2  # and never again


def test_a_mail_server_that_is_down_is_one_line_per_list(tmp_path: Path, smtp: tuple[Sink, int],
                                                         trusted: None, store_url: str) -> None:
    sink, port = smtp
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, free_port())
    code, output = digest(desk)
    assert code == 1 and output.splitlines() == [
        "! all: not sent (cannot reach the mail server: Connection refused); its 3 stories wait "
        "for the next digest",
        "! tag:mist: not sent (cannot reach the mail server: Connection refused); its 1 story waits "
        "for the next digest"]
    with_digest(desk, port)  # the operator fixes the port: everything goes out, once
    code, output = digest(desk)
    assert code == 0 and output.splitlines() == ["all: sent 3 stories to 2 recipient(s)",
                                                 "tag:mist: sent 1 story to 1 recipient(s)"]
    assert len(sink.mail) == 2


def test_the_password_stays_out_of_the_config_and_a_wrong_one_fails(tmp_path: Path, smtp: tuple[Sink, int],
                                                                    certificate: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    store_url: str) -> None:
    sink, port = smtp
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    monkeypatch.delenv("HSCT_WATCH_SMTP_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["--config", str(desk.root / "hsct-watch.toml"), "digest"])
    assert result.exit_code == 2
    assert result.output.strip() == ("hsct-watch: the SMTP password is not set: put it in the environment "
                                     "variable HSCT_WATCH_SMTP_PASSWORD ([digest] password_env)")
    monkeypatch.setenv("HSCT_WATCH_SMTP_PASSWORD", "wrong")
    code, output = digest(desk)
    assert code == 1 and output.startswith("! all: not sent (the mail server said 535 ")
    assert sink.mail == []


def test_an_untrusted_certificate_is_refused(tmp_path: Path, smtp: tuple[Sink, int],
                                             monkeypatch: pytest.MonkeyPatch, store_url: str) -> None:
    sink, port = smtp
    monkeypatch.setenv("HSCT_WATCH_SMTP_PASSWORD", PASSWORD)
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    code, output = digest(desk)
    assert code == 1 and output.startswith("! all: not sent (TLS failed: CERTIFICATE_VERIFY_FAILED)")
    assert sink.mail == [] and sink.logins == []  # the password never left


@pytest.mark.usefixtures("trusted")
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd misses implicit TLS
def test_implicit_tls(tmp_path: Path, certificate: tuple[Path, Path], store_url: str) -> None:
    sink = Sink()
    port = free_port()
    server = controller.Controller(sink, hostname="127.0.0.1", port=port,
                                   ssl_context=server_context(certificate), authenticator=sink.authenticate,
                                   auth_required=True, auth_require_tls=False)  # its TLS is implicit
    server.start()
    try:
        desk = make_desk(tmp_path, store_url)
        with_digest(desk, port, security="ssl")
        code, output = digest(desk)
    finally:
        server.stop()
    assert code == 0, output
    assert len(sink.mail) == 2 and sink.logins == [("hsct", PASSWORD)]


@pytest.mark.usefixtures("trusted")
def test_dry_run_prints_the_digest_and_records_nothing(tmp_path: Path, smtp: tuple[Sink, int],
                                                       store_url: str) -> None:
    sink, port = smtp
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    code, output = digest(desk, "--dry-run")
    assert code == 0
    assert "=== all → reader@example.org, Another Reader <other@example.net> (dry run" in output
    assert "Subject: HSCT for MS: 3 new stories" in output and "RESEARCH" in output
    assert "Subject: HSCT for MS: 1 new story — MIST trial" in output
    assert sink.mail == []
    assert digest(desk)[1].splitlines()[0] == "all: sent 3 stories to 2 recipient(s)"


@pytest.mark.usefixtures("trusted")
def test_a_story_published_after_the_last_digest_is_sent_next(tmp_path: Path,
                                                               smtp: tuple[Sink, int],
                                                               store_url: str) -> None:
    """"Since the last digest" means since the list last had mail, not by the article's date:
    a story an editor publishes later is sent at the next digest."""
    sink, port = smtp
    desk = make_desk(tmp_path, store_url)
    with_digest(desk, port)
    set_status(desk.store, [HOSTILE_URL], "rejected", editor="test")
    assert digest(desk)[1].splitlines()[0] == "all: sent 2 stories to 2 recipient(s)"
    set_status(desk.store, [HOSTILE_URL], "approved", editor="test")
    set_status(desk.store, [OTHER], "approved", editor="test")  # already sent: not again
    assert digest(desk)[1].splitlines()[0] == "all: sent 1 story to 2 recipient(s)"
    plain = parts(sink.mail[-1][2])[0]
    assert "hostile" in plain and "BEAT-MS" not in plain


def test_no_digest_table_is_one_line(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url)
    result = CliRunner().invoke(cli, ["--config", str(desk.root / "hsct-watch.toml"), "digest"])
    assert result.exit_code == 2
    assert result.output.startswith("hsct-watch: no [digest] table in the config")
