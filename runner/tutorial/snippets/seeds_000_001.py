"""The snippets of seeds 000 (Part B, multi-class) and 001 (Part A, binary)."""

from __future__ import annotations

from runner.tutorial.snippets.spec import (
    LOGITS,
    LOGITS_SHOWN,
    RECOVERS,
    SIGMOID_SHOWN,
    SOFTMAX_SHOWN,
    TINY_INPUTS,
    Snippet,
)

SNIPPETS: tuple[Snippet, ...] = (
    Snippet(
        "000-batches", "000", "6000 train / 1000 test images in batches of 64, "
        "`drop_remainder=True`: the number of batches",
        "ds_train = tf.data.Dataset.range(6000)  # the 6000 MNIST train images\n"
        "ds_test = tf.data.Dataset.range(1000)  # the 1000 test images\n"
        "batch_size = 64\n"
        "print('Number of batches in train: ', ds_train.batch(batch_size, "
        "drop_remainder=True).cardinality().numpy())\n"
        "print('Number of batches in test: ', ds_test.batch(batch_size, "
        "drop_remainder=True).cardinality().numpy())\n",
        printed="Number of batches in train: 93\nNumber of batches in test: 15",
        note="`tf.data.Dataset.range` stands in for the downloaded images: only their "
             "number matters"),
    Snippet(
        "000-activations", "000", "`softmax(z)` and `sigmoid(z)` of the logits "
        "z = [-20, -1, 4.5, 12.5, 74, 43.2, -58.4, 8.2, 99.9, -101]",
        LOGITS +
        "print('y_pred_logit:\\n', numpy(y_pred_logit))\n"
        "y_pred_softmax = keras.activations.softmax(y_pred_logit)\n"
        "print('\\nsoftmax(y_pred) :\\n', numpy(y_pred_softmax))\n"
        "y_pred_sigmoid = keras.activations.sigmoid(y_pred_logit)\n"
        "print('\\nsigmoid(y_pred) :\\n', numpy(y_pred_sigmoid))\n",
        printed=f"y_pred_logit:\n{LOGITS_SHOWN}\nsoftmax(y_pred) :\n{SOFTMAX_SHOWN}\n"
                f"sigmoid(y_pred) :\n{SIGMOID_SHOWN}"),
    Snippet(
        "000-scce-sigmoid-softmax", "000", "`sparse_categorical_crossentropy([[5]], "
        "sigmoid(z))` and the same on `softmax(z)`",
        LOGITS +
        "y_pred_softmax = keras.activations.softmax(y_pred_logit)\n"
        "y_pred_sigmoid = keras.activations.sigmoid(y_pred_logit)\n"
        "y_true=[[5]]\n"
        "y_pred = y_pred_sigmoid\n"
        "print('\\ny_true {} \\n\\ny_pred by sigmoid {}\\n'.format(y_true, numpy(y_pred)))\n"
        "print('categorical_crossentropy loss: ', numpy("
        "keras.losses.sparse_categorical_crossentropy(y_true, y_pred)))\n"
        "y_pred = y_pred_softmax\n"
        "print('\\ny_true {} \\n\\ny_pred by softmax {}\\n'.format(y_true, numpy(y_pred)))\n"
        "print('categorical_crossentropy loss: ', numpy("
        "keras.losses.sparse_categorical_crossentropy(y_true, y_pred)))\n",
        printed=f"y_true [[5]] y_pred by sigmoid {SIGMOID_SHOWN}\n"
                f"categorical_crossentropy loss: [56.7]\ny_true [[5]] y_pred by softmax "
                f"{SOFTMAX_SHOWN}\ncategorical_crossentropy loss: [56.7]",
        probe=RECOVERS + "why = ('the loss on the sigmoid output equals the loss on the "
              "logits: ' + str(_recovered(keras.losses.sparse_categorical_crossentropy, "
              "tensor(y_true), y_pred_sigmoid)).lower() + '; on the softmax output: ' + "
              "str(_recovered(keras.losses.sparse_categorical_crossentropy, tensor(y_true), "
              "y_pred_softmax)).lower())\n",
        adapt=(("(y_true, y_pred)", "(tensor(y_true), y_pred)"),)),
    Snippet(
        "000-scce-from-logits", "000", "`sparse_categorical_crossentropy([[5]], sigmoid(z))` "
        "against the same on z with `from_logits=True`",
        LOGITS +
        "print('y_pred_logit:\\n', numpy(y_pred_logit))\n"
        "y_pred_sigmoid = keras.activations.sigmoid(y_pred_logit)\n"
        "y_true=[[5]]\n"
        "y_pred = y_pred_sigmoid\n"
        "print('\\ny_true {} \\n\\ny_pred by sigmoid {}\\n'.format(y_true, numpy(y_pred)))\n"
        "print('sparse categorical_crossentropy loss: ', numpy("
        "keras.losses.sparse_categorical_crossentropy(y_true, y_pred)))\n"
        "print('\\ny_true {} \\n\\ny_pred by None activation {}\\n'.format(y_true, "
        "numpy(y_pred_logit)))\n"
        "print('sparse_categorical_crossentropy (from_logits=True)) loss: ', numpy("
        "keras.losses.sparse_categorical_crossentropy(y_true, y_pred_logit, "
        "from_logits=True)))\n",
        printed=f"y_pred_logit:\n{LOGITS_SHOWN}\ny_true [[5]] y_pred by sigmoid "
                f"{SIGMOID_SHOWN}\nsparse categorical_crossentropy loss: [56.7]\ny_true "
                f"[[5]] y_pred by None activation {LOGITS_SHOWN}\n"
                "sparse_categorical_crossentropy (from_logits=True)) loss: [56.7]",
        probe=RECOVERS + "why = ('the loss on the sigmoid output equals the loss on the "
              "logits: ' + str(_recovered(keras.losses.sparse_categorical_crossentropy, "
              "tensor(y_true), y_pred_sigmoid)).lower())\n",
        adapt=(("(y_true, y_pred", "(tensor(y_true), y_pred"),)),
    Snippet(
        "000-cce-bce-onehot", "000", "`categorical_crossentropy` and `binary_crossentropy` "
        "of a one-hot label (class 4) and `softmax(z)`",
        "y_true=[[0, 0, 0, 0, 1, 0, 0, 0, 0, 0]]\n" + LOGITS +
        "print('y_pred_logit:\\n', numpy(y_pred_logit))\n"
        "y_pred_softmax = keras.activations.softmax(y_pred_logit)\n"
        "print('\\nsoftmax(y_pred) :\\n', numpy(y_pred_softmax))\n"
        "print('\\ncategorical_crossentropy loss: ', numpy("
        "keras.losses.categorical_crossentropy(y_true, y_pred_softmax)))\n"
        "print('\\nbinary_crossentropy loss: ', numpy("
        "keras.losses.binary_crossentropy(y_true, y_pred_softmax)))\n",
        printed=f"y_pred_logit:\n{LOGITS_SHOWN}\nsoftmax(y_pred) :\n{SOFTMAX_SHOWN}\n"
                "categorical_crossentropy loss: [25.900002]binary_crossentropy loss: "
                "[16.86246]",
        probe=RECOVERS + "why = ('categorical_crossentropy on the softmax output equals "
              "the loss on the logits: ' + str(_recovered(keras.losses."
              "categorical_crossentropy, tensor(y_true, dtype='float32'), y_pred_softmax))"
              ".lower() + '; binary_crossentropy on it equals the sigmoid loss on the "
              "logits: ' + str(_recovered(keras.losses.binary_crossentropy, tensor(y_true, "
              "dtype='float32'), y_pred_softmax)).lower())\n"),
    Snippet(
        "000-cce-sigmoid-softmax", "000", "`categorical_crossentropy` of a one-hot label "
        "(class 4) on `softmax(z)` and on `sigmoid(z)`",
        "y_true=[[0, 0, 0, 0, 1, 0, 0, 0, 0, 0]]\n" + LOGITS +
        "print('y_pred_logit:\\n', numpy(y_pred_logit))\n"
        "y_pred_softmax = keras.activations.softmax(y_pred_logit)\n"
        "print('\\nsoftmax(y_pred_logit) :\\n', numpy(y_pred_softmax))\n"
        "print('categorical_crossentropy(y_true, y_pred_softmax) loss:\\n', numpy("
        "keras.losses.categorical_crossentropy(y_true, y_pred_softmax)))\n"
        "y_pred_sigmoid = keras.activations.sigmoid(y_pred_logit)\n"
        "print('\\nsigmoid(y_pred_logit) :\\n', numpy(y_pred_sigmoid))\n"
        "print('categorical_crossentropy(y_true, y_pred_sigmoid) loss:\\n', numpy("
        "keras.losses.categorical_crossentropy(y_true, y_pred_sigmoid)))\n",
        printed=f"y_pred_logit:\n{LOGITS_SHOWN}\nsoftmax(y_pred_logit) :\n{SOFTMAX_SHOWN}\n"
                "categorical_crossentropy(y_true, y_pred_softmax) loss:\n[25.900002]\n"
                f"sigmoid(y_pred_logit) :\n{SIGMOID_SHOWN}\n"
                "categorical_crossentropy(y_true, y_pred_sigmoid) loss:\n[25.900002]",
        probe=RECOVERS + "why = ('the loss on the sigmoid output equals the loss on the "
              "logits: ' + str(_recovered(keras.losses.categorical_crossentropy, tensor("
              "y_true, dtype='float32'), y_pred_sigmoid)).lower())\n"),
    Snippet(
        "000-from-logits-sigmoid", "000, 001", "each cross-entropy with `from_logits=True` "
        "on the logits [2, 1, 0.1] (label: class 0), against a sigmoid and a softmax "
        "computed in NumPy",
        "y_pred_logit = tensor([[2.0, 1.0, 0.1]])\n"
        "losses = {\n"
        "    'binary_crossentropy': keras.losses.binary_crossentropy(tensor([[1.0, 0.0, "
        "0.0]]), y_pred_logit, from_logits=True),\n"
        "    'categorical_crossentropy': keras.losses.categorical_crossentropy(tensor([[1.0, "
        "0.0, 0.0]]), y_pred_logit, from_logits=True),\n"
        "    'sparse_categorical_crossentropy': keras.losses.sparse_categorical_crossentropy("
        "tensor([0]), y_pred_logit, from_logits=True)}\n"
        "for name, loss in losses.items():\n"
        "    print(name, '(from_logits=True):', numpy(loss))\n",
        says="`from_logits=True` makes any cross-entropy loss function apply a sigmoid to "
             "the outputs (`if from_logits: return nn.sigmoid_cross_entropy_with_logits(...)`).",
        probe="z = np.array([[2.0, 1.0, 0.1]]); y = np.array([[1.0, 0.0, 0.0]])\n"
              "sig = 1 / (1 + np.exp(-z)); soft = np.exp(z) / np.exp(z).sum()\n"
              "def _bce(p): return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))\n"
              "def _cce(p): return float(-np.sum(y * np.log(p / p.sum())))\n"
              "applies = {}\n"
              "for name, loss in losses.items():\n"
              "    f = _bce if name == 'binary_crossentropy' else _cce\n"
              "    got = float(np.ravel(numpy(loss))[0])\n"
              "    applies[name] = 'a sigmoid' if abs(got - f(sig)) < 1e-4 else "
              "'a softmax' if abs(got - f(soft)) < 1e-4 else 'neither'\n"
              "holds = all(a == 'a sigmoid' for a in applies.values())\n"
              "why = '; '.join(f'{n} applies {a}' for n, a in applies.items())\n"),
    Snippet(
        "001-accuracy-cce", "001, 000", "a 1-unit sigmoid model compiled with "
        "`CategoricalCrossentropy()` and `metrics=\"Accuracy\"`: which metric Keras builds",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "
        "activation='sigmoid')])\n"
        "model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy(), "
        "metrics=\"Accuracy\")\n" + TINY_INPUTS +
        "model.evaluate(x, np.array([[1.0], [0.0], [1.0], [0.0]], 'float32'), verbose=0)\n"
        "print('metrics=\"Accuracy\" is computed as', metric_names(model))\n",
        says="With categorical cross-entropy on a binary task (one output) and "
             "`metrics=\"Accuracy\"`, Keras infers `categorical_accuracy`.",
        probe="holds = 'categorical_accuracy' in metric_names(model)\n"
              "why = 'built as ' + ', '.join(metric_names(model))\n",
        adapt=(("metrics=\"Accuracy\"", "metrics=[\"Accuracy\"]"),),
        note="a 1-unit head on 4 zero inputs, evaluated untrained: the metric is built on "
             "the first batch"),
    Snippet(
        "001-accuracy-bce-onehot", "001", "a 2-unit softmax model compiled with "
        "`BinaryCrossentropy()` and `metrics=\"Accuracy\"` on one-hot labels: which metric "
        "Keras builds",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, "
        "activation='softmax')])\n"
        "model.compile(optimizer='adam', loss=keras.losses.BinaryCrossentropy(), "
        "metrics=\"Accuracy\")\n" + TINY_INPUTS +
        "model.evaluate(x, np.eye(2, dtype='float32')[[1, 0, 1, 0]], verbose=0)\n"
        "print('metrics=\"Accuracy\" is computed as', metric_names(model))\n",
        says="With binary cross-entropy on one-hot labels and `metrics=\"Accuracy\"`, "
             "Keras infers `binary_accuracy`.",
        probe="holds = 'binary_accuracy' in metric_names(model)\n"
              "why = 'built as ' + ', '.join(metric_names(model))\n",
        adapt=(("metrics=\"Accuracy\"", "metrics=[\"Accuracy\"]"),),
        note="a 2-unit head on 4 zero inputs, evaluated untrained"),
    Snippet(
        "001-sigmoid", "001", "`sigmoid([-20, -1, 0, 1, 20])` and the sum of its elements",
        "y_pred_logit = tensor([-20, -1.0, 0.0, 1.0, 20], dtype='float32')\n"
        "print('y_pred_logit:', numpy(y_pred_logit))\n"
        "y_pred_prob = keras.activations.sigmoid(y_pred_logit)\n"
        "print('y_pred:', numpy(y_pred_prob))\n"
        "print('sum of all the elements in y_pred: ', numpy(y_pred_prob).sum())\n",
        printed="y_pred_logit: [-20. -1. 0. 1. 20.]\ny_pred: [2.0611537e-09 2.6894143e-01 "
                "5.0000000e-01 7.3105860e-01\n1.0000000e+00]\nsum of all the elements in y "
                "pred: 2.5"),
    Snippet(
        "001-softmax", "001", "`softmax` of two rows of logits and the sum of each row",
        "y_pred_logit = tensor([[-20, -1.0, 4.5], [0.0, 1.0, 20]], dtype='float32')\n"
        "print('y_pred_logit:', numpy(y_pred_logit))\n"
        "y_pred_prob = keras.activations.softmax(y_pred_logit)\n"
        "print('y_pred:', numpy(y_pred_prob))\n"
        "print('sum of all the elements in each vector in y_pred: ', "
        "numpy(y_pred_prob)[0].sum(), numpy(y_pred_prob)[1].sum())\n",
        printed="[ 0. 1. 20.]]\ny_pred: [[2.2804154e-11 4.0701381e-03 9.9592990e-01]\n"
                "[2.0611537e-09 5.6027964e-09 1.0000000e+00]]\nsum of all the elements in "
                "each vector in y pred: 1.0 1.0",
        printed_tail=True,
        note="the seed lost the code and the first printed row; its first row of logits, "
             "[-20, -1, 4.5], is the one whose softmax is the printed first row"),
    Snippet(
        "001-sigmoid-is-softmax", "001", "`sigmoid(x)` against the first element of "
        "`softmax([x, 0])`",
        "x = np.array([-20, -1.0, 0.0, 1.0, 20], 'float32')\n"
        "sigmoid = numpy(keras.activations.sigmoid(tensor(x)))\n"
        "softmax = numpy(keras.activations.softmax(tensor(np.stack([x, np.zeros_like(x)], "
        "axis=-1))))[:, 0]\n"
        "print('sigmoid(x):        ', sigmoid)\n"
        "print('softmax([x, 0])[0]:', softmax)\n",
        says="Sigmoid is equivalent to a 2-element softmax, where the second element is "
             "assumed to be zero.",
        probe="holds = bool(np.allclose(sigmoid, softmax, rtol=1e-5, atol=1e-7))\n"
              "why = 'equal to float32 precision' if holds else "
              "f'they differ by up to {float(np.max(np.abs(sigmoid - softmax))):.2g}'\n"),
    Snippet(
        "001-accuracy-metric", "001", "`Accuracy()` on labels [1, 1, 0, 0] and outputs "
        "[0.99, 1.0, 0.01, 0.0]",
        "y_true = [[1], [1], [0], [0]]\n"
        "y_pred = [[0.99], [1.0], [0.01], [0.0]]\n"
        "print('Which predictions equal to labels:', np.equal(y_true, y_pred).reshape(-1,))\n"
        "m = keras.metrics.Accuracy()\n"
        "m.update_state(y_true, y_pred)\n"
        "print('Accuracy: ', numpy(m.result()))\n",
        printed="Which predictions equal to labels: [False True False True]\nAccuracy: 0.5"),
    Snippet(
        "001-binary-accuracy", "001", "`binary_accuracy` and `BinaryAccuracy()` on labels "
        "[1, 1, 0, 0] and outputs [0.49, 0.51, 0.5, 0.51]",
        "y_true = [[1],      [1],      [0], [0]]\n"
        "y_pred = [[0.49], [0.51], [0.5], [0.51]]\n"
        "m = keras.metrics.binary_accuracy(y_true, y_pred, threshold=0.5)\n"
        "print('Which predictions match with binary labels:', numpy(m))\n"
        "m = keras.metrics.BinaryAccuracy()\n"
        "m.update_state(y_true, y_pred)\n"
        "print('Binary Accuracy: ', numpy(m.result()))\n",
        printed="Which predictions match with binary labels: [0. 1. 1. 0.]\n"
                "Binary Accuracy: 0.5"),
    Snippet(
        "001-categorical-accuracy", "001", "`categorical_accuracy` and "
        "`CategoricalAccuracy()` on two one-hot labels of 3 classes",
        "y_true = [[ 0,  0, 1],  [ 0,  1, 0]]\n"
        "y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.3]]\n"
        "m = keras.metrics.categorical_accuracy(y_true, y_pred)\n"
        "print('Which predictions match with one-hot labels:', numpy(m))\n"
        "m = keras.metrics.CategoricalAccuracy()\n"
        "m.update_state(y_true, y_pred)\n"
        "print('Categorical Accuracy:', numpy(m.result()))\n",
        printed="Which predictions match with one-hot labels: [0. 1.]\n"
                "Categorical Accuracy: 0.5"),
    Snippet(
        "001-batches", "001", "1027 train / 256 test images in batches of 64, "
        "`drop_remainder=True`: the number of batches",
        "ds_train_resize_scale = tf.data.Dataset.range(1027)  # horses_or_humans' train "
        "images\n"
        "ds_test_resize_scale = tf.data.Dataset.range(256)  # and its test images\n"
        "ds_train_resize_scale_batched=ds_train_resize_scale.batch(64, drop_remainder=True )\n"
        "ds_test_resize_scale_batched=ds_test_resize_scale.batch(64, drop_remainder=True )\n"
        "print('Number of batches in train: ', "
        "ds_train_resize_scale_batched.cardinality().numpy())\n"
        "print('Number of batches in test: ', "
        "ds_test_resize_scale_batched.cardinality().numpy())\n",
        printed="Number of batches in train: 16\nNumber of batches in test: 4",
        note="`tf.data.Dataset.range` stands in for the downloaded images: only their "
             "number matters"),
)
