"""The NumPy multilayer perceptron of optviz.mlp: gradients, torch agreement, the course's result.

torch is optional: the cross-checks against ``torch.optim`` are skipped without it.
"""

import gzip
import math
import struct

import numpy as np
import pytest

from optviz import OPTIMIZERS
from optviz.mlp import (
    Dataset,
    initial_weights,
    layer_sizes,
    load_digits,
    load_mnist,
    loss_and_gradient,
    parameter_count,
    read_idx,
    train,
    train_many,
    training_work,
    unpack,
)
from optviz.presets import PRESETS_BY_KEY

COURSE = ["sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam"]


def small_data(n=40):
    """The first ``n`` digits as their own training set (fast tests)."""
    digits = load_digits()
    return Dataset(digits.x[:n], digits.y[:n], 10, "first digits")


# ---------------------------------------------------------------------------------------
# data


def test_digits_are_the_8x8_set_scaled_to_unit_range():
    digits = load_digits()
    assert digits.x.shape == (1797, 64) and digits.y.shape == (1797,)
    assert digits.x.min() == 0.0 and digits.x.max() == 1.0
    assert np.array_equal(digits.x * 16, np.round(digits.x * 16))  # pixels were 0..16
    assert set(np.unique(digits.y)) == set(range(10))
    assert not digits.x.flags.writeable and not digits.y.flags.writeable


def test_shipped_digits_equal_scikit_learns():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    assert np.array_equal(load_digits().x, reference.data / 16.0)
    assert np.array_equal(load_digits().y, reference.target)


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8) in the IDX format, written from the format's description."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(folder, images, labels, *, compress=False, split="train"):
    prefix = "train" if split == "train" else "t10k"
    for name, array in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        raw = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=12, dtype=np.uint8)
    write_mnist(tmp_path, images, labels, compress=compress)
    mnist = load_mnist(tmp_path)
    assert mnist.x.shape == (12, 784) and mnist.classes == 10
    assert np.array_equal(mnist.x, images.reshape(12, 784) / 255.0)
    assert np.array_equal(mnist.y, labels)
    assert load_mnist(tmp_path, limit=5).size == 5
    history = train(OPTIMIZERS["adam"](lr=0.01), 2, hidden=(8,), data=mnist)
    assert history.weights.shape == (parameter_count((784, 8, 10)),)


def test_load_mnist_test_split_and_dotted_names(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    labels = np.array([1, 2, 3], dtype=np.uint8)
    (tmp_path / "t10k-images.idx3-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "t10k-labels.idx1-ubyte").write_bytes(idx_bytes(labels))
    assert np.array_equal(load_mnist(tmp_path, split="test").y, [1, 2, 3])


def test_missing_mnist_gives_a_clear_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST folder not found"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="validation")


def test_malformed_idx_files_are_refused(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01abcd")  # type 0x0d (float)
    with pytest.raises(ValueError, match="bad header"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((4, 2, 2), np.uint8))[:-3])
    with pytest.raises(ValueError, match="header says"):
        read_idx(short)
    write_mnist(tmp_path, np.zeros((5, 28, 28), np.uint8), np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        load_mnist(tmp_path)


# ---------------------------------------------------------------------------------------
# the network


def test_gradient_matches_central_differences():
    data = small_data(30)
    sizes = layer_sizes(data, (7, 5))
    rng = np.random.default_rng(1)
    weights = np.stack([initial_weights(sizes, 0), rng.normal(0, 0.5, parameter_count(sizes))])
    loss, _, grad = loss_and_gradient(sizes, weights, data.x, data.y)
    h = 1e-6
    numeric = np.empty_like(grad)
    for j in range(weights.shape[1]):
        plus, minus = weights.copy(), weights.copy()
        plus[:, j] += h
        minus[:, j] -= h
        up = loss_and_gradient(sizes, plus, data.x, data.y, gradient=False)[0]
        down = loss_and_gradient(sizes, minus, data.x, data.y, gradient=False)[0]
        numeric[:, j] = (up - down) / (2 * h)
    assert np.all(np.abs(grad).max(axis=1) > 1e-3)
    np.testing.assert_allclose(grad, numeric, rtol=0, atol=1e-8)
    assert loss.shape == (2,) and np.isfinite(loss).all()


def test_loss_is_mean_cross_entropy_of_the_softmax():
    data = small_data(25)
    sizes = layer_sizes(data, (6,))
    weights = initial_weights(sizes, 4)[None]
    (w1, b1), (w2, b2) = unpack(sizes, weights)
    logits = np.maximum(data.x @ w1[0] + b1[0], 0) @ w2[0] + b2[0]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(probabilities[np.arange(25), data.y]))
    loss, correct, _ = loss_and_gradient(sizes, weights, data.x, data.y, gradient=False)
    assert loss[0] == pytest.approx(expected, rel=1e-13)
    assert correct[0] == np.sum(logits.argmax(axis=1) == data.y)


def test_initialisation_is_torch_default_bounds():
    sizes = (64, 100, 100, 10)
    layers = unpack(sizes, initial_weights(sizes, 0)[None])
    for (w, b), fan_in in zip(layers, sizes[:-1], strict=True):
        bound = 1 / math.sqrt(fan_in)
        for part in (w, b):
            assert np.abs(part).max() <= bound
            assert np.abs(part).max() > 0.9 * bound  # spread over the whole interval
    assert not np.array_equal(initial_weights(sizes, 0), initial_weights(sizes, 1))


# ---------------------------------------------------------------------------------------
# training


@pytest.fixture
def torch_float64():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


def torch_training(torch, sizes, weights, data, make_optimizer, epochs):
    """torch's loop on a copy of ``weights``: losses after 0..epochs and the final weights."""
    layers = []
    for (w, b), fan_in, fan_out in zip(
        unpack(sizes, weights[None]), sizes[:-1], sizes[1:], strict=True
    ):
        linear = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w[0].T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0, 0].copy()))
        layers += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    optimizer = make_optimizer(net.parameters())
    x, y = torch.from_numpy(np.array(data.x)), torch.from_numpy(np.array(data.y))
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    losses.append(torch.nn.functional.cross_entropy(net(x), y).item())
    flat = [
        part.detach().numpy().T.ravel() if part.ndim == 2 else part.detach().numpy()
        for part in net.parameters()
    ]
    return np.array(losses), np.concatenate(flat)


