"""The closures feed: fetching, TTL cache and the persisted last good snapshot.

:class:`ClosuresFeed` answers :meth:`ClosuresFeed.snapshot` from memory while the
data is younger than ``ttl`` seconds. After that the next call refreshes: over HTTP(S)
with ``requests`` (timeouts, retries with exponential backoff on connection errors and
5xx, conditional requests with ETag/Last-Modified) or from a local file. A failed
refresh – network, HTTP error, malformed document – keeps the last good snapshot,
marked ``stale``. The last good document is persisted in ``state_dir/closures/``, so a
process started during an outage still answers from it, with its original
``fetched_at``.

State files (written atomically, the body content-addressed so that metadata and body
always belong together)::

    state_dir/closures/last_good.json           metadata: etag, last_modified, fetched_at, ...
    state_dir/closures/last_good-<sha16>.body   the raw document
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from bot.knowledge.closures import Closure, FeedFormatError, ParseResult, local_tz, parse_feed

logger = logging.getLogger(__name__)

STATE_SUBDIR = "closures"
META_NAME = "last_good.json"
#: Largest document accepted (bytes).
MAX_BYTES = 20 * 1024 * 1024
#: Statuses worth another attempt.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: The body of one response must arrive within this many times ``timeout``.
BODY_DEADLINE_FACTOR = 4.0
USER_AGENT = "buergerservice-assistent/0.1 (closures feed)"
ACCEPT = "application/geo+json, application/json;q=0.9, application/xml;q=0.8, */*;q=0.1"

_BODY_NAME = re.compile(r"last_good-[0-9a-f]{16}\.body")
_META_VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    """The closures as last obtained.

    Attributes:
        closures: the parsed closures, in feed order.
        fetched_at: when this data was obtained (or last confirmed by a 304), aware,
            in Europe/Berlin (ready for "Stand: 23.11.2026, 10:00 Uhr").
        stale: True when the last refresh failed and this is older data.
        skipped: how many entries of the document were skipped as malformed.
    """

    closures: tuple[Closure, ...]
    fetched_at: datetime
    stale: bool
    skipped: int


class FeedError(Exception):
    """One refresh failed (network, HTTP status, size, unreadable file)."""


@dataclass(frozen=True)
class _Stored:
    raw: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime


@dataclass(frozen=True)
class _Fetched:
    """The outcome of one successful fetch; ``raw`` None means "not modified"."""

    raw: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None


def _local_now() -> datetime:
    return datetime.now(local_tz())


def redact_url(url: str) -> str:
    """The URL without credentials, query and fragment, safe for logs."""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    return url.split("?", 1)[0]


def _file_path(url: str) -> Path | None:
    """The path for ``file://`` URLs and plain paths; None for http(s)."""
    if url.startswith("file://"):
        rest = url[len("file://") :]
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        return Path(unquote(rest))
    if url.startswith("file:"):
        return Path(unquote(url[len("file:") :]))
    scheme = urlsplit(url).scheme.lower()
    if scheme in {"http", "https"}:
        return None
    if scheme and len(scheme) > 1:
        raise ValueError(f"unsupported URL scheme {scheme!r} (use https://, http://, file://)")
    return Path(url)


