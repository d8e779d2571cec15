"""Uploading an S3 store's spool: `S3Uploader` puts closed files write-once and verified
(`crawler.store.s3.put_verified`), recording each in the spool's upload ledger;
`BackgroundUploads` runs it on a thread of its own while the crawl goes on."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from crawler.store.local import OPEN_SUFFIX, sha256_file
from crawler.store.s3 import (
    S3Store,
    UploadConflict,
    UploadVerifyError,
    error_code,
    put_verified,
)
from crawler.store.upload_ledger import UploadLedger, open_ledger
from crawler.timebounds import utcnow_iso

logger = logging.getLogger(__name__)


@dataclass
class UploadResult:
    key: str
    ok: bool
    already_there: bool = False  # found in S3 with the same sha256 (412 on our write)
    error: str | None = None
    s3_unavailable: bool = False  # the failure is S3's (unreachable, auth, bucket), not the file's


# Codes that say S3 (or our access to it) is failing as a whole: no point trying the next file.
_UNAVAILABLE_CODES = {
    "NoSuchBucket",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "500",
    "502",
    "503",
    "504",
}


def describe_error(exc: BaseException) -> tuple[str, bool]:
    """(a message for the user, whether S3 as a whole is unavailable)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ConnectionError as S3ConnectionError

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return (
            f"no usable AWS credentials ({exc}); set them the standard boto3 way "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials, "
            "an instance role)"
        ), True
    if isinstance(exc, (S3ConnectionError, HTTPClientError)):
        return f"S3 unreachable: {exc}", True
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        return f"S3 error {code}: {message}", code in _UNAVAILABLE_CODES
    if isinstance(exc, (UploadConflict, UploadVerifyError)):
        return str(exc), False
    if isinstance(exc, BotoCoreError):
        return f"S3 client error: {exc}", True
    if isinstance(exc, OSError):
        return f"cannot read the spool copy: {exc}", False
    return f"{type(exc).__name__}: {exc}", False


class S3Uploader:
    """Uploads closed spool files to S3 and keeps the spool's upload ledger.

    Thread-safe for several uploader threads: each thread uses its own ledger
    connection (SQLite WAL), the boto3 client is shared."""

    def __init__(self, store: S3Store) -> None:
        self.store = store
        self.target = store.uri
        self._local = threading.local()
        self._lock = threading.Lock()
        self.unavailable_until = 0.0  # monotonic time; skip S3 until then
        self.last_error: str | None = None

    def _ledger(self) -> UploadLedger:
        ledger = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = self._local.ledger = open_ledger(self.store)
        return ledger

    def close_thread_ledger(self) -> None:
        ledger = getattr(self._local, "ledger", None)
        if ledger is not None:
            ledger.close()
            self._local.ledger = None

    def pending(self) -> list[dict]:
        return self._ledger().pending_uploads(self.target)

    @property
    def s3_available(self) -> bool:
        return time.monotonic() >= self.unavailable_until

    def retry_now(self) -> None:
        """Forget that S3 failed: the next upload tries again (a probe)."""
        self.unavailable_until = 0.0

    def upload(self, key: str) -> UploadResult:
        """Upload one ledgered file, verify it, mark it uploaded, drop the spool copy."""
        entry = self._ledger().upload_entry(self.target, key)
        if entry is None:
            return UploadResult(key, False, error="not in the upload ledger")
        if entry["uploaded_at"]:
            return UploadResult(key, True, already_there=True)
        if not self.s3_available:
            error = f"not tried: {self.last_error}"
            self._ledger().note_upload_error(target=self.target, key=key, error=error)
            return UploadResult(key, False, error=error, s3_unavailable=True)
        try:
            already, etag = self._put_verified(key, entry["size"], entry["sha256"])
        except Exception as exc:  # noqa: BLE001 - every failure leaves the file pending
            message, unavailable = describe_error(exc)
            self._ledger().note_upload_error(target=self.target, key=key, error=message)
            if unavailable:
                with self._lock:
                    self.last_error = message
                    self.unavailable_until = time.monotonic() + self.store.options.retry_after
            logger.warning("upload of %s to %s failed: %s", key, self.target, message)
            return UploadResult(key, False, error=message, s3_unavailable=unavailable)
        self._ledger().mark_uploaded(
            target=self.target, key=key, sha256=entry["sha256"], etag=etag, uploaded_at=utcnow_iso()
        )
        if not self.store.options.keep_local:
            # Only now: the object is verified and the ledger says so.
            self.store.path(key).unlink(missing_ok=True)
        return UploadResult(key, True, already_there=already)

    def adopt_unledgered(self) -> list[str]:
        """Ledger complete spool files the ledger does not know: a process killed after
        publishing a file but before recording it would otherwise strand it locally."""
        known = self._ledger().upload_keys(self.target)
        adopted = []
        for folder, kind in (("warc", "warc"), ("articles", "articles"), ("runs", "manifest")):
            base = self.store.path(folder)
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                key = path.relative_to(self.store.root).as_posix()
                if key in known or not path.is_file() or path.name.endswith((OPEN_SUFFIX, ".tmp")):
                    continue
                self._ledger().queue_upload(
                    target=self.target,
                    key=key,
                    kind=kind,
                    size=path.stat().st_size,
                    sha256=sha256_file(path),
                    queued_at=utcnow_iso(),
                )
                adopted.append(key)
        if adopted:
            logger.warning(
                "%d spool files were not in the upload ledger (a killed run?); "
                "queued for upload: %s",
                len(adopted),
                ", ".join(adopted),
            )
        return adopted

    def upload_pending(self) -> list[UploadResult]:
        """Every pending file of this target, oldest first. S3 is probed again even if it
        failed a moment ago; after the first S3-wide failure the rest are not tried."""
        self.retry_now()
        return [self.upload(entry["key"]) for entry in self.pending()]

    def _put_verified(self, key: str, size: int, sha256: str) -> tuple[bool, str]:
        """(whether the object was already there, its ETag) or an exception."""
        path = self.store.path(key)
        actual = path.stat().st_size  # a missing spool copy raises: nothing to upload
        if actual != size:
            raise UploadVerifyError(
                f"spool copy {path} has {actual} bytes, the ledger {size}; not uploaded"
            )
        return put_verified(
            self.store.client(),
            self.store.options,
            self.store.bucket,
            self.store.object_key(key),
            path,
            size,
            sha256,
        )


class BackgroundUploads:
    """One uploader thread fed by a queue: files upload while the crawl goes on, off
    the Scrapy reactor. `drain()` waits for what was submitted."""

    def __init__(self, uploader: S3Uploader) -> None:
        self.uploader = uploader
        self.results: list[UploadResult] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="s3-upload", daemon=True)
        self._thread.start()

    def submit(self, key: str) -> None:
        self._queue.put(key)

    def drain(self) -> None:
        self._queue.join()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _work(self) -> None:
        outage = False
        try:
            while True:
                key = self._queue.get()
                try:
                    if key is None:
                        return
                    result = self.uploader.upload(key)
                    self.results.append(result)
                    if result.s3_unavailable:
                        outage = True
                    elif result.ok and outage:
                        # S3 is back: catch up on what the outage left pending now,
                        # not only at the end of the run.
                        outage = False
                        for entry in self.uploader.pending():
                            self._queue.put(entry["key"])
                except Exception as exc:  # noqa: BLE001 - the thread must keep serving
                    logger.error("uploader: %s: %s", key, exc)
                    self.results.append(UploadResult(key, False, error=str(exc)))
                finally:
                    self._queue.task_done()
        finally:
            self.uploader.close_thread_ledger()
