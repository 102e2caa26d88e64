"""`flask import` and `flask export` point operators at README sections: those sections exist,
under the names the help gives, and show a command for every source the CLI knows."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from service.cli.portability import READERS, export_command, import_group

README = Path(__file__).resolve().parents[2] / "README.md"


def _help_texts(command: click.Command) -> list[str]:
    """The command's help, its options' help, and the same for each subcommand."""
    texts = [command.help or ""]
    texts += [getattr(param, "help", None) or "" for param in command.params]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            texts += _help_texts(sub)
    return texts


def _pointers(command: click.Command) -> set[str]:
    return {
        name.strip()
        for text in _help_texts(command)
        for name in re.findall(r"README: ([A-Za-z][\w ]*?)\)", " ".join(text.split()))
    }


def _sections() -> dict[str, str]:
    """The README's top-level sections, heading -> text."""
    parts = re.split(r"^## (.+)$", README.read_text(), flags=re.MULTILINE)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize(
    ("command", "expected"), [(import_group, {"Import"}), (export_command, {"Export"})]
)
def test_the_readme_has_the_sections_the_cli_help_points_at(command, expected):
    pointers = _pointers(command)
    assert pointers == expected
    assert pointers <= _sections().keys()


@pytest.mark.parametrize("source", sorted(READERS))
def test_the_import_section_shows_a_command_for_every_source(source):
    assert f"flask --app wsgi import {source} " in _sections()["Import"]


@pytest.mark.parametrize("option", ["--article-key", "--article-key-pattern", "--source-name"])
def test_the_import_section_explains_every_option(option):
    assert f"`{option}" in _sections()["Import"]


@pytest.mark.parametrize("format_", ["json", "wxr"])
def test_the_export_section_shows_every_format(format_):
    assert f"flask --app wsgi export --format {format_} -o " in _sections()["Export"]
