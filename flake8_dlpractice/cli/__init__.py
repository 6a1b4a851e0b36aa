"""The ``dlp`` command (also ``python -m flake8_dlpractice``).

    dlp check [PATHS]     lint files and folders (default: the configured project)
    dlp fix [PATHS]       apply fixes (the same command as ``dlp-fix``)
    dlp rule DLPnnn       a rule's documentation page
    dlp rules             every rule: default or opt-in, fix safety
    dlp lsp               the language server for editors, over stdio (the [lsp] extra)
    dlp --version         the version

Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from ..config import ConfigError

EXIT_ERROR = 2
EPILOG = "Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error."


def say(message: str) -> None:
    sys.stderr.write(f"dlp: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import check

    parser = argparse.ArgumentParser(
        prog="dlp", epilog=EPILOG,
        description="Catch deep-learning mistakes (data leakage, irreproducible runs, training-loop bugs).")
    parser.add_argument("-V", "--version", action="version", version=f"dlp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check_parser = commands.add_parser("check", help="lint files and folders", epilog=EPILOG,
                                       description="Lint files and folders (the same findings as "
                                                   "`flake8 --select DLP`).")
    check.add_arguments(check_parser)
    commands.add_parser("fix", help="apply the fixes findings carry (same as dlp-fix; `dlp fix -h`)",
                        add_help=False)
    rule = commands.add_parser("rule", help="show a rule's documentation page")
    rule.add_argument("code", metavar="CODE", help="a rule code (DLP100) or name (test-data-in-fitting)")
    commands.add_parser("rules", help="list every rule: default or opt-in, fix safety")
    commands.add_parser("lsp", help="run the language server over stdio (needs flake8-dlpractice[lsp])")
    parser.set_defaults(command_parsers={"check": check_parser, "rule": rule})
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["fix"]:
        from .fix import main as fix_main

        return fix_main(argv[1:], prog="dlp fix")
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the usage of the command they were given to, not the top level's
        parser_of = args.command_parsers.get(args.command, parser)
        parser_of.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            return show_rule(args.code)
        if args.command == "rules":
            return list_rules()
        if args.command == "lsp":
            from ..lsp import main as lsp_main

            return lsp_main()
    except ConfigError as exc:
        say(str(exc))
        return EXIT_ERROR
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def run_check(args: argparse.Namespace) -> int:
    from . import check
    from .files import Project

    if args.jobs < 0:
        say("-j must be 0 (one per CPU) or more")
        return EXIT_ERROR
    project = Project.from_options(args.select, args.extend_select, args.ignore, args.exclude)
    paths = args.paths or project.default_paths()
    files, errors = project.files(paths, args.force_exclude)
    for message in errors:
        say(message)
    from ..report import repository_root

    status = check.run(args, files, project.config_of, say, repository_root(project.root()))
    return EXIT_ERROR if errors else status


def _find_rule(code: str):
    from ..rules import ALL_RULES

    for rule in ALL_RULES:
        if code.upper() == rule.code or code.lower() == rule.name:
            return rule
    return None


def show_rule(code: str) -> int:
    """The rule's page as docs/rules.md has it (DLP000's from the report's rule facts)."""
    from ..report import UNANALYSABLE, rule_info

    wanted = code.strip()
    if wanted.upper() == UNANALYSABLE.code or wanted.lower() == UNANALYSABLE.name:
        sys.stdout.write(UNANALYSABLE.page())
        return 0
    rule = _find_rule(wanted)
    if rule is None:
        say(f"{code!r} is not a flake8-dlpractice rule code or name (`dlp rules` lists them)")
        return EXIT_ERROR
    sys.stdout.write(rule_info(rule.code).page())
    return 0


def list_rules() -> int:
    """Every code: DLP000 (``dlp check`` only), then the catalog's rules."""
    from ..report import UNANALYSABLE
    from ..rules import ALL_RULES

    rows = [(UNANALYSABLE.code, UNANALYSABLE.name, "on", UNANALYSABLE.fix, UNANALYSABLE.summary)]
    rows += [(rule.code, rule.name, "on" if rule.default else "opt-in", rule.fix, rule.summary) for rule in ALL_RULES]
    width = max(len(row[1]) for row in rows)
    lines = [f"{'code':<7}  {'name':<{width}}  {'default':<7}  {'fix':<11}  summary"]
    for code, name, default, fix, summary in rows:
        lines.append(f"{code:<7}  {name:<{width}}  {default:<7}  {fix:<11}  {summary}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
