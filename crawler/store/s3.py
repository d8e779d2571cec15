"""S3 storage (`s3://bucket/prefix`): a local spool directory, and write-once verified puts
(the uploader that uses them is `crawler.store.s3_uploads`).

Every writer (WARC files, article shards, run manifests, the catalog) writes into the
spool exactly as into a local store, under the same keys. A file is uploaded once it
is closed, to `<prefix>/<key>`:

- write-once: `IfNoneMatch: *` on PutObject / CompleteMultipartUpload, so an object is
  never overwritten; a 412 is followed by a HEAD, and the same size and sha256 there
  count as success (a retry of an upload whose response was lost, or a racing uploader);
- our own SHA-256 of the file goes into the object's metadata (`x-amz-meta-sha256`);
- verified: after the upload a HEAD must show our size and sha256 before the file is
  marked uploaded in the spool's upload ledger (`uploads.sqlite`) and (unless STORE_S3_KEEP_LOCAL)
  its spool copy is deleted. Nothing is marked uploaded that is not in S3.

If S3 cannot be reached, files stay in the spool and pending in the ledger; the next run
or `crawler upload` uploads them. Credentials come only from boto3's standard chain and
botocore's loggers are held at WARNING (its DEBUG output prints signed headers).
"""

from __future__ import annotations

import logging
import os
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.store.local import LocalStore
from settings import (
    STORE_S3_ADDRESSING_STYLE,
    STORE_S3_CHECKSUMS_WHEN_REQUIRED,
    STORE_S3_CONCURRENCY,
    STORE_S3_CONNECT_TIMEOUT,
    STORE_S3_KEEP_LOCAL,
    STORE_S3_MAX_ATTEMPTS,
    STORE_S3_PART_SIZE,
    STORE_S3_READ_TIMEOUT,
    STORE_S3_RETRY_AFTER,
)

logger = logging.getLogger(__name__)

# botocore logs request headers (the Authorization signature, the access key id) at
# DEBUG; these loggers never go below WARNING, whatever LOG_LEVEL says.
QUIET_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum multipart part size


class S3StoreError(ValueError):
    """An S3 setting cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class S3Options:
    """The STORE_S3_* settings (defaults and comments in settings/__init__.py; the
    defaults here are those, for settings objects that do not hold them)."""

    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str = STORE_S3_ADDRESSING_STYLE
    checksums_when_required: bool = STORE_S3_CHECKSUMS_WHEN_REQUIRED
    part_size: int = STORE_S3_PART_SIZE
    concurrency: int = STORE_S3_CONCURRENCY
    max_bandwidth: int | None = None
    keep_local: bool = STORE_S3_KEEP_LOCAL
    connect_timeout: float = STORE_S3_CONNECT_TIMEOUT
    read_timeout: float = STORE_S3_READ_TIMEOUT
    max_attempts: int = STORE_S3_MAX_ATTEMPTS
    retry_after: float = STORE_S3_RETRY_AFTER

    @classmethod
    def from_settings(cls, settings) -> S3Options:
        if settings is None:
            return cls()
        endpoint = (settings.get("STORE_S3_ENDPOINT_URL") or "").strip() or None
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise S3StoreError(
                f"S3 endpoint URL {endpoint!r} must start with http:// or "
                "https://, e.g. http://127.0.0.1:9000"
            )
        part_size = settings.getint("STORE_S3_PART_SIZE", cls.part_size)
        if part_size < MIN_PART_SIZE:
            raise S3StoreError(
                f"STORE_S3_PART_SIZE={part_size} is below S3's minimum part "
                f"size of {MIN_PART_SIZE} bytes (5 MiB)"
            )
        style = settings.get("STORE_S3_ADDRESSING_STYLE") or cls.addressing_style
        if style not in ("auto", "path", "virtual"):
            raise S3StoreError(f"STORE_S3_ADDRESSING_STYLE={style!r}: use auto, path or virtual")
        return cls(
            endpoint_url=endpoint,
            region=settings.get("STORE_S3_REGION") or None,
            addressing_style=style,
            checksums_when_required=settings.getbool("STORE_S3_CHECKSUMS_WHEN_REQUIRED"),
            part_size=part_size,
            concurrency=max(1, settings.getint("STORE_S3_CONCURRENCY", cls.concurrency)),
            max_bandwidth=settings.getint("STORE_S3_MAX_BANDWIDTH") or None,
            keep_local=settings.getbool("STORE_S3_KEEP_LOCAL", cls.keep_local),
            connect_timeout=settings.getfloat("STORE_S3_CONNECT_TIMEOUT", cls.connect_timeout),
            read_timeout=settings.getfloat("STORE_S3_READ_TIMEOUT", cls.read_timeout),
            max_attempts=max(1, settings.getint("STORE_S3_MAX_ATTEMPTS", cls.max_attempts)),
            retry_after=settings.getfloat("STORE_S3_RETRY_AFTER", cls.retry_after),
        )


def default_spool_dir(bucket: str, prefix: str) -> Path:
    """$XDG_STATE_HOME/crawler/spool/<bucket>/<prefix> (~/.local/state/... by default):
    the same place from any working directory, so pending files are always found, and
    not a cache folder, which cleaners may empty while it holds files not yet in S3."""
    base = os.environ.get("XDG_STATE_HOME") or "~/.local/state"
    return Path(base).expanduser() / "crawler" / "spool" / bucket / prefix


class S3Store(LocalStore):
    """A LocalStore rooted at the spool directory, whose files belong in S3."""

    def __init__(
        self, bucket: str, prefix: str, spool_dir: str | os.PathLike[str], options: S3Options
    ) -> None:
        super().__init__(spool_dir)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = options
        self._client = None
        self._client_lock = threading.Lock()

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def spool_uri(self) -> str:
        return self.root.as_uri()

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def retry_hint(self) -> str:
        """The command that uploads what is pending, with the flags this store needs: the
        endpoint, and the spool unless it is the default one (else the command would look
        in another folder and find nothing)."""
        cmd = ["crawler", "upload", "--store", self.uri]
        if self.options.endpoint_url:
            cmd += ["--s3-endpoint-url", self.options.endpoint_url]
        if self.root.resolve() != default_spool_dir(self.bucket, self.prefix).resolve():
            cmd += ["--spool-dir", str(self.root.resolve())]
        return shlex.join(cmd)

    def client(self):
        """One boto3 S3 client per store (clients are thread-safe), standard credential
        chain, bounded timeouts and retries."""
        with self._client_lock:
            if self._client is None:
                self._client = make_client(self.options)
            return self._client

    def open_read(self, key: str):
        """`key` for reading: the spool copy while there is one, else a streamed GET."""
        if self.path(key).exists():
            return super().open_read(key)
        return self.client().get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]

    def list_keys(self, folder: str) -> list[str]:
        """The keys below `folder` in the bucket, and in the spool (files not uploaded
        yet), sorted."""
        found = set(super().list_keys(folder))
        start = self.object_key(folder.strip("/")) + "/"
        pages = self.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                found.add(folder.strip("/") + "/" + item["Key"][len(start) :])
        return sorted(found)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` of `key`: from the spool copy while there is one,
        else one ranged GET."""
        path = self.path(key)
        if path.exists():
            return super().read_range(key, offset, length)
        resp = self.client().get_object(
            Bucket=self.bucket,
            Key=self.object_key(key),
            Range=f"bytes={offset}-{offset + length - 1}",
        )
        return resp["Body"].read()


