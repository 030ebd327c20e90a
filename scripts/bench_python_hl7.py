#!/usr/bin/env python3
"""Times the Python HL7v2 parsers on a corpus directory, for the hl7v2 crate's `parse` bench.

Usage: bench_python_hl7.py CORPUS_DIR [SECONDS_PER_PARSER]

Every *.hl7 file is read as UTF-8 and normalized like the Rust bench does: a leading byte order
mark is dropped, and CRLF and LF become CR. Each available parser (python-hl7's `hl7.parse`,
hl7apy's `parse_message` with `find_groups=False`) is first run once per message to drop the
ones it rejects; then it parses
the accepted messages in a cycle and touches every field (counts the non-empty ones), in
ROUNDS rounds totalling about SECONDS_PER_PARSER seconds (default 3). One JSON line per parser
goes to stdout with the median round's msgs_per_s and mb_per_s (MB = 10^6 bytes of normalized
UTF-8 input).
"""

import importlib.metadata
import json
import pathlib
import statistics
import sys
import time

ROUNDS = 7


def load(corpus_dir):
    messages = []
    for path in sorted(pathlib.Path(corpus_dir).glob("*.hl7")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        text = text.removeprefix("\ufeff")
        messages.append(text.replace("\r\n", "\r").replace("\n", "\r"))
    return messages


def touch_python_hl7(message):
    # Every segment and field is built at parse time; an empty field is [''].
    return sum(1 for segment in message for field in segment[1:] if field != [""])


def touch_hl7apy(message):
    # hl7apy keeps only the non-empty fields as children.
    return sum(len(segment.children) for segment in message.children)


def version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def parsers():
    found = []
    try:
        import hl7

        found.append(("python-hl7", version("hl7"), hl7.parse, touch_python_hl7))
    except ImportError:
        pass
    try:
        from hl7apy.parser import parse_message

        def parse_hl7apy(text):
            return parse_message(text, find_groups=False)

        found.append(("hl7apy", version("hl7apy"), parse_hl7apy, touch_hl7apy))
    except ImportError:
        pass
    return found


def measure(name, version, parse, touch, messages, seconds):
    accepted = []
    for text in messages:
        try:
            touch(parse(text))
            accepted.append(text)
        except Exception:  # noqa: BLE001 - any rejection counts as one
            pass
    sizes = [len(text.encode("utf-8")) for text in accepted]
    # Rounds of about seconds / ROUNDS each cycle through the accepted messages, carrying on
    # where the previous round stopped, so that a slow parser needs no full pass per round.
    round_seconds = seconds / ROUNDS
    next_idx = 0
    byte_rates, msg_rates, n_parsed = [], [], 0
    for _ in range(ROUNDS):
        n_msgs = n_bytes = 0
        start = time.perf_counter()
        while True:
            touch(parse(accepted[next_idx]))
            n_msgs += 1
            n_bytes += sizes[next_idx]
            next_idx = (next_idx + 1) % len(accepted)
            elapsed = time.perf_counter() - start
            if elapsed >= round_seconds:
                break
        byte_rates.append(n_bytes / elapsed)
        msg_rates.append(n_msgs / elapsed)
        n_parsed += n_msgs
    return {
        "parser": name,
        "version": version,
        "python": sys.version.split()[0],
        "n_messages": len(messages),
        "n_accepted": len(accepted),
        "n_rejected": len(messages) - len(accepted),
        "bytes_accepted": sum(sizes),
        "rounds": ROUNDS,
        "n_parsed": n_parsed,
        "msgs_per_s": statistics.median(msg_rates),
        "mb_per_s": statistics.median(byte_rates) / 1e6,
        "min_mb_per_s": min(byte_rates) / 1e6,
        "max_mb_per_s": max(byte_rates) / 1e6,
    }


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    messages = load(sys.argv[1])
    if not messages:
        print(f"no *.hl7 files in {sys.argv[1]}", file=sys.stderr)
        return 1
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    available = parsers()
    if not available:
        print("neither python-hl7 (pip install hl7) nor hl7apy (pip install hl7apy) is importable", file=sys.stderr)
        return 1
    for name, version, parse, touch in available:
        print(json.dumps(measure(name, version, parse, touch, messages, seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
