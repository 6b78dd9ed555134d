"""The diagnostic log: unexpected errors keep their traceback, user errors stay one clear line."""

from __future__ import annotations

import argparse
import logging

import pytest

from ranker import logs
from ranker.cli import main as cli
from ranker.cli.commands import models as models_command
from ranker.errors import UsageError


@pytest.fixture(autouse=True)
def _fresh_log():
    logs.stop_logging()
    yield
    logs.stop_logging()


def _boom(exc: BaseException):
    def main(args: argparse.Namespace) -> int:
        raise exc

    return main


def test_log_lives_in_the_data_dir_and_follows_it(tmp_path, monkeypatch):
    first = logs.setup_logging("test")
    assert first == logs.log_file() and first.parent.name == "logs"
    logging.getLogger("ranker.anything").info("hello from a module")
    assert "hello from a module" in first.read_text(encoding="utf-8")
    monkeypatch.setenv("PHOTOTRIAGE_DATA_DIR", str(tmp_path / "elsewhere"))
    second = logs.setup_logging("test")
    assert second != first and second.is_relative_to(tmp_path / "elsewhere")
    logging.getLogger("phototriage_gui.view").warning("now here")
    assert "now here" in second.read_text(encoding="utf-8")
    assert "now here" not in first.read_text(encoding="utf-8")


def test_a_bug_is_reported_with_its_traceback_in_the_log(monkeypatch, capsys):
    monkeypatch.setattr(models_command, "main", _boom(ZeroDivisionError("division by zero in a model")))
    assert cli.main(["models"]) == 1
    err = capsys.readouterr().err
    assert "unexpected error in phototriage models: ZeroDivisionError: division by zero in a model" in err
    assert str(logs.log_file()) in err
    text = logs.log_file().read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text


def test_a_plain_value_error_is_a_bug_not_the_users_mistake(monkeypatch, capsys):
    monkeypatch.setattr(models_command, "main", _boom(ValueError("internal shape mismatch")))
    assert cli.main(["models"]) == 1
    assert "unexpected error" in capsys.readouterr().err
    assert "internal shape mismatch" in logs.log_file().read_text(encoding="utf-8")


def test_a_usage_error_is_one_line_without_traceback(tmp_path, capsys):
    assert cli.main(["rank", str(tmp_path), "--address", "ray://nowhere:10001"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "phototriage: --address needs --engine ray"
    assert "Traceback" not in logs.log_file().read_text(encoding="utf-8")


def test_usage_errors_are_value_errors_for_callers():
    assert issubclass(UsageError, ValueError)


def test_an_unwritable_data_dir_leaves_the_command_running(tmp_path, monkeypatch, capsys):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "logs").write_text("a file where the log folder should be")
    monkeypatch.setenv("PHOTOTRIAGE_DATA_DIR", str(blocked))
    assert logs.setup_logging("test") is None
    assert "cannot write the log" in capsys.readouterr().err
    assert "(traceback in" not in logs.log_unexpected("test", RuntimeError("x"))