def make_client(options: S3Options):
    import boto3
    from botocore.config import Config

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    when = "when_required" if options.checksums_when_required else "when_supported"
    config = Config(
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        retries={"max_attempts": options.max_attempts, "mode": "standard"},
        max_pool_connections=max(10, options.concurrency * 2),
        request_checksum_calculation=when,
        response_checksum_validation=when,
        s3={"addressing_style": options.addressing_style},
    )
    client = boto3.session.Session().client(
        "s3", endpoint_url=options.endpoint_url, region_name=options.region, config=config
    )
    # s3transfer does not pass IfNoneMatch through (not in its allowed upload args), so
    # the write-once condition is added to the two calls that create an object.
    client.meta.events.register("provide-client-params.s3.PutObject", _if_none_match)
    client.meta.events.register("provide-client-params.s3.CompleteMultipartUpload", _if_none_match)
    return client


def _if_none_match(params, **_kwargs) -> None:
    params["IfNoneMatch"] = "*"


# -- uploading ----------------------------------------------------------------------------


class UploadConflict(Exception):
    """The key already holds different content in S3; it is never overwritten."""


class UploadVerifyError(Exception):
    """After the upload, the object's size or sha256 is not ours."""


def error_code(exc) -> str:
    """The S3 error code of a botocore ClientError ("" if none)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def put_verified(
    client, opts: S3Options, bucket: str, obj: str, path: Path, size: int, sha256: str
) -> tuple[bool, str]:
    """Upload `path` to `bucket/obj` write-once (the client adds IfNoneMatch), our sha256
    in the object's metadata, then HEAD it: (whether the key already held this very
    content, the ETag). UploadConflict if the key holds other content; UploadVerifyError
    if what S3 holds after the upload is not ours. Used by the store's uploader and by
    `crawler export --to s3://`."""
    from boto3.s3.transfer import TransferConfig, create_transfer_manager
    from botocore.exceptions import ClientError

    config = TransferConfig(
        multipart_threshold=opts.part_size,
        multipart_chunksize=opts.part_size,
        max_concurrency=opts.concurrency,
        max_bandwidth=opts.max_bandwidth,
    )
    extra = {"Metadata": {"sha256": sha256}, "ContentType": _content_type(obj)}
    already = False
    for attempt in range(3):
        try:
            # create_transfer_manager, not client.upload_file: the latter wraps the
            # ClientError into a message and the 412 could not be told apart.
            with create_transfer_manager(client, config) as manager:
                manager.upload(str(path), bucket, obj, extra_args=dict(extra)).result()
            break
        except ClientError as exc:
            code = error_code(exc)
            if code in ("PreconditionFailed", "412"):
                already = True  # someone wrote the key: is it our content?
                break
            if code == "ConditionalRequestConflict" and attempt < 2:
                time.sleep(1 + attempt)  # a racing conditional write is in flight
                continue
            raise
    head = client.head_object(Bucket=bucket, Key=obj)
    their_size = head.get("ContentLength")
    their_sha = (head.get("Metadata") or {}).get("sha256")
    if their_size != size or their_sha != sha256:
        where = f"s3://{bucket}/{obj}"
        if already:
            raise UploadConflict(
                f"{where} already exists with different content (size {their_size}, "
                f"sha256 {their_sha or 'not recorded'}; ours: size {size}, sha256 "
                f"{sha256}); keys are write-once, so it was not overwritten and the "
                f"local copy {path} is kept"
            )
        raise UploadVerifyError(
            f"{where} after upload has size {their_size}, sha256 "
            f"{their_sha}; expected {size}, {sha256}"
        )
    return already, str(head.get("ETag", "")).strip('"')


def _content_type(key: str) -> str:
    if key.endswith(".json"):
        return "application/json"
    if key.endswith(".gz"):
        # Not Content-Encoding: gzip, which clients undo on download and WARC offsets
        # (and range reads) refer to the compressed bytes.
        return "application/gzip"
    return "application/octet-stream"
