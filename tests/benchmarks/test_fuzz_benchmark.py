"""The fuzz benchmark's worker: a hung file is counted as hung and the run goes on; bombs are handled."""

from __future__ import annotations

import os

import pytest

from benchmarks import fuzz
from tests import fault_files


@pytest.mark.timeout(200)
def test_bombs_are_handled_and_a_hang_is_counted_not_waited_on(tmp_path, monkeypatch):
    loop = fault_files.ifd_loop_raw(tmp_path / "loop.CR2", 4096)
    flood = fault_files.xmp_flood(tmp_path / "flood.jpg", 1.5)
    hang = tmp_path / "hang.jpg"
    os.mkfifo(hang)
    outcomes = fuzz.run_cases([loop, flood], limit=20)
    assert {p: o for p, (o, _, _) in outcomes.items()} == {loop: "handled", flood: "handled"}
    # a file that blocks a plain open() (what a FIFO did to the fingerprint) must count as hung
    monkeypatch.setattr(fuzz, "_worker", _blocking_worker)
    outcomes = fuzz.run_cases([hang, loop], limit=2)
    assert outcomes[hang][0] == "hung" and outcomes[loop][0] == "handled"


def _blocking_worker(jobs, results):
    results.put(fuzz.READY)
    for path in iter(jobs.get, None):
        with open(path, "rb"):  # blocks forever on a FIFO without a writer
            pass
        results.put((path, "handled", ""))
