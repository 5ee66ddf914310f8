"""ClosuresFeed against a real HTTP server on 127.0.0.1 (and local files)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.knowledge.feed import META_NAME, STATE_SUBDIR, ClosuresFeed, Snapshot, redact_url

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "knowledge" / "closures-demo.geojson"
DATEX = ROOT / "tests" / "data" / "mobidata_bw_datex2_situation_1487640.xml"
DEMO_BYTES = DEMO.read_bytes()
ETAG = '"demo-v1"'
LAST_MODIFIED = "Mon, 23 Nov 2026 08:00:00 GMT"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Behaviour = Callable[[dict[str, str]], Reply]


class FeedServer:
    """A programmable HTTP server: ``behaviour`` maps request headers to a reply."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.behaviour: Behaviour = lambda headers: Reply(404)
        self.got_request = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k: v for k, v in self.headers.items()}
                server.requests.append(headers)
                server.got_request.set()
                reply = server.behaviour(headers)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.status != 304:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/closures.geojson"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_feed(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., ClosuresFeed]]:
    feeds: list[ClosuresFeed] = []

    def make(url: str, **kwargs: object) -> ClosuresFeed:
        options: dict[str, object] = {
            "ttl": 60,
            "timeout": 0.3,
            "retries": 2,
            "backoff": 0.01,
            "clock": clock,
        }
        options.update(kwargs)
        state_dir = options.pop("state_dir", tmp_path / "state")
        feed = ClosuresFeed(url, state_dir, **options)  # type: ignore[arg-type]
        feeds.append(feed)
        return feed

    yield make
    for feed in feeds:
        feed.close()


def ok(body: bytes = DEMO_BYTES, **headers: str) -> Behaviour:
    return lambda _headers: Reply(200, body, {"Content-Type": "application/geo+json", **headers})


def conditional(body: bytes = DEMO_BYTES) -> Behaviour:
    """200 with ETag and Last-Modified; 304 when the client sends the matching validator."""

    def behaviour(headers: dict[str, str]) -> Reply:
        if headers.get("If-None-Match") == ETAG:
            return Reply(304, headers={"ETag": ETAG})
        return Reply(
            200,
            body,
            {"Content-Type": "application/geo+json", "ETag": ETAG, "Last-Modified": LAST_MODIFIED},
        )

    return behaviour


def ids(snapshot: Snapshot | None) -> list[str]:
    assert snapshot is not None
    return [c.id for c in snapshot.closures]


DEMO_IDS = [f"90{n:02d}" for n in range(1, 13)]


# --------------------------------------------------------------------------- HTTP


def test_200_then_304_keeps_data_and_updates_fetched_at(server, make_feed, clock) -> None:
    server.serve(conditional())
    feed = make_feed(server.url)
    first = feed.snapshot()
    assert ids(first) == DEMO_IDS
    assert first is not None and not first.stale and first.skipped == 0
    assert first.fetched_at == clock.now
    assert str(first.fetched_at.tzinfo) == "Europe/Berlin"
    assert f"{first.fetched_at:%d.%m.%Y, %H:%M}" == "23.11.2026, 10:00"
    assert "If-None-Match" not in server.requests[0]

    clock.advance(61)
    second = feed.snapshot()
    assert len(server.requests) == 2
    assert server.requests[1]["If-None-Match"] == ETAG
    assert server.requests[1]["If-Modified-Since"] == LAST_MODIFIED
    assert second is not None and not second.stale
    assert second.closures == first.closures
    assert second.fetched_at == clock.now == first.fetched_at + timedelta(seconds=61)
    # the 304 is persisted too: a new process sees the new fetched_at
    meta = json.loads((feed_state(feed) / META_NAME).read_text())
    assert datetime.fromisoformat(meta["fetched_at"]) == clock.now
    assert meta["etag"] == ETAG


def feed_state(feed: ClosuresFeed) -> Path:
    return feed._dir  # the state directory of this feed


def test_last_modified_only(server, make_feed, clock) -> None:
    def behaviour(headers: dict[str, str]) -> Reply:
        if headers.get("If-Modified-Since") == LAST_MODIFIED:
            return Reply(304)
        return Reply(200, DEMO_BYTES, {"Last-Modified": LAST_MODIFIED})

    server.serve(behaviour)
    feed = make_feed(server.url)
    assert ids(feed.snapshot()) == DEMO_IDS
    clock.advance(120)
    snap = feed.refresh()
    assert "If-None-Match" not in server.requests[1]
    assert server.requests[1]["If-Modified-Since"] == LAST_MODIFIED
    assert snap is not None and snap.fetched_at == clock.now and not snap.stale
    assert ids(snap) == DEMO_IDS


