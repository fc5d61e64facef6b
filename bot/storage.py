"""Where the index is stored: a local folder or an S3-compatible bucket, and how to reach the bucket.

Credentials are never settings: LanceDB (object_store) and boto3 both read the standard AWS chain
(`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles). Only the endpoint, the
region and whether plain HTTP is allowed are passed explicitly, from `Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import BotError
from bot.settings import Settings

S3_SCHEMES = ("s3://", "s3a://")


class StorageNotConfigured(BotError):
    """The object store cannot be used as configured."""

    message = "The S3 store is not configured; set SUPPORTBOT_DB_URI=s3://bucket/prefix and the AWS_* variables."


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash)."""

    bucket: str
    prefix: str

    def key(self, *parts: str) -> str:
        """The object key of `parts` under the prefix."""
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p.strip("/"))


def is_object_store(uri: str) -> bool:
    """True when the LanceDB URI names an object store rather than a local folder."""
    return "://" in uri and not uri.startswith("file://")


def s3_location(uri: str) -> S3Location:
    """The bucket and prefix of an `s3://bucket/prefix` URI."""
    scheme = next((s for s in S3_SCHEMES if uri.startswith(s)), None)
    bucket, _, prefix = uri[len(scheme) :].partition("/") if scheme else ("", "", "")
    if not bucket:
        raise StorageNotConfigured(f"{uri!r} is not an s3://bucket/prefix URI; fix SUPPORTBOT_DB_URI.")
    return S3Location(bucket, prefix.strip("/"))


def allow_http(settings: Settings) -> bool:
    """Plain HTTP is allowed when asked for, or when the endpoint itself is http://."""
    if settings.s3_allow_http is not None:
        return settings.s3_allow_http
    return bool(settings.s3_endpoint_url and settings.s3_endpoint_url.startswith("http://"))


def storage_options(settings: Settings) -> dict[str, str]:
    """LanceDB `storage_options` for the settings' store (empty for a local folder)."""
    if not is_object_store(settings.lancedb_uri):
        return {}
    options = {"allow_http": str(allow_http(settings)).lower()}
    if settings.s3_endpoint_url:
        options["aws_endpoint"] = settings.s3_endpoint_url
    if settings.s3_region:
        options["aws_region"] = settings.s3_region
    return options


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the settings' endpoint and region (boto3 is a dependency, imported only when needed)."""
    try:
        import boto3
    except ImportError as err:
        raise StorageNotConfigured("Leader election on S3 needs boto3; install it with `pip install boto3`.") from err
    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)
