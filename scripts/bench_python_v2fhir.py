#!/usr/bin/env python3
"""Times the PyPI converter `hl7v2-fhir-bridge` (module v2fhir) for the proxy crate's bench.

Usage: bench_python_v2fhir.py CORPUS_DIR [SECONDS]

Install the peer in a scratch virtual environment outside the repository, for example:
    python3 -m venv /tmp/v2fhir-venv && /tmp/v2fhir-venv/bin/pip install hl7v2-fhir-bridge==0.1.0
and point the bench at that interpreter with PROXY_BENCH_PYTHON=/tmp/v2fhir-venv/bin/python.

Every *.hl7 file is read as bytes; a leading byte order mark is dropped and CRLF/LF become CR,
as in the Rust bench. Each message is converted once with a fixed `now` (parse_bytes, then
convert, in process, no I/O); the messages it converts without an error are the common set.
Then it converts the common set in a cycle, in ROUNDS rounds totalling about SECONDS seconds
(default 3), and prints one JSON line: the peer's version, the common file names, and the
median round's messages per second.
"""

import importlib.metadata
import json
import pathlib
import statistics
import sys
import time
from datetime import datetime, timezone

from v2fhir.config import Config
from v2fhir.convert import convert
from v2fhir.hl7.parser import parse_bytes

ROUNDS = 7
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def normalize(raw: bytes) -> bytes:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.replace(b"\r\n", b"\r").replace(b"\n", b"\r")


def main() -> None:
    corpus = pathlib.Path(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    cfg = Config()
    common = []
    for path in sorted(corpus.glob("*.hl7")):
        raw = normalize(path.read_bytes())
        try:
            convert(parse_bytes(raw), cfg, NOW)
        except Exception:  # the peer rejects what it does not support
            continue
        common.append((path.name, raw))
    if not common:
        print(json.dumps({"error": "the peer converted no message"}))
        return
    rates = []
    budget = seconds / ROUNDS
    for _ in range(ROUNDS):
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < budget:
            for _, raw in common:
                convert(parse_bytes(raw), cfg, NOW)
            count += len(common)
        rates.append(count / (time.perf_counter() - start))
    print(json.dumps({
        "peer": "hl7v2-fhir-bridge",
        "version": importlib.metadata.version("hl7v2-fhir-bridge"),
        "files": [name for name, _ in common],
        "msgs_per_s": statistics.median(rates),
    }))


if __name__ == "__main__":
    main()
