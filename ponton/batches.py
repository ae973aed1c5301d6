"""Queries over sets of values read from rows, with a bounded number of parameters
(insights, search, benchmarks: any app may use it).

PostgreSQL binds at most 65,535 parameters in a statement (the product binds
them on the server), SQLite 32,766: a filter whose parameters grow with the
data fails on the first busy day or backlog. A set the database already holds
is better read as a join or a subquery; a set computed in Python (ids found in
events' data) is read in batches of `IDS_PER_QUERY`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

# The most parameters any query of the insights may carry (the tests hold the
# rollup and the KPIs to it); a batch of ids leaves room for the other filters.
MAX_PARAMS = 1000
IDS_PER_QUERY = 500

T = TypeVar("T")


def batches(values: Iterable[T], size: int = IDS_PER_QUERY) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, each one query's worth of ids."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
