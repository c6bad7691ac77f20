"""Uploaded and generated files: the filesystem by default, or S3-compatible object storage from STORAGE_URL
(clinic/config.py), so that any web server or worker reads what another one wrote."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from clinic.config import load

BASE = Path("/srv/clinic")


def _storage(**env: str) -> dict[str, object]:
    return load({"DEBUG": "1", **env}, BASE).storage


def test_files_go_to_the_filesystem_under_media_root_by_default() -> None:
    assert _storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert _storage(STORAGE_URL="file:///data/files") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/data/files"},
    }


def test_an_s3_url_names_the_bucket_the_prefix_and_the_endpoint() -> None:
    url = "s3://clinic-files/media?endpoint_url=https://objects.example.invalid&region_name=eu-west-1"
    assert _storage(STORAGE_URL=url + "&addressing_style=path&querystring_expire=300") == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "clinic-files",
            "location": "media",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,
            "endpoint_url": "https://objects.example.invalid",
            "region_name": "eu-west-1",
            "addressing_style": "path",
            "querystring_expire": 300,
        },
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files/x", "is not a storage"),
        ("s3:///no-bucket", "is not a storage"),
        ("s3://bucket?acl=public-read", "unknown option 'acl'"),
        ("s3://bucket?querystring_expire=soon", "is not a whole number"),
    ],
)
def test_a_wrong_storage_url_stops_start_up_naming_the_variable(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="STORAGE_URL") as refused:
        _storage(STORAGE_URL=url)
    assert message in str(refused.value)


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3-compatible server on 127.0.0.1 (moto), with a bucket and throwaway credentials."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in (("AWS_ACCESS_KEY_ID", "test-only"), ("AWS_SECRET_ACCESS_KEY", "test-only")):
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="clinic-files")
        yield endpoint
    finally:
        server.stop()


def test_a_file_written_through_one_storage_is_read_through_another(s3_endpoint: str) -> None:
    url = f"s3://clinic-files/media?endpoint_url={s3_endpoint}&region_name=us-east-1&addressing_style=path"
    default = _storage(STORAGE_URL=url)
    writer = storages.create_storage(default)
    name = writer.save("reports/summary.pdf", ContentFile(b"%PDF-1.7 synthetic"))
    reader = storages.create_storage(default)  # another process, another server: the same bucket
    with reader.open(name) as stored:
        assert stored.read() == b"%PDF-1.7 synthetic"
    assert "Signature=" in reader.url(name)  # private: a signed, expiring link
    listing = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").list_objects_v2(
        Bucket="clinic-files"
    )
    assert [o["Key"] for o in listing["Contents"]] == ["media/reports/summary.pdf"]
