"""Writes the poison corpus: one message body per file, and `expected.tsv` with what the
processor must do with each (reject, with a fragment of the reason, or accept and store it as
sent). Run it again after changing it: `python3 processor/tests/poison/make_corpus.py`.

Bodies are valid UTF-8 (SQS bodies are strings) and under SQS's 1 MiB limit; the processor's
own limit is 16 KiB, so the 1 MB strings are refused on size before any parsing.
"""

import json
import pathlib

HERE = pathlib.Path(__file__).parent
NOW_MS = 1_762_700_000_000  # the instant the test processes the corpus at (fixture_now)
TS = 1_762_607_658_821

QUERY = {
    "eventType": "query",
    "requestId": "poison-query",
    "timestamp": TS,
    "sessionId": "anonymous",
    "query": "Do you know Rust?",
    "metadata": {"userAgent": "Mozilla/5.0", "referer": "https://example.dev/cv"},
}
RESPONSE = {
    "eventType": "response",
    "requestId": "poison-response",
    "timestamp": TS + 900,
    "matchType": "full",
    "matchScore": 87,
    "reasoning": "The CV lists Rust.",
    "vectorMatches": 3,
    "sessionId": "anonymous",
    "metadata": {"matchQuality": 0.87, "sourcesUsed": ["Rust", "AWS Lambda"]},
}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;\u202egnp.exe\r\nBcc: evil@example.com'

entries = []  # (name, body, outcome, reason fragment)


def with_(base, path, value, delete=False):
    event = json.loads(json.dumps(base))
    target = event
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


def reject(name, body, fragment):
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)
    entries.append((name, body, "reject", fragment))


def accept(name, body):
    entries.append((name, json.dumps(body, ensure_ascii=False), "accept", ""))


q, r = QUERY, RESPONSE
qs = json.dumps(q)

# Not JSON, or not an object.
reject("not-json-text", "hello, world", "not JSON")
reject("not-json-xml", "<event type='query'/>", "not JSON")
reject("empty-body", "", "not JSON")
reject("whitespace-body", "   \n\t ", "not JSON")
reject("json-null", "null", "object")
reject("json-number", "42", "object")
reject("json-string", '"query"', "object")
reject("json-array", json.dumps([q]), "object")
reject("json-with-comment", "// a comment\n" + qs, "not JSON")
reject("trailing-garbage", qs + "}", "not JSON")
reject("byte-order-mark", "\ufeff" + qs, "not JSON")
reject("single-quoted", qs.replace('"', "'"), "not JSON")

