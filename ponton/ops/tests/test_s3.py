"""Attachments on an S3-compatible bucket (PONTON_S3_BUCKET), through the real boto3 client
against a real S3 server running on this machine (moto's server, standing in for the
provider): uploaded through the customer space, served by the app with its checks and
headers, backed up and restored from the bucket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ponton.accounts.models import User
from ponton.conversations.models import Attachment
from ponton.ops.backup import backup, restore
from ponton.ops.tests.helpers import PDF, PNG, ponton, request_with_files

pytestmark = pytest.mark.django_db

KEYS = {"aws_access_key_id": "ponton-test", "aws_secret_access_key": "ponton-test-secret"}
REGION = "eu-west-3"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    pytest.fail("The S3 server did not start")
                time.sleep(0.1)
        else:
            pytest.fail("The S3 server did not answer")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_server: str, settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A new private bucket, and Ponton's attachments stored in it (as settings.py does
    when PONTON_S3_BUCKET is set); the local attachments folder must stay empty."""
    name = f"ponton-{request.node.name[:30].replace('_', '-')}".rstrip("-").lower()
    client = boto3.client("s3", endpoint_url=s3_server, region_name=REGION, **KEYS)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.PONTON_ATTACHMENTS_DIR = tmp_path / "local-attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_server,
                "region_name": REGION,
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "location": "attachments",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    client.bucket_name = name
    return client


def _objects(bucket: Any) -> dict[str, bytes]:
    listed = bucket.list_objects_v2(Bucket=bucket.bucket_name).get("Contents", [])
    return {
        item["Key"]: bucket.get_object(Bucket=bucket.bucket_name, Key=item["Key"])["Body"].read()
        for item in listed
    }


def test_a_customers_file_goes_to_the_bucket_and_comes_back_through_the_app(
    client: Client, customer: User, bucket: Any, settings: Any
) -> None:
    from ponton.connectors.webform.services import ContactRequest, request_contact

    conversation = request_contact(
        ContactRequest(text="Ma box ne s'allume plus.", customer=customer, language="fr")
    )
    client.force_login(customer)
    posted = client.post(
        f"/fr/account/requests/{conversation.pk}/",
        {"text": "La photo", "attachments": [SimpleUploadedFile("voyant.png", PNG)]},
    )
    attachment = Attachment.objects.get(message__conversation=conversation)
    response = client.get(f"/fr/account/files/{attachment.pk}/")
    body = b"".join(response.streaming_content)

    assert posted.status_code == 302
    assert _objects(bucket) == {f"attachments/{attachment.file.name}": PNG}
    assert not Path(settings.PONTON_ATTACHMENTS_DIR).exists()
    assert (response.status_code, body) == (200, PNG)
    assert response["Content-Disposition"] == 'attachment; filename="voyant.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_bucket_is_never_made_public(customer: User, bucket: Any) -> None:
    [facture, _voyant] = request_with_files(customer)

    anonymous = httpx.get(
        f"{bucket.meta.endpoint_url}/{bucket.bucket_name}/attachments/{facture.file.name}"
    )
    grants = bucket.get_object_acl(
        Bucket=bucket.bucket_name, Key=f"attachments/{facture.file.name}"
    )["Grants"]

    assert anonymous.status_code == 403
    assert all("AllUsers" not in json.dumps(grant) for grant in grants)


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_take_the_files_from_the_bucket_and_put_them_back(
    customer: User, bucket: Any, tmp_path: Path
) -> None:
    stored = request_with_files(customer)
    summary = backup(tmp_path / "backup")
    for attachment in stored:
        bucket.delete_object(Bucket=bucket.bucket_name, Key=f"attachments/{attachment.file.name}")

    restored = restore(tmp_path / "backup", force=True)

    assert summary.files == restored.files == 2
    assert {
        path.read_bytes() for path in (tmp_path / "backup" / "files").rglob("*") if path.is_file()
    } == {PNG, PDF}
    assert _objects(bucket) == {
        f"attachments/{a.file.name}": content for a, content in zip(stored, (PDF, PNG), strict=True)
    }


def test_setting_ponton_s3_bucket_puts_the_attachments_in_the_bucket(
    s3_server: str, bucket: Any, tmp_path: Path
) -> None:
    env = {
        "PONTON_DATA_DIR": str(tmp_path),
        "PONTON_S3_BUCKET": bucket.bucket_name,
        "PONTON_S3_ENDPOINT_URL": s3_server,
        "PONTON_S3_REGION": REGION,
        "PONTON_S3_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "PONTON_S3_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
    }
    script = (
        "from django.core.files.base import ContentFile; "
        "from ponton.conversations.models import Attachment; "
        "storage = Attachment._meta.get_field('file').storage; "
        "print(type(storage.backend).__name__, storage.save('2030/03/x.pdf', ContentFile(b'%PDF-x')))"
    )
    done = ponton("shell", "-c", script, env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split() == ["S3Storage", "2030/03/x.pdf"]
    assert _objects(bucket) == {"attachments/2030/03/x.pdf": b"%PDF-x"}
