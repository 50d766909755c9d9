"""Rewrite the generated sections of docs/ from the code (`make docs`).

Each section sits between two markers in its file; everything else in the docs is written by
hand. tests/test_docs.py fails when a section differs from what the code gives now.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner import vocab  # noqa: E402
from runner.config.ready import ready_configs, summary  # noqa: E402
from runner.report.markdown import pipe_table, splice_section  # noqa: E402
from runner.store.atomic import atomic_write  # noqa: E402
from runner.vocab import axes, losses, releases  # noqa: E402

HELP_WIDTH = 100  # fixed, so that the reference does not depend on the terminal


def keras_docs(entry: object) -> str | None:
    """Where Keras documents an activation or a loss (None for the other axes)."""
    if isinstance(entry, axes.Activation):
        return f"https://keras.io/api/layers/activations/#{entry.keras or 'linear'}-function"
    if isinstance(entry, losses.Loss):
        page = {"margin": "hinge", "distance": "regression"}.get(entry.compares, "probabilistic")
        return f"https://keras.io/api/losses/{page}_losses/#{entry.keras_class.lower()}-class"
    return None


def axes_table() -> str:
    """Every value of every axis, its aliases and what it is (linked to Keras's docs)."""
    rows = []
    for axis, registry in (("encoding", vocab.ENCODINGS), ("activation", vocab.ACTIVATIONS),
                           ("loss", vocab.LOSSES), ("metric", vocab.METRICS),
                           ("framework", vocab.FRAMEWORKS)):
        for entry in registry:
            aliases = ", ".join(f"`{a}`" for a in entry.aliases)
            reference = getattr(entry, "reference", "accuracy")
            note = "" if reference else " (no reference: never `misleading`)"
            docs = keras_docs(entry)
            value = f"[`{entry.name}`]({docs})" if docs else f"`{entry.name}`"
            rows.append((axis, value, aliases, entry.description + note))
    return pipe_table(("axis", "value", "also accepted", "what it is"), rows) + "\n"


def datasets_table() -> str:
    """The catalogued datasets: part, classes, sources (the first is the default), stand-in."""
    return pipe_table(("name", "part", "classes", "sources", "offline stand-in", "what it is"), (
        (f"`{spec.name}`", spec.part,
         f"{spec.num_classes} {'labels' if spec.multi_label else 'classes'}",
         ", ".join(f"`{s}`" for s in spec.sources),
         "" if spec.stand_in == spec.name else f"`{spec.stand_in}`", spec.description)
        for spec in vocab.DATASETS)) + "\n"


def backbones_table() -> str:
    """Every `keras.applications` base: its name, class, smallest side, features, family."""
    return pipe_table(
        ("name", "Keras", "smallest side", "features", "family", "default preprocessing"),
        ((f"`{spec.name}`", f"`{spec.keras_class}`", spec.min_input_size, spec.feature_dim,
          spec.family, f"`{spec.default_preprocessing}`") for spec in vocab.BACKBONES)) + "\n"


def ready_table() -> str:
    """The ready configs: each name and its summary line (the file's first comment)."""
    return pipe_table(("name", "what"), ((f"`{name}`", summary(path))
                                         for name, path in ready_configs().items())) + "\n"


def releases_table() -> str:
    """The releases an environment can pin, per package, newest first."""
    return pipe_table(("package", "releases"), ((f"`{package}`", ", ".join(reversed(known)))
                                              for package, known in releases.RELEASES.items())
                      ) + "\n"


def cli_reference() -> str:
    """`cheatgrid --help` and each subcommand's help, as code blocks."""
    from runner.cli.main import build_parser

    parser = build_parser()
    parsers = [("cheatgrid", parser)]
    for action in parser._subparsers._group_actions:  # argparse's only way to the subparsers
        if isinstance(action, argparse._SubParsersAction):
            parsers += [(f"cheatgrid {name}", sub) for name, sub in action.choices.items()]
    blocks = []
    for title, p in parsers:
        p.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=HELP_WIDTH)
        blocks.append(f"### `{title}`\n\n```\n{p.format_help().rstrip()}\n```\n")
    return "\n".join(blocks)


def constraints_table() -> str:
    """The constraints as a Markdown table, for the docs."""
    lines = ["| when | needs | why |", "|---|---|---|"]
    lines += [f"| {c.package} {c.versions} | {c.requires} {c.allowed} | {c.why} |"
              for c in releases.CONSTRAINTS]
    lines += [f"| {p} {v} | `{a}` installed beside it | {why} |" for p, v, a, why in releases.ADDED]
    return "\n".join(lines) + "\n"


# (file under docs/, section name, where it comes from, what writes it)
GENERATED: tuple[tuple[str, str, str, Callable[[], str]], ...] = (
    ("config.md", "axes", "runner/vocab/axes.py", axes_table),
    ("config.md", "ready-configs", "runner/configs/*.yaml", ready_table),
    ("data.md", "datasets", "runner/vocab/datasets.py", datasets_table),
    ("data.md", "backbones", "runner/vocab/backbones.py", backbones_table),
    ("cli.md", "cli", "runner/cli/main.py", cli_reference),
    ("releases.md", "known-releases", "runner/vocab/releases.py", releases_table),
    ("releases.md", "constraints", "runner/vocab/releases.py", constraints_table),
)


def render(docs: pathlib.Path) -> dict[pathlib.Path, str]:
    """Each doc file with its generated sections as the code gives them now.

    Raises:
        ValueError: a doc lacks the markers of one of its sections.
    """
    texts: dict[pathlib.Path, str] = {}
    for name, section, source, write in GENERATED:
        path = docs / name
        text = texts.get(path) or path.read_text(encoding="utf-8")
        begin = f"<!-- {section}:begin (generated by scripts/docs.py from {source}) -->"
        texts[path] = splice_section(text, write(), begin, f"<!-- {section}:end -->")
    return texts


def main() -> int:
    for path, text in render(ROOT / "docs").items():
        if path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