class ClosuresFeed:
    """Closures from one feed URL, cached, refreshed after ``ttl``, with a fallback on disk.

    Thread-safe: one refresh at a time (a lock). While a refresh runs, other callers
    that already have a snapshot get it immediately instead of waiting for the network.
    """

    def __init__(
        self,
        url: str,
        state_dir: Path,
        *,
        ttl: float = 300,
        timeout: float = 5,
        retries: int = 2,
        backoff: float = 0.5,
        clock: Callable[[], datetime] = _local_now,
        session: requests.Session | None = None,
    ) -> None:
        """Creates the feed; nothing is read or fetched before the first call.

        Args:
            url: ``https://``, ``http://``, ``file://`` (absolute or relative path) or a
                plain path. Relative paths are relative to the working directory.
            state_dir: directory for persisted state; the feed uses ``closures/`` in it.
            ttl: seconds a snapshot is served without asking the source again; also the
                wait before the next attempt after a failed refresh.
            timeout: seconds for connecting and for each read (per attempt).
            retries: further attempts after a connection error or a 5xx response.
            backoff: seconds before the first retry, doubled for each further one.
            clock: returns the current aware time (injected in tests). It also measures
                the TTL, so a frozen clock never lets the cache expire.
            session: a ``requests.Session`` to use (else one is created and owned).

        Raises:
            ValueError: unsupported URL scheme or invalid numbers.
        """
        if ttl < 0 or timeout <= 0 or retries < 0 or backoff < 0:
            raise ValueError("ttl, retries, backoff must be >= 0 and timeout > 0")
        self._url = url
        self._path = _file_path(url)
        self._safe_url = redact_url(url)
        self._source_key = hashlib.sha256(self._safe_url.encode("utf-8")).hexdigest()[:16]
        self._dir = Path(state_dir) / STATE_SUBDIR
        self._ttl = timedelta(seconds=ttl)
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._clock = clock
        self._session = session
        self._owns_session = session is None
        self._sleep: Callable[[float], None] = time.sleep
        self._lock = threading.Lock()
        self._loaded = False
        self._stored: _Stored | None = None
        self._snapshot: Snapshot | None = None
        self._checked_at: datetime | None = None

    # ------------------------------------------------------------------ public API

    def snapshot(self) -> Snapshot | None:
        """The current closures.

        Within ``ttl`` of the last refresh (or of the persisted data's ``fetched_at``)
        no source is contacted. Otherwise the feed is refreshed; on failure the last
        good snapshot is returned with ``stale=True``. None only when no data was ever
        obtained.
        """
        if self._loaded and self._is_fresh(self._now()):
            return self._snapshot
        current = self._snapshot
        # Someone else is refreshing and we have data: answer now, don't wait.
        if not self._lock.acquire(blocking=current is None):
            return current
        try:
            self._ensure_loaded()
            if not self._is_fresh(self._now()):
                self._refresh_locked()
            return self._snapshot
        finally:
            self._lock.release()

    def refresh(self) -> Snapshot | None:
        """Asks the source now, regardless of the TTL; returns the resulting snapshot."""
        with self._lock:
            self._ensure_loaded()
            self._refresh_locked()
            return self._snapshot

    def close(self) -> None:
        """Closes the HTTP session if the feed created it."""
        if self._owns_session and self._session is not None:
            self._session.close()
            self._session = None

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("clock must return timezone-aware datetimes")
        return now.astimezone(local_tz())

    def _is_fresh(self, now: datetime) -> bool:
        checked = self._checked_at
        return checked is not None and checked <= now < checked + self._ttl

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        stored = self._load_persisted()
        if stored is None:
            return
        try:
            result = parse_feed(stored.raw, stored.content_type)
        except FeedFormatError as exc:
            logger.warning("closures feed: persisted snapshot no longer parses (%s)", exc)
            return
        self._stored = stored
        self._snapshot = _snapshot_from(result, stored.fetched_at)
        self._checked_at = stored.fetched_at
        logger.info(
            "closures feed: loaded persisted snapshot from %s (%d closures)",
            stored.fetched_at.isoformat(),
            len(result.closures),
        )

    def _refresh_locked(self) -> None:
        try:
            fetched = self._fetch()
            now = self._now()
            if fetched.raw is None:
                self._not_modified(fetched, now)
            else:
                self._modified(fetched, fetched.raw, now)
        except (FeedError, FeedFormatError) as exc:
            self._failed(str(exc))
            return
        except Exception:
            # A bug or an unforeseen document must not take the last good data down.
            logger.exception("closures feed %s: unexpected error during refresh", self._safe_url)
            self._failed("unexpected error")
            return
        self._checked_at = now

    def _failed(self, reason: str) -> None:
        self._checked_at = self._now()
        if self._snapshot is not None:
            self._snapshot = replace(self._snapshot, stale=True)
            logger.warning(
                "closures feed %s: refresh failed (%s); serving the snapshot of %s",
                self._safe_url,
                reason,
                self._snapshot.fetched_at.isoformat(),
            )
        else:
            logger.error(
                "closures feed %s: refresh failed (%s); no data available", self._safe_url, reason
            )

    def _not_modified(self, fetched: _Fetched, now: datetime) -> None:
        if self._stored is None or self._snapshot is None:
            raise FeedError("not modified, but no stored document")
        stored = replace(
            self._stored,
            fetched_at=now,
            etag=fetched.etag or self._stored.etag,
            last_modified=fetched.last_modified or self._stored.last_modified,
        )
        self._stored = stored
        self._snapshot = replace(self._snapshot, fetched_at=now, stale=False)
        self._persist(stored)
        logger.info("closures feed %s: not modified", self._safe_url)

    def _modified(self, fetched: _Fetched, raw: bytes, now: datetime) -> None:
        result = parse_feed(raw, fetched.content_type)
        if not result.closures and result.skipped:
            raise FeedFormatError(f"all {len(result.skipped)} entries are malformed")
        stored = _Stored(raw, fetched.content_type, fetched.etag, fetched.last_modified, now)
        self._stored = stored
        self._snapshot = _snapshot_from(result, now)
        self._persist(stored)
        logger.info(
            "closures feed %s: %d closures, %d skipped",
            self._safe_url,
            len(result.closures),
            len(result.skipped),
        )

    # ------------------------------------------------------------------ fetching

    def _fetch(self) -> _Fetched:
        if self._path is not None:
            return self._fetch_file(self._path)
        return self._fetch_http()

    def _fetch_file(self, path: Path) -> _Fetched:
        try:
            if path.stat().st_size > MAX_BYTES:
                raise FeedError(f"file larger than {MAX_BYTES} bytes")
            raw = path.read_bytes()
        except OSError as exc:
            raise FeedError(f"cannot read file: {exc.strerror or type(exc).__name__}") from exc
        if self._stored is not None and raw == self._stored.raw:
            return _Fetched(None, None, None, None)
        suffix = path.suffix.lower()
        content_type = "application/xml" if suffix == ".xml" else "application/json"
        return _Fetched(raw, content_type, None, None)

    def _http_session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def _fetch_http(self) -> _Fetched:
        headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
        if self._stored is not None:
            if self._stored.etag:
                headers["If-None-Match"] = self._stored.etag
            if self._stored.last_modified:
                headers["If-Modified-Since"] = self._stored.last_modified
        session = self._http_session()
        error = FeedError("no attempt made")
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = session.get(
                    self._url,
                    headers=headers,
                    timeout=(self._timeout, self._timeout),
                    stream=True,
                )
            except requests.exceptions.ConnectionError as exc:  # incl. ConnectTimeout
                error = FeedError(f"connection failed ({type(exc).__name__})")
                logger.info("closures feed %s: attempt %d: %s", self._safe_url, attempt + 1, error)
                continue
            except requests.exceptions.Timeout as exc:
                # A read timeout is not retried: the server is slow, not unreachable.
                raise FeedError(f"timed out ({type(exc).__name__})") from exc
            except requests.exceptions.RequestException as exc:
                raise FeedError(f"request failed ({type(exc).__name__})") from exc
            with response:
                if response.status_code == 304:
                    return _Fetched(
                        None,
                        None,
                        response.headers.get("ETag"),
                        response.headers.get("Last-Modified"),
                    )
                if response.status_code in RETRY_STATUSES:
                    error = FeedError(f"HTTP {response.status_code}")
                    logger.info(
                        "closures feed %s: attempt %d: %s", self._safe_url, attempt + 1, error
                    )
                    continue
                try:
                    response.raise_for_status()
                except requests.exceptions.HTTPError as exc:
                    raise FeedError(f"HTTP {response.status_code}") from exc
                raw = self._read_body(response)
                return _Fetched(
                    raw,
                    response.headers.get("Content-Type"),
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )
        raise error

    def _read_body(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_BYTES:
            raise FeedError(f"document larger than {MAX_BYTES} bytes")
        deadline = time.monotonic() + self._timeout * BODY_DEADLINE_FACTOR
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FeedError(f"document larger than {MAX_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise FeedError("document took too long to arrive")
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise FeedError(f"reading the document failed ({type(exc).__name__})") from exc
        return b"".join(chunks)

    # ------------------------------------------------------------------ persistence

    def _persist(self, stored: _Stored) -> None:
        """Writes body and metadata atomically; a failure is logged, not raised."""
        digest = hashlib.sha256(stored.raw).hexdigest()
        body_name = f"last_good-{digest[:16]}.body"
        meta: dict[str, Any] = {
            "version": _META_VERSION,
            "source": self._source_key,
            "body": body_name,
            "sha256": digest,
            "content_type": stored.content_type,
            "etag": stored.etag,
            "last_modified": stored.last_modified,
            "fetched_at": stored.fetched_at.isoformat(),
        }
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            body_path = self._dir / body_name
            if not body_path.is_file() or body_path.stat().st_size != len(stored.raw):
                _atomic_write(body_path, stored.raw)
            _atomic_write(
                self._dir / META_NAME,
                json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"),
            )
            for old in self._dir.glob("last_good-*.body"):
                if old.name != body_name:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            logger.error(
                "closures feed: could not persist the snapshot in %s: %s",
                self._dir,
                exc.strerror or type(exc).__name__,
            )

    def _load_persisted(self) -> _Stored | None:
        meta_path = self._dir / META_NAME
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_bytes())
            if not isinstance(meta, dict) or meta.get("version") != _META_VERSION:
                raise ValueError("unknown metadata version")
            if meta.get("source") != self._source_key:
                logger.info("closures feed: persisted snapshot is from another feed URL; ignored")
                return None
            body_name = meta.get("body")
            if not isinstance(body_name, str) or not _BODY_NAME.fullmatch(body_name):
                raise ValueError("invalid body file name")
            raw = (self._dir / body_name).read_bytes()
            if hashlib.sha256(raw).hexdigest() != meta.get("sha256"):
                raise ValueError("body does not match its checksum")
            fetched_at = datetime.fromisoformat(str(meta.get("fetched_at")))
            if fetched_at.tzinfo is None:
                raise ValueError("fetched_at without time zone")
            fetched_at = fetched_at.astimezone(local_tz())
            return _Stored(
                raw=raw,
                content_type=_opt_str(meta.get("content_type")),
                etag=_opt_str(meta.get("etag")),
                last_modified=_opt_str(meta.get("last_modified")),
                fetched_at=fetched_at,
            )
        except (OSError, ValueError, TypeError) as exc:
            logger.warning("closures feed: ignoring the persisted snapshot (%s)", exc)
            return None


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _snapshot_from(result: ParseResult, fetched_at: datetime) -> Snapshot:
    return Snapshot(
        closures=tuple(result.closures),
        fetched_at=fetched_at,
        stale=False,
        skipped=len(result.skipped),
    )


def _atomic_write(path: Path, data: bytes) -> None:
    """Writes ``data`` to a temporary file next to ``path``, fsyncs, then renames it."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
