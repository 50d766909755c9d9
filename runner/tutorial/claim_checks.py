"""The checks behind the claims about a run's rows, each over a tutorial part's rows judging one
quantity: how heads *train*, what a *metric reports*, what *raises*."""

from __future__ import annotations

import dataclasses

import pandas as pd

from runner import vocab
from runner.report import aggregate, misreport
from runner.report.tables import shared_heads
from runner.train.judge import DEGENERATE_MARGIN, MISLEADING_TOLERANCE

BCE, CCE, SCCE = ("binary_crossentropy", "categorical_crossentropy",
                  "sparse_categorical_crossentropy")
SAME_TOLERANCE = 0.005  # reference accuracies closer than this count as "the same"
SIMILAR_TOLERANCE = 0.02  # ... and closer than this as "similar"
_EPSILON = 1e-9  # 0.88 - 0.86 is 0.020000000000000018 in floating point

ON_REFERENCE = "reference accuracy"
ON_TRAINING = "reference accuracy, identical-head groups"
ON_GROUPS = "identical-head groups"
ON_METRIC = "the metric vs the reference accuracy"
ON_RESOLVED = "the metric Keras built (`metric_resolved`)"
ON_STATUS = "which cells raise (status)"
ON_KERAS = "Keras's own output"


@dataclasses.dataclass(frozen=True)
class Finding:
    """What a run shows about a claim."""

    holds: bool | None  # None: the run has no cells (or output) to judge the claim
    shows: str  # the evidence, in words and numbers
    judged_on: str = ""  # the quantity compared (one of the `ON_*` names)
    detail: str = ""  # said next to the verdict, e.g. "same model, group g1"
    metric_note: str = ""  # what the claim's misreporting metric showed, what to use instead


@dataclasses.dataclass(frozen=True)
class Head:
    """A trained head as the claims see it (reference accuracy: the mean over seeds)."""

    label: str
    where: dict
    reference: float | None
    group: str | None
    majority: float | None
    constant: bool


def part_rows(df: pd.DataFrame, part: str) -> pd.DataFrame:
    """Rows of the first dataset of a tutorial part ("A", "B" or "C")."""
    names = [n for n in dict.fromkeys(df["dataset"])
             if (spec := vocab.spec_of(n)) and spec.part.startswith(f"Part {part}")]
    return df[df["dataset"] == names[0]] if names else df.iloc[0:0]


