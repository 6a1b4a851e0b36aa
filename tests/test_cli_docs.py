"""README, docs/configuration.md and docs/ci.md say what the code does: options with their defaults,
examples that the configuration reader, the ``dlp`` parser and pre-commit accept, sample output
that is the real output."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_dlpractice.cli import build_parser
from flake8_dlpractice.cli.fix import build_parser as build_fix_parser
from flake8_dlpractice.config import DEFAULT_EXCLUDE, OPTIONS, from_table
from flake8_dlpractice.config import tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (the test extra)")


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_configuration_lists_every_option_with_its_default():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| `([^`]*)` \|", text, re.M))
    assert list(rows) == [option.name for option in OPTIONS]
    for option in OPTIONS:
        assert tomllib.loads(f"v = {rows[option.name]}")["v"] == option.default, option.name
    assert all(f"`{pattern}`" in text for pattern in DEFAULT_EXCLUDE)


def test_configuration_examples_are_accepted(tmp_path):
    for block in blocks(DOCS / "configuration.md", "toml"):
        table = tomllib.loads(block)["tool"]["dlpractice"]
        from_table(table, tmp_path, "docs")  # raises ConfigError on anything unknown
    for block in blocks(DOCS / "configuration.md", "ini"):
        assert "extend-select = DLP" in block


def _dlp_commands(text: str) -> list[list[str]]:
    out = []
    for line in text.splitlines():
        match = re.search(r"\b(dlp(?:-fix)? .*?)(?:\s+#.*)?$", line)
        if match and not line.lstrip().startswith(("#", "- id", "id:", "name:")):
            out.append(shlex.split(match.group(1)))
    return out


def _parses(args: list[str]) -> None:
    """The command line is accepted by the parser (``--version`` exits 0, an error would exit 2)."""
    try:
        if args[0] == "dlp-fix" or args[1] == "fix":
            build_fix_parser().parse_args(args[1 if args[0] == "dlp-fix" else 2:])
        else:
            build_parser().parse_args(args[1:])
    except SystemExit as exc:
        assert exc.code == 0, args


def test_ci_examples_are_valid():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    commands = []
    for block in blocks(DOCS / "ci.md", "yaml"):
        document = yaml.safe_load(block)
        for repo in document.get("repos", []) if isinstance(document, dict) else []:
            for hook in repo["hooks"]:
                assert repo["repo"] == "local" or hook["id"] in hooks
                if "entry" in hook:
                    assert hook["entry"] == hooks[hook["id"]]["entry"]
                    assert hook["types_or"] == hooks[hook["id"]]["types_or"]
        steps = [step.get("run", "") for job in document.get("jobs", {}).values() for step in job["steps"]]
        scripts = [line for job in document.values() if isinstance(job, dict) for line in job.get("script", [])]
        commands += [c for text in steps + scripts for c in _dlp_commands(text)]
    for block in blocks(DOCS / "ci.md", "sh"):
        commands += _dlp_commands(block)
    assert len(commands) >= 8
    for args in commands:
        _parses(args)
    assert {hook["entry"] for hook in hooks.values()} == {"dlp check --force-exclude", "dlp fix --force-exclude"}
    assert all(hook["types_or"] == ["python", "jupyter"] for hook in hooks.values())


def test_readme_commands_parse():
    for block in blocks(ROOT / "README.md", "sh"):
        for args in _dlp_commands(block):
            if args[0] == "dlp" or args[0] == "dlp-fix":
                _parses(args)


def test_readme_sample_output_is_the_real_output():
    """The README's ``$ dlp check ...`` sample is what the command prints today."""
    samples = [b for b in blocks(ROOT / "README.md", "text") if b.startswith("$ dlp ")]
    assert samples
    for sample in samples:
        command, expected = sample.split("\n", 1)
        args = shlex.split(command[2:])
        proc = subprocess.run([sys.executable, "-m", "flake8_dlpractice", *args[1:]], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        assert proc.stdout == expected, f"README sample of {command!r} is out of date:\n{proc.stdout}"


def test_exit_status_tables_agree():
    for path in (DOCS / "ci.md", ROOT / "README.md"):
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert "0 no findings" in text or "| 0 | no findings" in text, path
        assert "2 usage, configuration or I/O error" in text or "| 2 | usage error" in text, path
    epilog = build_parser().epilog
    assert epilog == "Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error."
