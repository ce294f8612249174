"""The README's commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path


def _fenced_commands(readme: str) -> list[str]:
    blocks = readme.split("```")
    return [
        line.strip()
        for block in blocks[1::2]
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith(("#", "bash", "sh"))
    ]


def test_ci_runs_the_readme_test_command(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    commands = _fenced_commands(readme)
    test_cmd = next(c for c in commands if c.endswith("pytest"))
    build_cmd = next(c for c in commands if c.endswith("zonemap build"))
    assert readme.index(build_cmd) < readme.index(test_cmd) < readme.index("## ")
    ci = (repo_root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_cmd in ci
    # the main job runs first, exactly as written, then the tests
    assert build_cmd in ci
    assert ci.index(build_cmd) < ci.index(test_cmd)


CHECKS = "ruff check && ruff format --check && mypy src"


def test_ci_runs_the_lint_format_and_type_checks(repo_root: Path) -> None:
    ci = (repo_root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    test_cmd = next(c for c in _fenced_commands(readme) if c.endswith("pytest"))
    # after the tests, in the venv the test command made (set -e: a failing check fails CI)
    assert CHECKS in ci and ci.index(test_cmd) < ci.index(CHECKS)
    assert "set -euo pipefail" in ci
    assert CHECKS in readme  # the README says which checks hold the code
    # the tools are pinned in the dev extra, and the test extra installs the same pins
    pyproject = (repo_root / "pyproject.toml").read_text(encoding="utf-8")
    dev = next(line for line in pyproject.splitlines() if line.startswith("dev = ["))
    for pin in ("ruff==", "mypy=="):
        assert pin in dev
        assert pyproject.count(pin) == 2


def test_ci_checks_what_the_main_job_wrote(repo_root: Path) -> None:
    ci = (repo_root / ".ci" / "run").read_text(encoding="utf-8")
    for output in ("maps/fenggang.html", "maps/dongcheng.html", "maps/index.html", "maps/reconciliation.html"):
        assert output in ci
