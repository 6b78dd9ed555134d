"""Catalog decisions and choices: committed at once, surviving a reopen and a kill."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from tests.ranker.catalog_photo import add_photo as _photo


def test_decisions_survive_reopen(tmp_path):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
        catalog.set_decision(pid, Decision("pick", 3, "red"))
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("pick", 3, "red")
        assert catalog.decision(pid + 1) == Decision()


def test_a_decision_survives_a_kill_right_after_it_is_made(tmp_path):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
    code = textwrap.dedent(f"""
        import os, signal
        from ranker.store.catalog import Catalog
        from ranker.decisions import Decision
        c = Catalog({str(path)!r})
        c.set_decision({pid}, Decision("reject", 1, None))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", code], timeout=60, env={**os.environ})
    assert result.returncode == -signal.SIGKILL
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("reject", 1, None)


def test_choices_round_trip(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        a, b = _photo(catalog, "a.jpg", "fa"), _photo(catalog, "b.jpg", "fb")
        choice = catalog.add_choice(a, b)
        assert catalog.choices()[0][:4] == (choice, a, b, "compare")
        catalog.remove_choice(choice)
        assert catalog.choices() == []
        with pytest.raises(ValueError):
            catalog.add_choice(a, a)
