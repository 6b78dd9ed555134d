"""benchmarks/cluster.py's arithmetic and its writer measurement (the Ray runs are the benchmark's own job)."""

from benchmarks import cluster


def test_projection_is_capped_by_the_slower_driver_stage():
    rows = {r["workers"]: r for r in cluster.projection(per_worker=10.0, scan=700.0, writer=2000.0)}
    assert rows[1]["photos_per_s"] == 10.0 and rows[1]["limited_by"] == "workers"
    assert rows[32]["photos_per_s"] == 320.0 and abs(rows[32]["writer_busy"] - 0.16) < 1e-9
    assert rows[100]["photos_per_s"] == 700.0 and rows[100]["limited_by"] == "driver scan"
    rows = {r["workers"]: r for r in cluster.projection(per_worker=10.0, scan=5000.0, writer=900.0)}
    assert rows[100]["photos_per_s"] == 900.0 and rows[100]["limited_by"] == "catalog writer"


def test_the_writer_commits_what_the_pipeline_writes():
    measured = cluster.writer_rate(photos=40, batch=16)
    assert measured["photos"] == 40 and measured["photos_per_s"] > 0
    assert "descriptor" in measured["extractors"]
