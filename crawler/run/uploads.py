"""An S3 store's uploads during one run: every closed file is ledgered in the spool, then
uploaded on a background thread; at the end, what is still pending and why.

Local stores have none (`RunUploads.start` returns None)."""

from __future__ import annotations

from crawler.store.local import LocalStore
from crawler.store.s3 import S3Store
from crawler.store.s3_uploads import BackgroundUploads, S3Uploader
from crawler.store.upload_ledger import UploadLedger, open_ledger
from crawler.timebounds import utcnow_iso


class RunUploads:
    def __init__(self, store: S3Store, uploads: BackgroundUploads, ledger: UploadLedger) -> None:
        self.store = store
        self.uploads = uploads
        self.ledger = ledger

    @classmethod
    def start(cls, store: LocalStore) -> RunUploads | None:
        """For an S3 store: the uploader thread (earlier runs' files: `resume`)."""
        if not isinstance(store, S3Store):
            return None
        uploader = S3Uploader(store)
        return cls(store, BackgroundUploads(uploader), open_ledger(store))

    def resume(self) -> None:
        """Queue what earlier runs left: pending uploads, and closed spool files no ledger
        knows. Called once the run has repaired the spool: a closed WARC a killed run
        never registered gets its index (and is ledgered) before anything uploads it and
        drops the spool copy."""
        uploader = self.uploads.uploader
        uploader.adopt_unledgered()
        uploader.close_thread_ledger()
        for entry in self.ledger.pending_uploads(self.store.uri):
            self.uploads.submit(entry["key"])

    def queue(self, kind: str, key: str, size: int, sha256: str) -> None:
        # Ledgered before the upload starts: a killed run leaves it pending, not lost.
        self.ledger.queue_upload(
            target=self.store.uri,
            key=key,
            kind=kind,
            size=size,
            sha256=sha256,
            queued_at=utcnow_iso(),
        )
        self.uploads.submit(key)

    def before_manifest(self, own_keys: set[str]) -> dict:
        """Wait for the uploads queued so far; probe S3 once more for anything still
        pending (a failure earlier in the run, leftovers of earlier runs). For the
        manifest: how many of `own_keys` (this run's files) were uploaded, what waits."""
        self.uploads.drain()
        pending = self.ledger.pending_uploads(self.store.uri)
        if pending:
            self.uploads.uploader.retry_now()
            for entry in pending:
                self.uploads.submit(entry["key"])
            self.uploads.drain()
        pending = self.ledger.pending_uploads(self.store.uri)
        return {
            "target": self.store.uri,
            "uploaded": len({r.key for r in self.uploads.results if r.ok and r.key in own_keys}),
            "pending": [{"key": e["key"], "error": e["last_error"]} for e in pending],
            "keep_local": self.store.options.keep_local,
        }

    def finish(self) -> dict:
        """Wait for the last uploads (the manifest), stop the thread, close the ledger:
        what is still pending and why."""
        self.uploads.drain()
        self.uploads.stop()
        pending = self.ledger.pending_uploads(self.store.uri)
        self.ledger.close()
        # The error of a file that was tried, not the "not tried: ..." of those skipped.
        reasons = [
            e["last_error"]
            for e in pending
            if e["last_error"] and not e["last_error"].startswith("not tried: ")
        ]
        return {
            "target": self.store.uri,
            "pending": [e["key"] for e in pending],
            "reason": reasons[-1] if reasons else self.uploads.uploader.last_error,
            "retry": self.store.retry_hint(),
        }
