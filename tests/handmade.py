"""Hand-made result rows for the report tests: small numbers that can be checked by eye."""

from __future__ import annotations

from typing import Any

from runner import catalog

PROVENANCE = {"run_name": "hand", "keras_version": "3.15.1", "tf_version": "2.21.0",
              "weights": "random(he_normal,seed=0)", "weights_requested": "random",
              "device": "cpu", "data_source": "embedded", "n_train": 40, "n_test": 20,
              "epochs": 3}


def row(dataset: str = "mnist", encoding: str = "onehot", activation: str = "softmax",
        loss: str = "categorical_crossentropy", from_logits: bool = False,
        metric: str = "categorical_accuracy", value: float | None = 0.8,
        reference: float | None = None, seed: int = 42, error: str | None = None,
        **extra: Any) -> dict[str, Any]:
    """One result row as the runner writes it (verdict inputs included).

    `reference` defaults to `value` (an `ok` cell when above the majority rate 0.5);
    `error` makes it an error cell raised in `fit`; `extra` overrides any field.
    """
    head = f"{dataset}/{encoding}/{activation}/{loss}/logits={str(from_logits).lower()}"
    reference = value if reference is None else reference
    ok = error is None
    return {
        "cell_id": f"{head}/{metric}".replace("/", "."), "name": f"{head}/{metric}",
        "dataset": dataset, "encoding": encoding, "units": 10 if dataset == "mnist" else 2,
        "activation": activation, "loss": loss, "from_logits": from_logits, "metric": metric,
        "num_classes": catalog.DATASETS[dataset].num_classes, "seed": seed,
        "head_id": head.replace("/", "-"), "status": "ok" if ok else "error",
        "phase": None if ok else "fit", "error_type": error,
        "error_message": None if ok else "Arguments `target` and `output` differ",
        "test_metric": value if ok else None, "test_loss": 0.5 if ok else None,
        "reference_accuracy": reference if ok else None, "majority_rate": 0.5,
        "metric_gap": value - reference if ok else None, "constant_predictions": False,
        "recommended": False, "data_detail": f"embedded {dataset} (hand-made)",
        "history_loss": [0.9, 0.6, 0.4] if ok else None,
        "history_test_metric": [0.5, 0.7, value] if ok else None,
        "history_reference_accuracy": [0.5, 0.7, reference] if ok else None,
        **PROVENANCE, **extra}
