"""Time ``qudao.demand.history.load_history`` on a loaded demo database (day, week and month grains).

    QUDAO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/demand_history.py
    (load the database first with ``qudao demo --scale large``; prints rows and seconds per grain)
"""

from __future__ import annotations

import argparse
import os
import time

from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory
from qudao.demand.history import load_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("QUDAO_DATABASE_URL", "sqlite:///qudao.db"))
    parser.add_argument("--grains", default="day,week,month")
    args = parser.parse_args()
    engine = make_engine(args.url)
    factory = make_session_factory(engine)
    for grain in args.grains.split(","):
        with factory() as session:
            began = time.perf_counter()
            frame = load_history(session, SYSTEM, grain=grain)  # type: ignore[arg-type]
            took = time.perf_counter() - began
        series = frame.select("product_id", "location_id", "channel_id").n_unique()
        print(f"{engine.dialect.name:<10} grain={grain:<5} rows={frame.height:>10,} series={series:>7,} "
              f"seconds={took:6.2f} rows/s={frame.height / took:>12,.0f}")
    engine.dispose()


if __name__ == "__main__":
    main()