@pytest.mark.parametrize(
    ("key", "torch_name", "settings"),
    [("adam", "Adam", {"lr": 0.01}), ("sgd", "SGD", {"lr": 0.01})],
)
def test_first_epochs_match_torch_optim(torch_float64, key, torch_name, settings):
    torch = torch_float64
    data = load_digits()
    sizes = layer_sizes(data, (100, 100))
    ours = train(OPTIMIZERS[key](**settings), 5, seed=7)
    theirs_loss, theirs_weights = torch_training(
        torch,
        sizes,
        initial_weights(sizes, 7),
        data,
        lambda params: getattr(torch.optim, torch_name)(params, **settings),
        5,
    )
    np.testing.assert_allclose(ours.loss, theirs_loss, rtol=1e-10, atol=0)
    np.testing.assert_allclose(ours.weights, theirs_weights, rtol=0, atol=1e-10)
    assert ours.loss[5] < ours.loss[0]


@pytest.fixture(scope="module")
def course():
    """The course's experiment, as the lecture preset ``course_network`` sets it up (every
    optimizer at lr 0.01), 100 full-batch epochs on the digits in float32; and AdaDelta at
    its own default lr 1.0 beside it."""
    runs = PRESETS_BY_KEY["course_network"].runs
    assert [r.optimizer for r in runs] == COURSE
    optimizers = [OPTIMIZERS[r.optimizer](**dict(r.kwargs)) for r in runs]
    histories = train_many([*optimizers, OPTIMIZERS["adadelta"]()], 100, dtype=np.float32)
    return {
        **dict(zip(COURSE, histories[:-1], strict=True)),
        "adadelta lr 1": histories[-1],
    }


def test_course_ordering_at_epoch_100(course):
    final = {key: history.loss[100] for key, history in course.items()}
    fast = max(final["adagrad"], final["rmsprop"], final["adam"])
    slow = min(final["sgd"], final["adadelta"])
    assert fast < 0.5 * final["momentum"]
    assert final["momentum"] < slow - 0.2
    assert abs(final["sgd"] - final["adadelta"]) < 0.1  # SGD ≈ AdaDelta at lr 0.01
    # AdaDelta at its own lr 1.0 is no longer slow: it keeps up with AdaGrad
    assert course["adadelta lr 1"].loss[100] < 0.5 * final["momentum"]
    assert 0.5 < course["adadelta lr 1"].loss[100] / final["adagrad"] < 2


def test_adam_reaches_95_percent_training_accuracy_by_epoch_100(course):
    assert course["adam"].accuracy[100] >= 0.95
    assert course["adam"].accuracy[0] < 0.3  # it starts near chance


def test_every_run_starts_from_the_same_network(course):
    starts = {history.loss[0] for history in course.values()}
    assert len(starts) == 1


