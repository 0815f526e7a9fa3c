#!/usr/bin/env python3
"""Checks a Prometheus text exposition (the file named, or stdin) as Prometheus reads it:
parsed by the Prometheus client library's own parser, then held to the conventions the
parser lets pass: every family has one HELP and one TYPE before its samples, no two families
share a HELP text, counters end in _total, units are in the names, and no family is a
precomputed rate. Prints the problems and exits 1, or prints "ok N families" and exits 0."""

import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count", "")}


def check(text):
    problems = []
    families = list(text_string_to_metric_families(text))  # raises on what it cannot read
    helps, types, seen_samples = {}, {}, set()
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *(line[7:].split(" ", 1) + [""])[:2]
            table = helps if kind == "HELP" else types
            if name in table:
                problems.append(f"line {number}: a second {kind} for {name}")
            if name in seen_samples:
                problems.append(f"line {number}: {kind} of {name} after its samples")
            if not NAME.match(name):
                problems.append(f"line {number}: {name} is not a metric name")
            table[name] = rest
        elif line and not line.startswith("#"):
            sample = re.split(r"[{ ]", line, maxsplit=1)[0]
            family = next((f for f in types if sample == f
                           or any(sample == f + s for s in SUFFIXES.get(types[f], ()))), None)
            if family is None:
                problems.append(f"line {number}: {sample} has no TYPE before it")
            else:
                seen_samples.add(family)
    for name in types:
        if name not in helps:
            problems.append(f"{name} has no HELP")
    for name in helps:
        if name not in types:
            problems.append(f"{name} has no TYPE")
    by_help = {}
    for name, text_ in helps.items():
        if not text_.strip():
            problems.append(f"{name} has an empty HELP")
        by_help.setdefault(text_, []).append(name)
    for text_, names in by_help.items():
        if len(names) > 1:
            problems.append(f"{', '.join(names)} share the HELP text '{text_}'")
    for name, type_ in types.items():
        if type_ not in ("counter", "gauge", "histogram", "summary", "untyped"):
            problems.append(f"{name} has the unknown TYPE {type_}")
        if (type_ == "counter") != name.endswith("_total"):
            problems.append(f"{name} is a {type_}: only counters end in _total")
        if "per_second" in name or name.endswith("_rate"):
            problems.append(f"{name} is a precomputed rate: Prometheus computes rate()")
        if re.search(r"_(ms|milliseconds|millis|kb|mb|percent)(_|$)", name):
            problems.append(f"{name} is not in base units (seconds, bytes, ratios)")
        if type_ == "histogram" and not name.endswith("_seconds") and not name.endswith("_bytes"):
            problems.append(f"{name}: a histogram's name ends in its unit")
    return problems, len(families)


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    try:
        problems, count = check(text)
    except Exception as error:  # the parser's own refusal
        print(f"the Prometheus parser refused the exposition: {error}")
        return 1
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"ok {count} families")
    return 0


if __name__ == "__main__":
    sys.exit(main())
