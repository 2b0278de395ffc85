#!/usr/bin/env python3
"""The heap of a process that uses common libraries, then one capture method, measured.

    target/bench-venv/bin/python bench/library_heap.py METHOD OUT [--then OUT2]

Django (models, templates), SQLAlchemy (20,000 rows loaded through a session), pandas and
numpy (a 200,000-row DataFrame and what groupby and describe make), requests, and 100,000 JSON
records: about 1.3M objects, with the shared references, many-attribute instances, classes,
functions and code objects of a real service, which the synthetic heap of heap_app.py lacks.
METHOD and the printed JSON are those of heap_app.py. With --then, 5,000 more rows are kept in
a list and 10,000 more records in another, and heapsnap captures again to OUT2: a pair from one
process for the analyzer. run.py makes the virtual environment (pinned versions, see
LIBRARIES there).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "capture-script"))

from heap_app import heapsnap_method, measure, seed_method  # noqa: E402


def build():
    import numpy as np
    import pandas as pd
    import requests
    import django
    from django.conf import settings
    settings.configure(DEBUG=False, INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
                       TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
                       DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    django.setup()
    from django.contrib.auth.models import User
    from django.template import Context, Template
    import sqlalchemy as sa
    from sqlalchemy.orm import Session, declarative_base

    Base = declarative_base()

    class Order(Base):
        __tablename__ = "orders"
        id = sa.Column(sa.Integer, primary_key=True)
        user = sa.Column(sa.String)
        total = sa.Column(sa.Float)

    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    db = Session(engine)
    db.add_all([Order(user="u%d" % i, total=i * 1.5) for i in range(20000)])
    db.flush()
    orders = db.query(Order).all()
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": np.arange(200000), "b": rng.random(200000), "c": ["s%d" % (i % 1000) for i in range(200000)]})
    frames = [df, df.groupby("c").sum(), df.describe()]
    users = [User(username="user%d" % i, email="u%d@example.org" % i) for i in range(5000)]
    page = Template("{% for u in users %}{{ u.username }}{% endfor %}").render(Context({"users": users[:100]}))
    client = requests.Session()
    records = [json.loads('{"id": %d, "tags": ["a", "b"], "v": %d.5}' % (i, i)) for i in range(100000)]
    return [db, orders, frames, users, page, client, records, Order]


def grow(heap):
    """More rows, kept (the session's identity map holds them weakly), and more records."""
    db, Order = heap[0], heap[-1]
    rows = [Order(user="late%d" % i, total=i * 2.5) for i in range(5000)]
    db.add_all(rows)
    db.flush()
    heap.append(rows)
    heap.append([json.loads('{"id": %d, "late": true}' % i) for i in range(10000)])


def main():
    method, out = sys.argv[1], sys.argv[2]
    then = sys.argv[4] if sys.argv[3:4] == ["--then"] else None
    import heapsnap  # noqa: F401  (imported before measuring, as a service would have it)
    if method == "seed":
        from pympler import muppy  # noqa: F401
    heap = build()
    measure(method, out, lambda: seed_method(out) if method == "seed" else heapsnap_method(out))
    if then:
        grow(heap)
        heapsnap_method(then)
    del heap


if __name__ == "__main__":
    main()