def test_mini_batch_of_all_samples_is_the_full_batch_exactly():
    data = small_data(120)
    optimizer = OPTIMIZERS["adam"](lr=0.01)
    full = train(optimizer, 4, hidden=(30, 20), data=data, seed=5)
    whole = train(optimizer, 4, hidden=(30, 20), data=data, seed=5, batch_size=120)
    assert np.array_equal(full.loss, whole.loss)
    assert np.array_equal(full.accuracy, whole.accuracy)
    assert np.array_equal(full.weights, whole.weights)
    assert full.steps == whole.steps == 4


def test_mini_batches_take_one_step_per_batch_and_follow_the_seed():
    data = small_data(100)
    optimizer = OPTIMIZERS["sgd"](lr=0.1)
    run = train(optimizer, 3, hidden=(16,), data=data, batch_size=32, seed=2)
    again = train(optimizer, 3, hidden=(16,), data=data, batch_size=32, seed=2)
    other_order = train(optimizer, 3, hidden=(16,), data=data, batch_size=32, seed=3)
    full = train(optimizer, 3, hidden=(16,), data=data, seed=2)
    assert run.steps == 3 * 4  # 32 + 32 + 32 + 4
    assert np.array_equal(run.loss, again.loss)
    assert run.loss[0] == full.loss[0]  # same initial weights whatever the batch size
    assert not np.array_equal(run.loss[1:], full.loss[1:])
    assert other_order.loss[0] != run.loss[0]
    assert run.loss[3] < run.loss[0]


def test_training_together_equals_training_alone():
    data = small_data(80)
    optimizers = [OPTIMIZERS["momentum"](lr=0.05), OPTIMIZERS["rmsprop"](lr=0.01)]
    together = train_many(optimizers, 3, hidden=(12,), data=data, seed=1)
    for optimizer, history in zip(optimizers, together, strict=True):
        alone = train(optimizer, 3, hidden=(12,), data=data, seed=1)
        np.testing.assert_allclose(history.loss, alone.loss, rtol=1e-13)
        np.testing.assert_allclose(history.weights, alone.weights, rtol=0, atol=1e-14)


def test_float32_products_follow_the_float64_run():
    data = small_data(200)
    optimizer = OPTIMIZERS["adam"](lr=0.01)
    exact = train(optimizer, 5, hidden=(32,), data=data)
    fast = train(optimizer, 5, hidden=(32,), data=data, dtype=np.float32)
    assert fast.weights.dtype == np.float64
    np.testing.assert_allclose(fast.loss, exact.loss, rtol=1e-4)


def test_divergence_shows_as_non_finite_loss_without_warnings():
    run = train(OPTIMIZERS["sgd"](lr=1e12), 4, hidden=(8,), data=small_data(50))
    assert np.isfinite(run.loss[0])
    assert not np.isfinite(run.loss[-1]) or run.loss[-1] > 1e6


def test_progress_reports_each_epoch():
    seen = []
    train_many(
        [OPTIMIZERS["sgd"](lr=0.1)],
        3,
        hidden=(4,),
        data=small_data(20),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, r"epochs must be a whole number at least 1, got 0"),
        ({"epochs": -3}, r"epochs must be a whole number at least 1, got -3"),
        ({"epochs": 2.5}, r"epochs must be a whole number at least 1, got 2.5"),
        ({"epochs": True}, r"epochs must be a whole number"),
        ({"batch_size": 0}, r"batch_size must be a whole number between 1 and 20 .*has 20"),
        ({"batch_size": 21}, r"batch_size must be a whole number between 1 and 20"),
        ({"hidden": (10, 0)}, r"each hidden width must be a whole number at least 1, got 0"),
    ],
)
def test_bad_input_gives_a_clear_message(kwargs, message):
    arguments = {"epochs": 2, "hidden": (4,), "data": small_data(20), **kwargs}
    epochs = arguments.pop("epochs")
    with pytest.raises(ValueError, match=message):
        train(OPTIMIZERS["adam"](), epochs, **arguments)


def test_train_wants_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        train("adam", 2, data=small_data(10))


def test_training_work_counts_passes_and_steps():
    sizes = (64, 100, 100, 10)
    full = training_work(sizes, 1797, 100, 6)
    assert full == 6 * 100 * parameter_count(sizes) * (1797 * 3 + 100)
    assert training_work(sizes, 1797, 100, 6, batch_size=16) > 2 * full  # 113 steps an epoch
    assert training_work(sizes, 1797, 200, 6) == 2 * full
