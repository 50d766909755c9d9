"""`cheatgrid check` on real users' set-ups: the corpus of tests/check/corpus/.

    python scripts/check_corpus.py                    # check each entry before training
    python scripts/check_corpus.py --readme docs/check.md   # and rewrite that section
    python scripts/check_corpus.py --measure [--write] [--only NAME ...]

Without --measure: every entry's model is built as written (`tests/check/corpus/`)
and checked on its labels before training; the verdicts are compared with the outcome
recorded in the entry: the share of buggy set-ups flagged and named right, per outcome,
and the share of fine ones flagged (false alarms). With --measure: each entry is trained
next to the textbook head for its labels on the same synthetic data, over two seeds, on
standardised features and on features ten times larger (raw inputs: how a head behaves
when its first outputs are large is part of how it is built), and its outcome at each
scale is measured with the grid's rules (`runner.train.judge`); the entry's outcome is
the worse of the two. --write records it in the entry's file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import sys
import time
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CORPUS = ROOT / "tests" / "check" / "corpus"
TRAIN_ROWS, TEST_ROWS = 2000, 1000
EPOCHS, BATCH_SIZE = 20, 32
SEEDS = (0, 1)
SCALES = (1.0, 10.0)  # standardised features, and raw ones ten times larger


def _fit(entry, seed: int, scale: float) -> dict:
    """Train one entry on one seed's synthetic data; its numbers on the test rows."""
    from runner.check.inspect import read_model
    from runner.train import backends, judge
    from runner.vocab import metric as metric_entry
    from tests.check import corpus

    x, raw = corpus.data(entry, TRAIN_ROWS + TEST_ROWS, seed, scale)
    y = corpus.as_written(entry, raw)
    model = corpus.build(entry, seed)
    head = read_model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], epochs=EPOCHS, batch_size=BATCH_SIZE,
                      verbose=0)
            model.evaluate(x[TRAIN_ROWS:], y[TRAIN_ROWS:], batch_size=BATCH_SIZE, verbose=0)
        except Exception as e:  # Keras raised on these labels and outputs: the outcome
            message = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
            return {"error": f"{type(e).__name__}: {message}"}
        outputs = np.asarray(model.predict(x[TRAIN_ROWS:], verbose=0), dtype=np.float64)
    # judged as the user's labels read: class indices counted as written (from 1, in R)
    labels = raw[TRAIN_ROWS:] + (entry.first if entry.encoding == "integer" else 0)
    found = judge.judge(outputs, labels, head.activation, head.loss_name, head.from_logits)
    metrics = {}
    for built in backends.compiled_metrics(model):
        name = judge.resolved_metric_name(built)
        value = float(backends.to_numpy(built.result()))
        reference = judge.metric_reference(metric_entry(name).reference, outputs, labels,
                                           head.activation, found["reference_accuracy"])
        metrics[built.name] = (name, value, reference)
    return {**found, "metrics": metrics}


def measure(entry) -> dict:
    """The entry's outcome: the worse of its outcomes at `SCALES`, with their numbers."""
    from runner.train import judge
    from tests.check import corpus

    book = corpus.textbook(entry)
    found = {"textbook": f"Dense({book.units}, {book.activation}) + {book.loss}",
             "seeds": len(SEEDS), "epochs": EPOCHS, "train_rows": TRAIN_ROWS,
             "test_rows": TEST_ROWS}
    outcomes = []
    for scale in SCALES:
        own = [_fit(entry, seed, scale) for seed in SEEDS]
        textbook = [_fit(book, seed, scale)["reference_accuracy"] for seed in SEEDS]
        outcome, numbers = _outcome(own, float(np.mean(textbook)))
        outcomes.append(outcome)
        found[f"scale {scale:g}"] = {"outcome": outcome, **numbers}
    return {"outcome": judge.worst(outcomes), **found}