# Truncated JSON.
for cut in (1, len(qs) // 3, len(qs) // 2, len(qs) - 1):
    reject(f"truncated-at-{cut}", qs[:cut], "not JSON")

# eventType.
reject("missing-event-type", with_(q, ["eventType"], None, delete=True), "eventType")
reject("null-event-type", with_(q, ["eventType"], None), "eventType")
reject("unknown-event-type", with_(q, ["eventType"], "click"), "click")
reject("upper-case-event-type", with_(q, ["eventType"], "QUERY"), "QUERY")
reject("numeric-event-type", with_(q, ["eventType"], 1), "eventType")
reject("object-event-type", with_(q, ["eventType"], {"type": "query"}), "eventType")

# requestId.
reject("missing-request-id", with_(q, ["requestId"], None, delete=True), "requestId")
reject("empty-request-id", with_(q, ["requestId"], ""), "requestId")
reject("numeric-request-id", with_(q, ["requestId"], 12345), "requestId")
reject("huge-request-id", with_(q, ["requestId"], "a" * 10_000), "requestId")
reject("path-request-id", with_(q, ["requestId"], "../../etc/passwd"), "requestId")
reject("html-request-id", with_(q, ["requestId"], "<script>alert(1)</script>"), "requestId")
reject("space-request-id", with_(q, ["requestId"], "abc def"), "requestId")

# Timestamps.
reject("timestamp-in-seconds", with_(q, ["timestamp"], TS // 1000), "seconds")
reject("negative-timestamp", with_(q, ["timestamp"], -TS), "timestamp")
reject("zero-timestamp", with_(q, ["timestamp"], 0), "timestamp")
reject("far-future-timestamp", with_(q, ["timestamp"], 32_503_680_000_000), "future")
reject("string-timestamp", with_(q, ["timestamp"], str(TS)), "timestamp")
reject("float-timestamp", with_(q, ["timestamp"], TS + 0.5), "timestamp")
reject("huge-timestamp", qs.replace(str(TS), "1" + "0" * 30), "timestamp")
reject("response-timestamp-in-seconds", with_(r, ["timestamp"], TS // 1000), "seconds")

# Wrong types and ranges.
reject("query-is-object", with_(q, ["query"], {"text": "hi"}), "query")
reject("query-is-null", with_(q, ["query"], None), "query")
reject("empty-query", with_(q, ["query"], ""), "query")
reject("session-is-number", with_(q, ["sessionId"], 7), "sessionId")
reject("metadata-is-array", with_(q, ["metadata"], ["Mozilla"]), "metadata")
reject("match-type-unknown", with_(r, ["matchType"], "perfect"), "matchType")
reject("match-score-string", with_(r, ["matchScore"], "87"), "matchScore")
reject("match-score-over-100", with_(r, ["matchScore"], 101), "matchScore")
reject("match-score-negative", with_(r, ["matchScore"], -1), "matchScore")
reject("match-score-overflow", json.dumps(r).replace('"matchScore": 87', '"matchScore": 1e400'), "not JSON")
reject("sources-is-string", with_(r, ["metadata", "sourcesUsed"], "Rust"), "sourcesUsed")
reject("too-many-sources", with_(r, ["metadata", "sourcesUsed"], [f"s{i}" for i in range(500)]), "sourcesUsed")
reject("cache-hit-string", with_(r, ["performance"], {"cacheHit": "yes"}), "cacheHit")
reject("negative-total-time", with_(r, ["performance"], {"totalTime": -5}), "totalTime")
reject("duplicate-request-id-key", qs.replace('"requestId": "poison-query"', '"requestId": "a", "requestId": "b"'), "duplicate")

# Strings far beyond the limits; 1 MB strings.
reject("query-over-limit", with_(q, ["query"], "why? " * 300), "query")
reject("reasoning-over-limit", with_(r, ["reasoning"], "x" * 5_000), "reasoning")
reject("query-1mb", with_(q, ["query"], "A" * 1_000_000), "16384")
reject("reasoning-1mb", with_(r, ["reasoning"], "\u00e9" * 500_000), "16384")
reject("user-agent-1mb", with_(q, ["metadata", "userAgent"], "Mozilla/" * 125_000), "16384")

# Deep nesting.
deep = '{"eventType":"query","requestId":"deep","timestamp":%d,"query":"q","metadata":%s}' % (
    TS, "[" * 5_000 + "]" * 5_000)
reject("nested-5000-deep", deep, "not JSON")
reject("nested-object-in-metadata", with_(q, ["metadata"], {"userAgent": {"a": {"b": {"c": 1}}}}), "userAgent")

# Invalid escapes.
reject("lone-high-surrogate", qs.replace("Do you know Rust?", "Do you \\ud800 know Rust?"), "not JSON")
reject("lone-low-surrogate", qs.replace("Do you know Rust?", "\\udc00"), "not JSON")
reject("bad-unicode-escape", qs.replace("Do you know Rust?", "\\uZZZZ"), "not JSON")
reject("short-unicode-escape", qs.replace("Do you know Rust?", "\\u12"), "not JSON")
reject("raw-newline-in-string", qs.replace("Do you know Rust?", "Do you\nknow Rust?"), "not JSON")

# Hostile text in every string field: accepted and stored exactly as sent.
accept("html-in-query", with_(with_(q, ["query"], HOSTILE), ["requestId"], "hostile-1"))
accept("html-in-session", with_(with_(q, ["sessionId"], HOSTILE), ["requestId"], "hostile-2"))
accept("html-in-user-agent", with_(with_(q, ["metadata", "userAgent"], HOSTILE), ["requestId"], "hostile-3"))
accept("html-in-referer", with_(with_(q, ["metadata", "referer"], HOSTILE), ["requestId"], "hostile-4"))
accept("html-in-reasoning", with_(with_(r, ["reasoning"], HOSTILE), ["requestId"], "hostile-5"))
accept("html-in-sources", with_(with_(r, ["metadata", "sourcesUsed"], [HOSTILE, "</td></tr></table>"]), ["requestId"], "hostile-6"))
accept("html-in-response-session", with_(with_(r, ["sessionId"], HOSTILE), ["requestId"], "hostile-7"))
accept("nul-and-controls-in-query", with_(with_(q, ["query"], "a\u0000b\u0007c\u001bd"), ["requestId"], "hostile-8"))
accept("right-to-left-override", with_(with_(q, ["query"], "\u202eevil\u202c \u200f\u2066x\u2069"), ["requestId"], "hostile-9"))
accept("unknown-extra-keys", with_(with_(q, ["extra"], {"nested": [1, 2, {"x": None}]}), ["requestId"], "hostile-10"))
accept("astral-plane-text", with_(with_(q, ["query"], "\U0001F600 \U0001D54F \U00010348?"), ["requestId"], "hostile-11"))
accept("long-unbroken-word", with_(with_(q, ["query"], "W" * 1_000), ["requestId"], "hostile-12"))
# "metadata": null is empty metadata, as {} is.
accept("null-query-metadata", with_(with_(q, ["metadata"], None), ["requestId"], "null-metadata-1"))
accept("null-response-metadata", with_(with_(r, ["metadata"], None), ["requestId"], "null-metadata-2"))
# Every field within its own limit, the body beyond the processor's: a schema bounds the fields,
# not the body, so this is one of the refusals a schema cannot make.
within = with_(q, ["query"], "\U0001F600" * 1_000)
within = with_(within, ["metadata", "userAgent"], "\U0001F600" * 2_048)
within = with_(within, ["metadata", "referer"], "\U0001F600" * 2_048)
reject("fields-within-limits-body-over-16kb", json.dumps(within, ensure_ascii=False), "16384")

for old in HERE.glob("*.body"):
    old.unlink()
lines = ["# file\toutcome\treason fragment"]
for i, (name, body, outcome, fragment) in enumerate(entries, 1):
    file = f"{i:02d}-{name}.body"
    (HERE / file).write_text(body, encoding="utf-8")
    assert len(body.encode()) < 1024 * 1024, file
    lines.append(f"{file}\t{outcome}\t{fragment}")
(HERE / "expected.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
print(f"{len(entries)} bodies written to {HERE}")