def cells(rows: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows whose columns hold the given values (a list: any of them)."""
    for key, value in where.items():
        rows = rows[rows[key].isin(value if isinstance(value, list) else [value])]
    return rows


def _label(where: dict) -> str:
    """'none + BCE(logits)' for axis values (activation, loss, from_logits)."""
    logits = "(logits)" if where.get("from_logits") else ""
    return f"{where['activation']} + {vocab.short_loss(where['loss'])}{logits}"


def _head(rows: pd.DataFrame, where: dict, name: str | None = None) -> Head | None:
    """The head of a part's rows matching `where` (axis values, no metric), or None."""
    hit = cells(rows, status="ok", **where)
    if hit.empty:
        return None
    reference, group, majority = (hit.get(c, pd.Series(dtype=object)).dropna() for c in (
        "reference_accuracy", "equivalence_group", "majority_rate"))
    return Head(name or _label(where), where, float(reference.mean()) if len(reference) else None,
                str(group.iloc[0]) if len(group) else None,
                float(majority.iloc[0]) if len(majority) else None,
                "constant_predictions" in hit and bool(hit["constant_predictions"].any()))


def _best_head(rows: pd.DataFrame, where: dict, besides: dict | None = None) -> Head | None:
    """The head matching `where` (other than `besides`) of the best reference accuracy."""
    hit = cells(rows, status="ok", **where).dropna(subset=["reference_accuracy"])
    if besides:
        hit = hit[~(hit[list(besides)] == pd.Series(besides)).all(axis=1)]
    if hit.empty:
        return None
    by_head = hit.groupby(["activation", "loss", "from_logits"])["reference_accuracy"].mean()
    activation, loss, from_logits = by_head.idxmax()
    return _head(rows, {**where, "activation": activation, "loss": loss,
                       "from_logits": bool(from_logits)})


def _metric_notes(rows: pd.DataFrame, heads: list[Head], metric: str) -> str:
    """Where the `metric` cells of these heads misreport: each head's `misreport.note`."""
    notes = [f"{h.label}: {text}" for h in heads
             if not (hit := cells(rows, metric=metric, **h.where)).empty
             for record in aggregate.aggregate_seeds(hit).to_dict("records")
             if (text := misreport.note(record))]
    return "; ".join(dict.fromkeys(notes))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _on_training(holds: bool, shows: str, a: Head, b: Head, rows: pd.DataFrame,
                 heads: list[Head], metric: str) -> Finding:
    """A finding judged on training, saying when heads `a` and `b` are one trained model."""
    same = a.group is not None and a.group == b.group
    shows += f"; one trained model (identical test logits, group {a.group})" if same else ""
    return Finding(holds, shows, ON_TRAINING, f"same model, group {a.group}" if same else "",
                   _metric_notes(rows, heads, metric))


def same_training(rows: pd.DataFrame, a: dict, b: dict, tolerance: float, metric: str,
                  names: tuple[str | None, str | None] = (None, None)) -> Finding:
    """Two heads train to the same (or a similar) reference accuracy."""
    ha, hb = (_head(rows, w, n) for w, n in zip((a, b), names, strict=True))
    if None in (ha, hb) or None in (ha.reference, hb.reference):
        shown = ", ".join(f"{_label(w)} {'ran' if h else 'did not run'}"
                          for w, h in ((a, ha), (b, hb)))
        return Finding(None, f"not both heads have a reference accuracy: {shown}", ON_TRAINING)
    gap = abs(ha.reference - hb.reference)
    shows = (f"reference accuracy {ha.label} {_fmt(ha.reference)}, {hb.label} "
             f"{_fmt(hb.reference)} (difference {gap:.4f})")
    return _on_training(gap <= tolerance + _EPSILON, shows, ha, hb, rows, [ha, hb], metric)


def both_work(rows: pd.DataFrame, a: dict, b: dict, metric: str) -> Finding:
    """Two heads both learn (reference accuracy above the majority rate by more than
    `DEGENERATE_MARGIN`) and reach a similar reference accuracy."""
    found = same_training(rows, a, b, SIMILAR_TOLERANCE, metric)
    if found.holds is None:
        return found
    heads = [_head(rows, w) for w in (a, b)]
    stuck = [h.label for h in heads if h.constant or h.majority is None or
             h.reference <= h.majority + DEGENERATE_MARGIN]
    shows = f"{found.shows}; majority rate {_fmt(heads[0].majority)}" + (
        f"; {', '.join(stuck)} learned nothing" if stuck else "")
    return dataclasses.replace(found, holds=bool(found.holds and not stuck), shows=shows)


def as_good_as_best(rows: pd.DataFrame, where: dict, among: dict, metric: str) -> Finding:
    """A head reaches (within `SIMILAR_TOLERANCE`) the best reference accuracy of the other
    heads matching `among`."""
    this, top = _head(rows, where), _best_head(rows, among, besides=where)
    if this is None or this.reference is None or top is None:
        return Finding(None if cells(rows, **where).empty else False,
                       f"{_label(where)}: no successful cell", ON_TRAINING)
    holds = this.reference >= top.reference - SIMILAR_TOLERANCE - _EPSILON
    shows = (f"reference accuracy {this.label} {_fmt(this.reference)}; the best other "
             f"head, {top.label}, {_fmt(top.reference)}")
    return _on_training(holds, shows, this, top, rows, [this], metric)


def stays_at_chance(rows: pd.DataFrame, where: dict, other: dict, metric: str) -> Finding:
    """A head's reference accuracy stays at 50% (within `SIMILAR_TOLERANCE`)."""
    this, that = _head(rows, where), _head(rows, other)
    if this is None or this.reference is None:
        return Finding(None, f"no successful {_label(where)} cell", ON_REFERENCE)
    constant = "constant predictions" if this.constant else "varying predictions"
    shows = (f"reference accuracy {this.label} {_fmt(this.reference)} ({constant}; "
             f"majority rate {_fmt(this.majority)}), {_label(other)} "
             f"{_fmt(that.reference if that else None)}")
    return Finding(abs(this.reference - 0.5) <= SIMILAR_TOLERANCE + _EPSILON, shows,
                   ON_REFERENCE, metric_note=_metric_notes(rows, [this], metric))


def errors(rows: pd.DataFrame, **where) -> Finding:
    """Every matching cell raises."""
    rows = cells(rows, **where)
    if rows.empty:
        return Finding(None, "no such cells in this run", ON_STATUS)
    failed = rows[rows["status"] == "error"]
    if len(failed) < len(rows):
        return Finding(False, f"{len(rows) - len(failed)} of {len(rows)} cells run without "
                              f"error, e.g. `{rows[rows['status'] == 'ok'].iloc[0]['name']}`",
                       ON_STATUS)
    first = failed.iloc[0]
    return Finding(True, f"all {len(rows)} cells fail in `{first['phase']}` with "
                         f"{first['error_type']}: {first['error_message']}", ON_STATUS)


def accuracy_resolves(rows: pd.DataFrame, where: dict, says_metric: str) -> Finding:
    """`metrics=['accuracy']` on these heads is built as `says_metric`."""
    hit = cells(rows, metric="accuracy", status="ok", **where)
    names = list(dict.fromkeys(hit.get("metric_resolved", pd.Series(dtype=object)).dropna()))
    if not names:
        return Finding(None, "no `accuracy` cell with `metric_resolved` in this run", ON_RESOLVED)
    shows = (f"`accuracy` was built as {', '.join(f'`{n}`' for n in names)}; it shows "
             f"{hit['test_metric'].mean():.4f}, the reference accuracy "
             f"{hit['reference_accuracy'].mean():.4f}")
    return Finding(names == [says_metric], shows, ON_RESOLVED)


def metric_agrees(rows: pd.DataFrame, where: dict, metric: str | list[str]) -> Finding:
    """In every matching cell that ran, the metric (any of a list) is within
    `MISLEADING_TOLERANCE` of the head's reference accuracy."""
    name = " / ".join(f"`{m}`" for m in ([metric] if isinstance(metric, str) else metric))
    hit = cells(rows, metric=metric, status="ok", **where).dropna(
        subset=["test_metric", "reference_accuracy"])
    if hit.empty:
        return Finding(None, f"no successful {name} cell", ON_METRIC)
    gaps = (hit["test_metric"] - hit["reference_accuracy"]).abs()
    worst = hit.loc[gaps.idxmax()]
    shows = (f"in {len(hit)} cells {name} is within {gaps.max():.4f} of the reference "
             f"accuracy (the farthest: {_label(worst)} with `{worst['metric']}` shows "
             f"{worst['test_metric']:.4f}, reference {worst['reference_accuracy']:.4f})")
    return Finding(bool(gaps.max() <= MISLEADING_TOLERANCE), shows, ON_METRIC)


def exact_match(rows: pd.DataFrame, a: dict, b: dict, better: bool) -> Finding:
    """By exact match: the best head matching `a` beats the best matching `b` by more than
    `SIMILAR_TOLERANCE` (`better`), or is at most that much worse."""
    ha, hb = _best_head(rows, a), _best_head(rows, b)
    if ha is None or hb is None:
        return Finding(None, "exact match: not both ran", ON_REFERENCE + " (exact match)")
    holds = ha.reference - hb.reference > SIMILAR_TOLERANCE if better else \
        ha.reference >= hb.reference - SIMILAR_TOLERANCE - _EPSILON
    shows = (f"exact match (every label of an image right): {ha.label} "
             f"{_fmt(ha.reference)}, {hb.label} {_fmt(hb.reference)}; always the most "
             f"common label set {_fmt(ha.majority)}")
    return Finding(holds, shows, ON_REFERENCE + " (exact match)",
                   metric_note=_metric_notes(rows, [ha, hb], "binary_accuracy"))


def identical_heads(rows: pd.DataFrame) -> Finding:
    """One-hot labels: which different combinations are the same trained model."""
    rows = cells(rows, encoding="onehot", status="ok")
    if rows.empty or "equivalence_group" not in rows or rows["equivalence_group"].isna().all():
        return Finding(None, "no stored test logits to compare (run without predictions/)",
                       ON_GROUPS)
    groups = [g for _, g in shared_heads(rows).groupby("equivalence_group", sort=False)
              if len(g) > 1]
    if not groups:
        return Finding(None, "no two one-hot heads have identical test logits in this run",
                       ON_GROUPS)
    shown = "; ".join("=".join(_label(r).replace(" + ", "+") for r in g.to_dict("records"))
                      for g in groups)
    return Finding(False, f"{len(groups)} groups of different combinations have identical test "
                          f"logits (to 1e-6): {shown}. Identical trained weights, not chance: "
                          "the cross-entropy losses recover the logits from a sigmoid or "
                          "softmax output, so they train the same", ON_GROUPS)
