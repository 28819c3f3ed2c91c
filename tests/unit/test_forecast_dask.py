"""The same forecast run through statsforecast's Dask backend gives the same numbers as the local run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qudao.engines.forecast import ForecastOptions, run_forecast

distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
pytestmark = pytest.mark.distributed


def test_local_dask_cluster_gives_the_local_numbers():
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    frame = pd.concat([
        pd.DataFrame({"unique_id": "smooth", "ds": days, "y": 20 + 5 * np.sin(np.arange(70)) + rng.normal(0, 1, 70)}),
        pd.DataFrame({"unique_id": "sparse", "ds": days, "y": (rng.random(70) < 0.3) * 3.0}),
    ])
    local = run_forecast(frame, 7, "D", options=ForecastOptions(n_jobs=1)).forecast
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        remote = run_forecast(frame, 7, "D", options=ForecastOptions(dask_scheduler=cluster.scheduler_address,
                                                                     dask_partitions=2)).forecast
    pd.testing.assert_frame_equal(local, remote, rtol=1e-6)
