"""Every request has an id (the proxy's when it is trusted), carried by the response and by
each log line; PONTON_LOG_FORMAT=json writes one JSON object per line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from ponton.ops.logs import RequestIdFilter
from ponton.ops.tests.helpers import ponton

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The `django.request` log, written as the json format of settings.LOGGING writes it."""
    config = django_settings.LOGGING["formatters"]["json"]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(config["fmt"], rename_fields=config["rename_fields"]))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


def test_each_response_carries_a_new_request_id(client: Client) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_request_id_of_a_trusted_proxy_is_kept_and_an_outsiders_is_not(
    client: Client,
) -> None:
    proxied = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID="req-42.a_b")
    outsider = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="req-42.a_b")
    garbage = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID="a b\nc")

    assert proxied["X-Request-ID"] == "req-42.a_b"
    assert outsider["X-Request-ID"] != "req-42.a_b"
    assert garbage["X-Request-ID"] != "a b\nc"


def test_a_log_line_written_during_a_request_is_json_with_its_request_id(
    client: Client, json_log: io.StringIO
) -> None:
    response = client.get("/fr/no-such-page/")

    assert response.status_code == 404
    [line] = json_log.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "Not Found: /fr/no-such-page/"
    assert record["level"] == "WARNING"
    assert record["logger"] == "django.request"
    assert record["request_id"] == response["X-Request-ID"]


def test_ponton_log_format_json_switches_every_log_line_to_json(tmp_path: Path) -> None:
    script = (
        "import logging, django; django.setup(); "
        "from ponton.ops.logs import request_id; request_id.set('r-1'); "
        "logging.getLogger('ponton.anything').warning('disk %s full', 'sda')"
    )
    env = {"PONTON_LOG_FORMAT": "json", "PONTON_DATA_DIR": str(tmp_path)}
    done = ponton("shell", "-c", script, env=env)

    assert done.returncode == 0, done.stderr
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["message"] == "disk sda full"
    assert (record["level"], record["logger"], record["request_id"]) == (
        "WARNING",
        "ponton.anything",
        "r-1",
    )


def test_an_unknown_log_format_stops_the_start(tmp_path: Path) -> None:
    env = {"PONTON_LOG_FORMAT": "xml", "PONTON_DATA_DIR": str(tmp_path)}
    done = ponton("check", env=env)

    assert done.returncode != 0
    assert "PONTON_LOG_FORMAT must be text or json, got 'xml'" in done.stderr
