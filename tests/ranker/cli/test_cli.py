"""Start-up (ranker/cli/main.py): commands that need no model never import torch, and the help table stays true."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ranker.cli.main import COMMAND_HELP, build_parser, main
from tests.ranker.shoots import write_known_shoot

HEAVY = ("torch", "torchvision", "open_clip", "pyiqa")


def loaded_after(code: str, env_extra: dict | None = None, timeout: int = 120) -> dict:
    """Run `code` in a fresh interpreter; report which heavy modules it imported."""
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print('\\nLOADED=' + json.dumps([sorted(m for m in {HEAVY!r} if m in sys.modules),\n"
        "      sorted(m for m in sys.modules if m.startswith('ranker.cli.commands.'))]))\n"
    )
    import os

    env = {**os.environ, **(env_extra or {})}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("LOADED=")][-1]
    heavy, commands = json.loads(line[len("LOADED=") :])
    return {"loaded": heavy, "commands": commands, "stdout": result.stdout, "stderr": result.stderr}


def run_cli(args: list[str]) -> str:
    return (
        "from phototriage_gui.__main__ import main\n"
        f"try:\n    code = main({args!r})\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print('EXIT=', code)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["models"],
        ["rank", "--help"],
        ["models", "personal", "list"],
        ["export", "--help"],
        ["learn", "--help"],
        ["install-desktop", "--help"],
    ],
)
def test_commands_that_need_no_model_import_no_torch(args):
    probe = loaded_after(run_cli(args))
    assert probe["loaded"] == [], f"{args} imported {probe['loaded']}"
    assert "EXIT= 0" in probe["stdout"]


def test_help_lists_every_command_without_importing_any():
    probe = loaded_after(run_cli(["--help"]))
    assert probe["commands"] == []
    for name, help_text in COMMAND_HELP.items():
        assert name in probe["stdout"] and help_text.split(" (")[0][:40] in " ".join(probe["stdout"].split())


def test_the_help_table_matches_each_command(capsys):
    """The table `--help` prints from is the same text each command module registers."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    registered = {action.dest: action.help for action in sub._choices_actions}
    assert registered == COMMAND_HELP
    for name in COMMAND_HELP:
        assert sub.choices[name].get_default("func") is not None, f"{name} sets no func"


def test_only_the_command_run_is_imported():
    imported = loaded_after(run_cli(["models"]))["commands"]
    assert "ranker.cli.commands.models" in imported
    assert not {"ranker.cli.commands.rank", "ranker.cli.commands.train", "ranker.cli.commands.learn"} & set(imported)


def test_unknown_command_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["rnak"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "rank" in capsys.readouterr().out


@pytest.mark.slow
def test_cached_rerank_with_the_default_imports_no_torch(tmp_path):
    """The second `rank` of a folder scores its cached features with NumPy: torch is never imported."""
    folder = tmp_path / "shoot"
    best = write_known_shoot(folder, sources=("astronaut", "chelsea"), size=256)
    first = loaded_after(run_cli(["rank", str(folder), "--quiet"]))
    assert "EXIT= 0" in first["stdout"]
    again = loaded_after(run_cli(["rank", str(folder), "--quiet", "--json", str(tmp_path / "r.json")]))
    assert again["loaded"] == [] and "EXIT= 0" in again["stdout"]
    assert "12 from cache" in again["stdout"]
    ranking = json.loads((tmp_path / "r.json").read_text())
    tops = {burst["photos"][0]["path"].rsplit("/", 1)[-1] for burst in ranking["bursts"]}
    assert tops == set(best.values())


def test_the_entry_point_gives_numpy_one_blas_thread_unless_the_user_chose():
    code = run_cli(["--help"]) + "import os; print('BLAS', os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert "BLAS 1" in result.stdout
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "OPENBLAS_NUM_THREADS": "3"},
    )
    assert "BLAS 3" in result.stdout