def test_changed_document_replaces_snapshot(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url)
    assert len(ids(feed.snapshot())) == 12
    server.serve(ok(DATEX.read_bytes(), **{"Content-Type": "application/xml"}))
    clock.advance(60)
    assert ids(feed.snapshot()) == ["1487640"]
    assert len(list(feed_state(feed).glob("last_good-*.body"))) == 1


def test_ttl_serves_from_memory(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url, ttl=60)
    first = feed.snapshot()
    clock.advance(59)
    assert feed.snapshot() is first
    assert feed.snapshot() is first
    assert len(server.requests) == 1
    clock.advance(1)
    feed.snapshot()
    assert len(server.requests) == 2


def test_timeout_serves_stale_last_good(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url, timeout=0.2)
    good = feed.snapshot()
    assert good is not None

    server.serve(lambda _h: Reply(200, DEMO_BYTES, delay=0.6))
    clock.advance(61)
    started = time.monotonic()
    stale = feed.snapshot()
    elapsed = time.monotonic() - started
    assert stale is not None and stale.stale
    assert stale.closures == good.closures
    assert stale.fetched_at == good.fetched_at
    assert len(server.requests) == 2  # a read timeout is not retried
    assert elapsed < 0.55


def test_500_is_retried_then_stale(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url, retries=2)
    good = feed.snapshot()
    assert good is not None

    server.serve(lambda _h: Reply(500, b"oops"))
    clock.advance(61)
    snap = feed.snapshot()
    assert len(server.requests) == 1 + 3  # first fetch + 1 attempt + 2 retries
    assert snap is not None and snap.stale and snap.fetched_at == good.fetched_at
    # no further attempt until the TTL has passed again
    clock.advance(30)
    assert feed.snapshot() is snap
    assert len(server.requests) == 4
    # recovery clears the stale flag
    server.serve(ok())
    clock.advance(31)
    fresh = feed.snapshot()
    assert fresh is not None and not fresh.stale and fresh.fetched_at == clock.now


def test_503_then_success_within_retries(server, make_feed) -> None:
    calls = []

    def flaky(_headers: dict[str, str]) -> Reply:
        calls.append(1)
        return Reply(503) if len(calls) < 3 else Reply(200, DEMO_BYTES)

    server.serve(flaky)
    snap = make_feed(server.url, retries=2).snapshot()
    assert ids(snap) == DEMO_IDS and len(server.requests) == 3


def test_404_is_not_retried(server, make_feed) -> None:
    server.serve(lambda _h: Reply(404, b"not found"))
    assert make_feed(server.url, retries=2).snapshot() is None
    assert len(server.requests) == 1


