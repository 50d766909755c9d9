"""`cheatgrid check`: a saved model and its labels, or a configuration by flags, checked
against the cheat table before training.

    cheatgrid check MODEL.keras --labels LABELS.npy [--inputs INPUTS.npy] [--format json]
    cheatgrid check --encoding integer --classes 10 --activation softmax \\
        --loss binary_crossentropy [--from-logits] --metric accuracy [--metric ...]

Exit codes: 0 the head's and every metric's verdict ok, 1 any other verdict, 2 bad input
(one line).
"""

from __future__ import annotations

import argparse

from runner import vocab
from runner.errors import UsageError

FLAGS = ("encoding", "classes", "activation", "loss", "metric")  # needed without a model


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `check` on the `cheatgrid` subparsers (imports no TensorFlow)."""
    check = subparsers.add_parser(
        "check", help="check a model's compile(...) against its labels, before it trains",
        description="Check a compiled model (or a configuration given by flags) against the "
        "cheat table: the label encoding, the head's verdict (error / degenerate / impaired / "
        "ok), the metric each name resolves to and its verdict (error / degenerate / "
        "misleading / ok), with the fix and the sample cell as evidence. Exit 0: every "
        "verdict ok; 1: any other verdict; 2: bad input.")
    check.add_argument("model", nargs="?",
                       help="a saved Keras 3 .keras model (loaded in safe mode)")
    check.add_argument("--labels", metavar="LABELS.npy",
                       help="the labels it is fitted on (.npy, read without pickle)")
    check.add_argument("--inputs", metavar="INPUTS.npy",
                       help="inputs for the same rows: judge the (trained) model's own outputs")
    check.add_argument("--format", default="text", choices=("text", "json"))
    check.add_argument("--encoding", choices=vocab.ENCODINGS.names,
                       help="without a model: the label encoding")
    check.add_argument("--classes", type=int, help="without a model: classes (or labels)")
    check.add_argument("--units", type=int, help="without a model: output units (default: the "
                       "tutorial's, 1 for binary integer labels, else one per class)")
    check.add_argument("--activation", choices=vocab.ACTIVATIONS.names +
                       tuple(vocab.ACTIVATIONS.aliases),
                       help="without a model: the last activation")
    check.add_argument("--loss", choices=vocab.LOSSES.names + tuple(vocab.LOSSES.aliases),
                       help="without a model: the loss")
    check.add_argument("--from-logits", action="store_true",
                       help="without a model: loss(from_logits=True)")
    check.add_argument("--metric", action="append",
                       choices=vocab.METRICS.names + tuple(vocab.METRICS.aliases),
                       help="without a model: a compiled metric (repeatable)")
    check.set_defaults(func=cmd_check)
    return check


def cmd_check(args: argparse.Namespace) -> int:
    """Run the check; print the report; 0 when every verdict is ok, else 1.

    Raises:
        UsageError: a model and flags together, neither, missing flags or files, files
            that cannot be read safely, labels that fit no encoding.
    """
    given = [name for name in FLAGS + ("units",) if getattr(args, name) is not None]
    if args.model is not None:
        if given or args.from_logits:
            raise UsageError(f"check: Expected either MODEL with --labels or the flags "
                             f"{['--' + f for f in FLAGS]}. Received: MODEL and "
                             f"{['--' + f.replace('_', '-') for f in given] or ['--from-logits']}")
        if args.labels is None:
            raise UsageError("check: Expected --labels LABELS.npy with MODEL. Received: none")
    else:
        missing = [f"--{name}" for name in FLAGS if getattr(args, name) is None]
        if missing:
            raise UsageError(f"check: Expected MODEL --labels LABELS.npy, or the flags "
                             f"{missing}. Received: neither")
        if args.labels or args.inputs:
            raise UsageError("check: Expected --labels and --inputs with MODEL only. Received: "
                             "them without a model")
    from runner.train import backends

    backends.import_tensorflow(verbose=False)
    from runner.check import check_flags, check_model, load_array, load_model_file

    if args.model is None:
        report = check_flags(args.encoding, args.classes, args.activation, args.loss,
                             args.from_logits, args.metric, units=args.units)
    else:
        labels = load_array(args.labels, "--labels")
        inputs = load_array(args.inputs, "--inputs") if args.inputs else None
        model = load_model_file(args.model)
        report = check_model(model, labels, inputs, label_source=args.labels)
    print(report.to_json() if args.format == "json" else report.text(), end="" if
          args.format == "text" else "\n")
    return report.exit_code
