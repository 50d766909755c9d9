"""The snippets and checkable statements of the Q&A notes, seeds 002, 003 and 004."""

from __future__ import annotations

from runner.tutorial.snippets.spec import TINY_INPUTS, Snippet

_LABELS = "y = np.array([[1.0], [0.0], [1.0], [0.0]], 'float32')\n"

SNIPPETS: tuple[Snippet, ...] = (
    Snippet(
        "002-compile-from-logits", "002", "`model.compile(loss='binary_crossentropy', "
        "optimizer=optimizer, metrics=['accuracy'], from_logits=True)`",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "
        "activation='sigmoid')])\n"
        "model.compile(optimizer='adam',\n"
        "              loss='binary_crossentropy',\n"
        "              metrics=['accuracy'],\n"
        "              from_logits=True)  # For 'sigmoid' in above Dense\n",
        printed="ValueError: Invalid argument \"from_logits\" passed to K.function with "
                "TensorFlow backend",
        note="a 1-unit Dense model stands in for the seed's LSTM stack"),
    Snippet(
        "002-from-logits-in-loss", "002", "`compile(loss=BinaryCrossentropy(from_logits=True)"
        ", metrics=['accuracy'])` on a head without activation, then `evaluate`",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='adam',\n"
        "              loss=keras.losses.BinaryCrossentropy(from_logits=True),\n"
        "              metrics=['accuracy'])\n" + TINY_INPUTS + _LABELS +
        "print('loss:', model.evaluate(x, y, verbose=0)[0])\n",
        says="`from_logits` goes into the loss object, `BinaryCrossentropy(from_logits=True)`,"
             " not into `compile`.",
        probe="holds = error is None\n"
              "why = 'compiles and evaluates' if error is None else error\n"),
    Snippet(
        "002-one-unit-softmax", "002", "`Dense(1, activation='softmax')` on 6 random inputs",
        "layer = keras.layers.Dense(1, activation='softmax')\n"
        "outputs = numpy(layer(tensor(np.random.default_rng(0).normal(size=(6, 4)))))\n"
        "print('Dense(1, softmax) outputs:', outputs.ravel())\n",
        says="`Dense(1, activation='softmax')` gives 50% accuracy: a softmax needs one unit "
             "per class.",
        probe="holds = bool(np.all(outputs == 1.0))\n"
              "why = ('a softmax over one unit is 1.0 for every input: the prediction never '\n"
              "       'changes, so the accuracy is the share of one class' if holds else\n"
              "       'the outputs vary with the input')\n"),
    Snippet(
        "002-sigmoid-bce-vs-softmax-cce", "002", "`BinaryCrossentropy` on `sigmoid(z)` against "
        "`CategoricalCrossentropy` on `softmax([0, z])`, for 3 logits z and labels",
        "z = np.array([[-2.0], [0.5], [3.0]], 'float32')  # one logit per example\n"
        "y = np.array([[0.0], [1.0], [1.0]], 'float32')\n"
        "bce = keras.losses.BinaryCrossentropy()(tensor(y), tensor(1 / (1 + np.exp(-z))))\n"
        "two = np.concatenate([np.zeros_like(z), z], axis=1)  # softmax: (1 - sigmoid, sigmoid)\n"
        "cce = keras.losses.CategoricalCrossentropy()(tensor(np.concatenate([1 - y, y], "
        "axis=1)), tensor(np.exp(two) / np.exp(two).sum(axis=1, keepdims=True)))\n"
        "print('Dense(1, sigmoid) + BinaryCrossentropy:', numpy(bce))\n"
        "print('Dense(2, softmax) + CategoricalCrossentropy:', numpy(cce))\n",
        says="There is no difference between `Dense(1, activation='sigmoid')` with "
             "`BinaryCrossentropy()` and `Dense(2, activation='softmax')` with "
             "`CategoricalCrossentropy()`: binary cross-entropy is a case of categorical "
             "cross-entropy.",
        probe="holds = bool(np.isclose(numpy(bce), numpy(cce), rtol=1e-5))\n"
              "why = 'the same loss for the same predicted probabilities' if holds else "
              "'different losses'\n",
        note="the probabilities are computed in NumPy: the losses see plain tensors"),
    Snippet(
        "003-sparse-labels", "003, 001", "`sparse_categorical_crossentropy` of labels 0 to 3 "
        "against 3-class probabilities [0.1, 0.1, 0.8]",
        "y_pred = tensor([[0.1, 0.1, 0.8]])\n"
        "outcome = {}\n"
        "for label in (0, 1, 2, 3):\n"
        "    try:\n"
        "        outcome[label] = float(numpy(keras.losses.sparse_categorical_crossentropy("
        "tensor([label]), y_pred))[0])\n"
        "        print(f'label [{label}]: loss', outcome[label])\n"
        "    except Exception as e:\n"
        "        outcome[label] = error_line(e)\n"
        "        print(f'label [{label}]:', outcome[label])\n",
        says="For a 3-class problem, the integer labels are [1], [2] and [3].",
        probe="holds = isinstance(outcome[3], float) and outcome[3] > 0\n"
              "why = ('label 3 of 3 classes: ' + (f'loss {outcome[3]:g}' if isinstance("
              "outcome[3], float) else outcome[3]) + '; the classes are 0, 1 and 2')\n"),
    Snippet(
        "003-clip", "003", "the cross-entropies of a certain and wrong prediction "
        "([1, 0] for class 1)",
        "y_pred = tensor([[1.0, 0.0]])  # certain, and wrong\n"
        "cce = float(numpy(keras.losses.categorical_crossentropy(tensor([[0.0, 1.0]]), "
        "y_pred))[0])\n"
        "scce = float(numpy(keras.losses.sparse_categorical_crossentropy(tensor([1]), "
        "y_pred))[0])\n"
        "bce = float(numpy(keras.losses.binary_crossentropy(tensor([[0.0, 1.0]]), "
        "y_pred))[0])\n"
        "print('categorical_crossentropy:', cce)\n"
        "print('sparse_categorical_crossentropy:', scce)\n"
        "print('binary_crossentropy:', bce)\n"
        "print('-log(1e-7) =', float(-np.log(1e-7)))\n",
        says="`categorical_crossentropy` and `SparseCategoricalCrossentropy` apply a small "
             "offset (1e-7) to predictions of 0 or 1, so that the loss is always finite: "
             "at most -log(1e-7) = 16.12.",
        probe="_top = float(-np.log(1e-7))\n"
              "holds = all(np.isfinite(v) and abs(v - _top) < 1e-3 for v in (cce, scce))\n"
              "why = (f'largest losses: CCE {cce:.4f}, SCCE {scce:.4f}, BCE {bce:.4f}; '\n"
              "       f'-log(1e-7) = {_top:.4f}')\n"),
    Snippet(
        "003-reduction-values", "003", "`SparseCategoricalCrossentropy(reduction=...)` with "
        "'auto', 'none', 'sum', 'sum_over_batch_size', 'mean' and None",
        "labels = tensor([0, 1])\n"
        "probs = tensor([[0.6, 0.4], [0.3, 0.7]])\n"
        "accepted = {}\n"
        "for reduction in ('auto', 'none', 'sum', 'sum_over_batch_size', 'mean', None):\n"
        "    try:\n"
        "        loss = keras.losses.SparseCategoricalCrossentropy(reduction=reduction)("
        "labels, probs)\n"
        "        accepted[reduction] = True\n"
        "        print(f'reduction={reduction!r}:', numpy(loss))\n"
        "    except Exception as e:\n"
        "        accepted[reduction] = False\n"
        "        print(f'reduction={reduction!r}:', error_line(e))\n",
        says="`reduction` can be set to 'auto' (the default: the mean) or 'none'.",
        probe="holds = accepted['auto'] and accepted['none']\n"
              "why = ('accepted: ' + ', '.join(repr(r) for r, ok in accepted.items() if ok) +\n"
              "       '; rejected: ' + (', '.join(repr(r) for r, ok in accepted.items() "
              "if not ok) or 'none'))\n"),
    Snippet(
        "003-reduction-none", "003", "`SparseCategoricalCrossentropy(from_logits=True, "
        "reduction='none')` on 4 samples, and the mean of its result",
        "labels_sparse = tensor([0, 1, 0, 1])\n"
        "model_predictions = tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])\n"
        "# With `reduction='none'`\n"
        "loss_obj_scc_red = keras.losses.SparseCategoricalCrossentropy(\n"
        "    from_logits=True,\n"
        "    reduction='none')\n"
        "loss_from_scc_red = loss_obj_scc_red(\n"
        "    labels_sparse,\n"
        "    model_predictions,\n"
        ")\n"
        "print(numpy(loss_from_scc_red), np.mean(numpy(loss_from_scc_red)))\n",
        printed="[0.31326166 1.3132616 1.3132616 0.31326166] 0.8132617",
        says="With `reduction='none'` the loss is one value per sample (shape (batch_size,)); "
             "their mean is the loss with the default reduction.",
        probe="default = float(numpy(keras.losses.SparseCategoricalCrossentropy("
              "from_logits=True)(labels_sparse, model_predictions)))\n"
              "per_sample = numpy(loss_from_scc_red)\n"
              "holds = per_sample.shape == (4,) and bool(np.isclose(per_sample.mean(), "
              "default, rtol=1e-6))\n"
              "why = f'the default reduction gives {default:.4f}, the mean of the samples'\n",
        note="the seed does not show `labels_sparse` and `model_predictions`; these (a "
             "margin of ±1 logit) give its printed values; `np.mean` stands for "
             "`tf.math.reduce_mean`"),
    Snippet(
        "003-from-logits-false-vs-true", "003", "`SparseCategoricalCrossentropy()` on softmax "
        "outputs against `SparseCategoricalCrossentropy(from_logits=True)` on the logits",
        "y_true = tensor([0, 1])\n"
        "logits = np.array([[2.0, 0.5, -1.0], [0.3, 1.8, 0.1]], 'float32')\n"
        "nn_output_before_softmax = tensor(logits)\n"
        "nn_output_after_softmax = tensor(np.exp(logits) / np.exp(logits).sum(axis=1, "
        "keepdims=True))\n"
        "loss_taking_prob = keras.losses.SparseCategoricalCrossentropy(from_logits=False)\n"
        "loss_1 = loss_taking_prob(y_true, nn_output_after_softmax)\n"
        "print(numpy(loss_1))\n"
        "loss_taking_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n"
        "loss_2 = loss_taking_logits(y_true, nn_output_before_softmax)\n"
        "print(numpy(loss_2))\n",
        says="`SparseCategoricalCrossentropy(from_logits=False)` on softmax outputs and "
             "`SparseCategoricalCrossentropy(from_logits=True)` on the logits before the "
             "softmax give the same loss (the seed printed 0.25469932 and 0.2546992).",
        probe="holds = bool(np.isclose(numpy(loss_1), numpy(loss_2), rtol=1e-5))\n"
              "why = f'{float(numpy(loss_1)):.4f} and {float(numpy(loss_2)):.4f}'\n",
        note="the seed shows neither its labels nor its outputs, so its two numbers cannot be "
             "reproduced; these inputs check the statement; the softmax is computed in NumPy"),
    Snippet(
        "003-soft-labels", "003, 004", "`categorical_crossentropy` with soft labels [0.3, 0.7] "
        "and [0.5, 0.5], against -Σ y log p",
        "y_true = [[0.3, 0.7], [0.5, 0.5]]\n"
        "y_pred = [[0.4, 0.6], [0.9, 0.1]]\n"
        "loss = numpy(keras.losses.categorical_crossentropy(tensor(y_true), tensor(y_pred)))\n"
        "print('categorical_crossentropy:', loss)\n"
        "print('-sum(y_true * log(y_pred)):', -(np.array(y_true) * np.log(y_pred)).sum(axis=1))\n",
        says="Categorical cross-entropy works with targets that are not one-hot but any "
             "probability distribution (soft labels), on TensorFlow; other backends are to "
             "be checked.",
        probe="holds = bool(np.allclose(loss, -(np.array(y_true) * np.log(y_pred)).sum(axis=1)"
              ", rtol=1e-5))\n"
              "why = 'equals -Σ y log p' if holds else 'differs from -Σ y log p'\n"),
    Snippet(
        "004-softmax-needs-distribution", "004", "`categorical_crossentropy` on outputs that "
        "sum to 1.5 ([0.5, 0.5, 0.5]) and on the same scaled to sum to 1",
        "y_true = tensor([[0.0, 1.0, 0.0]])\n"
        "raw = float(numpy(keras.losses.categorical_crossentropy(y_true, tensor([[0.5, 0.5, "
        "0.5]])))[0])\n"
        "scaled = float(numpy(keras.losses.categorical_crossentropy(y_true, tensor([[1 / 3, "
        "1 / 3, 1 / 3]])))[0])\n"
        "print('CCE on [0.5, 0.5, 0.5]:', raw)\n"
        "print('CCE on [1/3, 1/3, 1/3]:', scaled)\n"
        "print('-log(0.5) =', float(-np.log(0.5)))\n",
        says="For softmax (categorical) cross-entropy the outputs must be a probability "
             "distribution (sum to 1); for binary cross-entropy they need not.",
        probe="holds = not np.isclose(raw, scaled, rtol=1e-5)\n"
              "why = ('Keras divides the outputs by their sum first: the same loss '\n"
              "       f'({raw:.4f}) either way' if not holds else\n"
              "       f'outputs not summing to 1 give another loss ({raw:.4f}, not '\n"
              "       f'{scaled:.4f})')\n"),
    Snippet(
        "004-bce-class-vs-function", "004", "`BinaryCrossentropy()` against "
        "`binary_crossentropy` on 2 samples of 2 labels, then `SparseCategoricalCrossentropy`",
        "y_true = tensor([[0, 1], [0, 0]])\n"
        "y_pred = tensor([[0.6, 0.4], [0.4, 0.6]])\n"
        "bce = keras.losses.BinaryCrossentropy()\n"
        "loss1 = bce(y_true=y_true, y_pred=y_pred)\n"
        "print(numpy(loss1))\n"
        "loss2 = keras.losses.binary_crossentropy(y_true, y_pred)\n"
        "print(numpy(loss2))\n"
        "print(np.mean(numpy(loss2)))\n"
        "scce = keras.losses.SparseCategoricalCrossentropy()\n"
        "y_true = tensor([0, 0])\n"
        "print(numpy(scce(y_true, y_pred)))\n"
        "y_true = tensor([1, 0])\n"
        "print(numpy(scce(y_true, y_pred)))\n",
        printed="0.81492424\n[0.9162905 0.71355796]\n0.81492424\n0.71355814\n0.9162907",
        says="`BinaryCrossentropy` and `binary_crossentropy` behave differently: the class "
             "averages over the batch, the function returns one loss per sample.",
        probe="holds = numpy(loss2).shape == (2,) and bool(np.isclose(numpy(loss1), "
              "numpy(loss2).mean(), rtol=1e-6))\n"
              "why = f'the class gives {float(numpy(loss1)):.4f}, the function one loss per "
              "sample, shape {numpy(loss2).shape}'\n",
        note="the seed prints the tensors' reprs (`<tf.Tensor: ... numpy=0.81492424>`); "
             "`numpy(...)` prints their values"),
)