def _outcome(own: list[dict], textbook: float) -> tuple[str, dict]:
    """One scale's outcome over the seeds, by the grid's rules and `judge.impaired`."""
    from runner.train import judge

    errors = [r["error"] for r in own if "error" in r]
    if errors:
        return "error", {"error": errors[0]}
    accuracy = float(np.mean([r["reference_accuracy"] for r in own]))
    majority = float(np.mean([r["majority_rate"] for r in own]))
    constant = sum(r["constant_predictions"] for r in own)
    numbers = {"reference_accuracy": round(accuracy, 3),
               "textbook_accuracy": round(textbook, 3), "majority_rate": round(majority, 3),
               "constant_predictions": f"{constant} of {len(own)} seeds", "metrics": {}}
    for label, (name, _, _) in own[0]["metrics"].items():
        values = [r["metrics"][label][1] for r in own]
        references = [r["metrics"][label][2] for r in own]
        gap = (None if references[0] is None else
               round(float(np.mean(values) - np.mean(references)), 3))
        numbers["metrics"][label] = {"resolved": name, "value": round(float(np.mean(values)), 3),
                                     "gap": gap}
    if constant * 2 >= len(own) or accuracy <= majority + judge.DEGENERATE_MARGIN:
        outcome = "degenerate"
    elif judge.impaired(accuracy, textbook):
        outcome = "impaired"
    elif any(m["gap"] is not None and abs(m["gap"]) > judge.MISLEADING_TOLERANCE
             for m in numbers["metrics"].values()):
        outcome = "misleading"
    else:
        outcome = "ok"
    return outcome, numbers


def rates(entries) -> str:
    """Check every entry before training; the Markdown table of detection per outcome and
    false alarms, and where check and training differ."""
    from tests.check import corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = corpus.tally([(e, corpus.check(e).verdict) for e in entries])
    lines = ["| measured outcome | set-ups | flagged by check | named right |",
             "|---|---|---|---|"]
    for outcome, (n, flagged, right) in found.counts.items():
        if outcome != "ok":
            lines.append(f"| {outcome} | {n} | {flagged} | {right} |")
    n, flagged, right = found.buggy()
    lines.append(f"| **buggy, all** | {n} | {flagged} ({flagged / max(n, 1):.0%}) | "
                 f"{right} ({right / max(n, 1):.0%}) |")
    fine, alarms = found.fine()
    lines.append(f"| **ok** (fine) | {fine} | {alarms} (false alarms, {alarms / max(fine, 1):.0%})"
                 " | |")
    misses = [f"- `{name}`: measured {outcome}, check says {verdict}"
              for name, outcome, verdict in found.misses]
    if misses:
        lines += ["", "Where check and training differ:", ""] + misses
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", action="store_true", help="train each entry (minutes)")
    parser.add_argument("--write", action="store_true", help="record measured outcomes")
    parser.add_argument("--only", nargs="*", help="entries by name")
    parser.add_argument("--readme", type=pathlib.Path, help="rewrite this file's section")
    args = parser.parse_args()
    from runner.train import backends
    from tests.check import corpus

    backends.import_tensorflow(verbose=False)
    entries = [e for e in corpus.load_all(CORPUS) if not args.only or e.name in args.only]
    if args.measure:
        for entry in entries:
            start = time.monotonic()
            found = measure(entry)
            outcome = found.pop("outcome")
            print(f"{entry.name}: {outcome} (was {entry.outcome}) "
                  f"{time.monotonic() - start:.0f}s {found}", flush=True)
            if args.write:
                entry = dataclasses.replace(entry, outcome=outcome, measured=found)
                (CORPUS / f"{entry.name}.yaml").write_text(corpus.dump(entry),
                                                           encoding="utf-8")
        return 0
    unmeasured = [e.name for e in entries if e.outcome is None]
    if unmeasured:
        print(f"not measured yet (run --measure --write): {unmeasured}", file=sys.stderr)
        return 2
    table = rates(entries)
    print(table)
    if args.readme:
        from runner.report.markdown import splice_section

        text = args.readme.read_text(encoding="utf-8")
        begin = "<!-- corpus:begin (generated by scripts/check_corpus.py) -->"
        args.readme.write_text(splice_section(text, table, begin, "<!-- corpus:end -->"),
                               encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
