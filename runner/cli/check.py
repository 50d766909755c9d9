"""`cheatgrid check`: a saved model and its labels, or a configuration by flags, checked
against the cheat table before training (exit 0 every verdict ok, 1 any other, 2 bad input)."""

from __future__ import annotations

import argparse

from runner.errors import UsageError

_FLAGS = ("encoding", "classes", "activation", "loss", "metric")  # needed without a model


def cmd_check(args: argparse.Namespace) -> int:
    """Run the check and print its report; 0 when every verdict is ok, else 1."""
    given = [name for name in _FLAGS + ("units",) if getattr(args, name) is not None]
    if args.model is not None:
        if given or args.from_logits:
            raise UsageError(f"check: Expected either MODEL with --labels or the flags "
                             f"{['--' + f for f in _FLAGS]}. Received: MODEL and "
                             f"{['--' + f.replace('_', '-') for f in given] or ['--from-logits']}")
        if args.labels is None:
            raise UsageError("check: Expected --labels LABELS.npy with MODEL. Received: none")
    else:
        missing = [f"--{name}" for name in _FLAGS if getattr(args, name) is None]
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
        report = check_model(load_model_file(args.model), labels, inputs,
                             label_source=args.labels)
    print(report.to_json() if args.format == "json" else report.text(), end="" if
          args.format == "text" else "\n")
    return report.exit_code
