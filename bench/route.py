"""Benchmark: Graph pages (live or replayed from a spool) through the one route.

    python -m bench.route [--records 20000] [--top 500] [--repeat 5]

Before the one route, pages fetched from Graph or replayed from a spool reached the
normalizer as parsed records and always took the general path; now they reach it as the
text received and take the fast path (`graph_v1.tables_from_json`) when Graph's own shape
allows. Methods, each over the same `records` synthetic Graph v1.0 records in pages of `top`
(`provlytics.synthetic`), in `repeat` interleaved rounds, reporting the median records/s:
- parse: `msgspec.json.decode` of every page into Python objects (the floor of reading JSON);
- general: each page parsed (orjson) and normalized on the general path, as pages of records
  took it before (`route.page_tables` of a records page);
- route: `route.page_tables` of each page's text, as a live or replayed page now takes it.
All in this process: it times the decoding, not the network or the spool's disk.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import msgspec
import orjson

from provlytics.origin import Container, Origin, Page, Place
from provlytics.pipeline import route
from provlytics.synthetic import generate_records

METHODS = ("parse", "general", "route")


def graph_pages(records: int, top: int) -> list[bytes]:
    """`records` synthetic records as Graph v1.0 response pages of `top` records."""
    every = list(generate_records(records, seed=1, days=3))
    context = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"
    return [
        orjson.dumps({"@odata.context": context, "value": every[i : i + top]})
        for i in range(0, len(every), top)
    ]


def _parse(pages: list[bytes]) -> int:
    return sum(len(msgspec.json.decode(data)["value"]) for data in pages)


def _general(pages: list[bytes]) -> int:
    total = 0
    for number, data in enumerate(pages, 1):
        origin = Origin("bench", page=number, place=Place.GRAPH)
        records = orjson.loads(data)["value"]
        total += route.page_tables(Page(origin, Container.GRAPH_PAGE, records=records)).records
    return total


def _route(pages: list[bytes]) -> int:
    total = 0
    for number, data in enumerate(pages, 1):
        origin = Origin("bench", page=number, place=Place.SPOOL)
        total += route.page_tables(Page(origin, Container.GRAPH_PAGE, data=data)).records
    return total


RUNNERS: dict[str, Callable[[list[bytes]], int]] = {
    "parse": _parse,
    "general": _general,
    "route": _route,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pages = graph_pages(args.records, args.top)
    rates: dict[str, list[float]] = {m: [] for m in METHODS}
    for _ in range(args.repeat):
        for method in METHODS:  # interleaved: a slow spell of the machine hits them all
            start = time.perf_counter()
            count = RUNNERS[method](pages)
            rates[method].append(count / (time.perf_counter() - start))
            if count != args.records:
                raise SystemExit(f"{method} read {count} records, not {args.records}")
    floor = statistics.median(rates["parse"])
    print(f"{args.records} records in pages of {args.top}, median of {args.repeat} rounds")
    print(f"{'method':<8} {'records/s':>10} {'x parse':>8}")
    for method in METHODS:
        rate = statistics.median(rates[method])
        print(f"{method:<8} {rate:>10,.0f} {rate / floor:>8.2f}")


if __name__ == "__main__":
    main()
