#!/usr/bin/env python3
"""A small service that leaks, for trying heapsnap.

It handles simulated requests. Each request becomes a small record dict that is
"cached" in a module-level dict and never evicted: the leak. It also keeps a
bounded LRU of sessions and a deque of recent events, which churn but do not grow.
After each batch of requests it writes a snapshot with heapsnap.

    python3 examples/leaky_service.py --out /tmp/demo --batches 3
"""

import argparse
import collections
import json
import os
import sys
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "capture-script"))
import heapsnap  # noqa: E402

_RECORD_CACHE = {}  # request id -> parsed record; nothing ever removes entries
_SESSIONS = collections.OrderedDict()  # bounded LRU
_RECENT_EVENTS = collections.deque(maxlen=200)
_SESSION_LIMIT = 100


class Session:
    """A user session: kept in a bounded LRU."""

    __slots__ = ("user", "hits")

    def __init__(self, user):
        self.user = user
        self.hits = 0


_USERS = ["user%d" % i for i in range(300)]
_PATHS = ["/api/items", "/api/orders", "/api/users/me", "/health"]


def handle_request(request_id, body):
    """Parses the body into a record, remembers it (the leak), touches the session."""
    parsed = json.loads(body)
    user = _USERS[parsed["user"]]
    record = {"id": request_id, "user": user, "path": _PATHS[request_id % 4], "status": 200,
              "ts": parsed["ts"], "ok": True, "bytes": len(parsed["payload"])}
    _RECORD_CACHE[request_id] = record
    session = _SESSIONS.pop(user, None) or Session(user)
    session.hits += 1
    _SESSIONS[user] = session
    if len(_SESSIONS) > _SESSION_LIMIT:
        _SESSIONS.popitem(last=False)
    _RECENT_EVENTS.append(("request", request_id))
    return record["bytes"]


def fake_body(i):
    return json.dumps({"user": i % 300, "ts": 1700000000 + i, "payload": "event-%d " % i * 4})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the snapshots")
    parser.add_argument("--batches", type=int, default=3, help="snapshots to write (default 3)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch (default 2000)")
    parser.add_argument("--no-edges", action="store_true", help="leave out reference edges (no retained sizes)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tracemalloc.start(1)  # records where each object was allocated; see README "Allocation sites"
    names = []
    request_id = 0
    for batch in range(1, args.batches + 1):
        for _ in range(args.requests):
            request_id += 1
            handle_request(request_id, fake_body(request_id))
        name = "leaky-%d.hsnap.gz" % batch
        heapsnap.capture(os.path.join(args.out, name), edges=not args.no_edges)
        names.append(name)
        print("wrote", os.path.join(args.out, name))
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"files": names}, f)


if __name__ == "__main__":
    main()