def test_connection_refused_is_retried(make_feed, tmp_path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    feed = make_feed(f"http://127.0.0.1:{port}/feed.json", retries=2)
    sleeps: list[float] = []
    feed._sleep = sleeps.append  # count the backoff instead of sleeping
    assert feed.snapshot() is None
    assert sleeps == [0.01, 0.02]


def test_malformed_json_keeps_last_good(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url)
    good = feed.snapshot()
    assert good is not None
    body_files = sorted(p.name for p in feed_state(feed).glob("last_good-*.body"))

    server.serve(ok(b'{"type": "FeatureCollection", "features": [ {"id": '))
    clock.advance(61)
    snap = feed.snapshot()
    assert snap is not None and snap.stale and snap.closures == good.closures
    # the broken document was not stored
    assert sorted(p.name for p in feed_state(feed).glob("last_good-*.body")) == body_files
    assert (feed_state(feed) / body_files[0]).read_bytes() == DEMO_BYTES


def test_all_entries_malformed_counts_as_malformed(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url)
    good = feed.snapshot()
    broken = {"type": "FeatureCollection", "features": [{"properties": {"id": "1"}}]}
    server.serve(ok(json.dumps(broken).encode()))
    clock.advance(61)
    snap = feed.snapshot()
    assert snap is not None and snap.stale and snap.closures == good.closures


def test_unexpected_error_keeps_last_good(server, make_feed, clock, monkeypatch) -> None:
    server.serve(ok())
    feed = make_feed(server.url)
    good = feed.snapshot()

    def explode(raw: bytes, content_type: str | None = None) -> None:
        raise RuntimeError("parser bug")

    monkeypatch.setattr("bot.knowledge.feed.parse_feed", explode)
    clock.advance(61)
    snap = feed.snapshot()
    assert snap is not None and snap.stale and snap.closures == good.closures


def test_skipped_entries_are_counted(server, make_feed) -> None:
    doc = json.loads(DEMO_BYTES)
    doc["features"][0]["properties"]["street"] = None
    server.serve(ok(json.dumps(doc).encode()))
    snap = make_feed(server.url).snapshot()
    assert snap is not None and snap.skipped == 1 and len(snap.closures) == 11


def test_nothing_ever_is_none(server, make_feed, clock) -> None:
    server.serve(lambda _h: Reply(500))
    feed = make_feed(server.url, retries=0)
    assert feed.snapshot() is None
    assert feed.snapshot() is None  # within TTL: no new attempt
    assert len(server.requests) == 1
    clock.advance(61)
    assert feed.snapshot() is None
    assert len(server.requests) == 2


def test_restart_during_outage_serves_persisted_snapshot(
    server, make_feed, clock, tmp_path
) -> None:
    server.serve(conditional())
    state = tmp_path / "shared-state"
    first = make_feed(server.url, state_dir=state).snapshot()
    assert first is not None
    original_fetched_at = first.fetched_at

    server.serve(lambda _h: Reply(502))
    clock.advance(3600)
    restarted = make_feed(server.url, state_dir=state)
    snap = restarted.snapshot()
    assert snap is not None and snap.stale
    assert snap.fetched_at == original_fetched_at
    assert str(snap.fetched_at.tzinfo) == "Europe/Berlin"
    assert snap.closures == first.closures
    # the restarted process still sends the persisted validators
    assert server.requests[-1]["If-None-Match"] == ETAG

    # within the TTL of the persisted data, a new process does not ask at all
    clock.advance(-3600 + 10)
    count = len(server.requests)
    again = make_feed(server.url, state_dir=state).snapshot()
    assert again is not None and not again.stale and len(server.requests) == count


def test_restart_then_304_uses_persisted_document(server, make_feed, clock, tmp_path) -> None:
    server.serve(conditional())
    state = tmp_path / "state304"
    make_feed(server.url, state_dir=state).snapshot()
    clock.advance(600)
    snap = make_feed(server.url, state_dir=state).snapshot()
    assert [r.get("If-None-Match") for r in server.requests] == [None, ETAG]
    assert snap is not None and not snap.stale and snap.fetched_at == clock.now
    assert ids(snap) == DEMO_IDS


def test_persisted_state_is_ignored_when_corrupt_or_for_another_url(
    server, make_feed, clock, tmp_path
) -> None:
    server.serve(ok())
    state = tmp_path / "state-corrupt"
    make_feed(server.url, state_dir=state).snapshot()
    meta_path = state / STATE_SUBDIR / META_NAME
    meta = json.loads(meta_path.read_text())
    assert set(meta) >= {"etag", "last_modified", "fetched_at", "body", "sha256"}
    assert "127.0.0.1" not in meta_path.read_text()  # no URL in the state

    server.serve(lambda _h: Reply(500))
    clock.advance(3600)
    assert make_feed(server.url + "?other=1", state_dir=state, retries=0).snapshot() is not None
    assert (
        make_feed(server.url.replace(".geojson", ".json"), state_dir=state, retries=0).snapshot()
        is None
    )

    (state / STATE_SUBDIR / meta["body"]).write_bytes(b"tampered")
    assert make_feed(server.url, state_dir=state, retries=0).snapshot() is None
    meta_path.write_text("{not json")
    assert make_feed(server.url, state_dir=state, retries=0).snapshot() is None
    assert not list((state / STATE_SUBDIR).glob("*.tmp"))


def test_snapshot_does_not_wait_for_a_running_refresh(server, make_feed, clock) -> None:
    server.serve(ok())
    feed = make_feed(server.url, ttl=60, timeout=2)
    good = feed.snapshot()
    server.got_request.clear()
    server.serve(lambda _h: Reply(200, DEMO_BYTES, delay=0.5))
    clock.advance(61)
    refresher = threading.Thread(target=feed.refresh)
    refresher.start()
    assert server.got_request.wait(2)
    started = time.monotonic()
    snap = feed.snapshot()
    assert time.monotonic() - started < 0.1
    assert snap is good
    refresher.join(3)
    assert feed.snapshot() is not good


def test_concurrent_first_calls_fetch_once(server, make_feed) -> None:
    server.serve(lambda _h: Reply(200, DEMO_BYTES, delay=0.1))
    feed = make_feed(server.url)
    results: list[Snapshot | None] = []
    threads = [threading.Thread(target=lambda: results.append(feed.snapshot())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(3)
    assert len(server.requests) == 1
    assert len(results) == 8 and all(r is results[0] and r is not None for r in results)


def test_injected_session_is_used(server, make_feed) -> None:
    server.serve(ok())
    session = requests.Session()
    session.headers["X-Test"] = "yes"
    feed = make_feed(server.url, session=session)
    assert ids(feed.snapshot()) == DEMO_IDS
    assert server.requests[0]["X-Test"] == "yes"
    feed.close()  # not ours to close
    assert ids(feed.refresh()) == DEMO_IDS
    session.close()


# --------------------------------------------------------------------------- files


def test_file_urls(make_feed, tmp_path, monkeypatch, clock) -> None:
    monkeypatch.chdir(ROOT)
    relative = "data/knowledge/closures-demo.geojson"
    for url in (f"file://{DEMO}", f"file://{relative}", relative, str(DEMO), f"file:{DEMO}"):
        snap = make_feed(url, state_dir=tmp_path / str(abs(hash(url)))).snapshot()
        assert ids(snap) == DEMO_IDS, url
    datex = make_feed(f"file://{DATEX}", state_dir=tmp_path / "datex").snapshot()
    assert ids(datex) == ["1487640"]


def test_file_changes_missing_file_and_malformed_file(make_feed, tmp_path, clock) -> None:
    path = tmp_path / "feed.geojson"
    path.write_bytes(DEMO_BYTES)
    feed = make_feed(f"file://{path}")
    first = feed.snapshot()
    assert ids(first) == DEMO_IDS

    clock.advance(61)
    unchanged = feed.snapshot()  # same bytes: treated as not modified
    assert unchanged is not None and unchanged.fetched_at == clock.now and not unchanged.stale

    path.write_text("kaputt")
    clock.advance(61)
    broken = feed.snapshot()
    assert broken is not None and broken.stale and broken.closures == first.closures

    path.unlink()
    clock.advance(61)
    missing = feed.snapshot()
    assert missing is not None and missing.stale

    doc = json.loads(DEMO_BYTES)
    doc["features"] = doc["features"][:2]
    path.write_text(json.dumps(doc))
    clock.advance(61)
    assert ids(feed.snapshot()) == ["9001", "9002"]


def test_missing_file_without_history_is_none(make_feed, tmp_path) -> None:
    assert make_feed(f"file://{tmp_path}/nope.json").snapshot() is None


# --------------------------------------------------------------------------- misc


def test_unsupported_scheme_and_bad_arguments(tmp_path) -> None:
    with pytest.raises(ValueError):
        ClosuresFeed("ftp://example.org/feed.json", tmp_path)
    with pytest.raises(ValueError):
        ClosuresFeed("https://example.org/feed.json", tmp_path, timeout=0)


def test_naive_clock_is_rejected(server, tmp_path) -> None:
    server.serve(ok())
    feed = ClosuresFeed(server.url, tmp_path, clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        feed.snapshot()
    feed.close()


def test_redact_url() -> None:
    assert (
        redact_url("https://user:secret@api.example.org:8443/feed.json?token=abc#x")
        == "https://api.example.org:8443/feed.json"
    )
    assert redact_url("file:///srv/feed.json") == "file:///srv/feed.json"


def test_logs_do_not_contain_tokens(server, make_feed, clock, caplog) -> None:
    server.serve(lambda _h: Reply(500))
    with caplog.at_level("DEBUG", logger="bot.knowledge.feed"):
        make_feed(server.url + "?token=s3cr3t", retries=1).snapshot()
    assert caplog.records
    assert "s3cr3t" not in caplog.text
