"""The practice latency benchmark runs its real path on the fake client (no timing asserted)."""

from __future__ import annotations

import math

from benchmarks.practice_latency import percentile, run


async def test_the_benchmark_times_every_turn_on_the_fake_client():
    result = await run(1, 3, ["en-reserved", "zh-reserved"], fake=True, threads=2)
    assert result["engine"] == "fake" and list(result["turns"]) == [1, 2, 3]
    for row in result["turns"].values():
        assert row["n"] == 2
        assert 0 <= row["first_p50"] <= row["first_p95"] and not math.isnan(row["full_p95"])
    assert result["client_prefix_share"] > 0.5  # each turn's prompt extends the last


def test_percentile_is_nearest_rank():
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 95) == 4.0
