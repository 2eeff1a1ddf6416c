"""The study section "On a real network": the page's runs train a multilayer perceptron.

Each run of the page (its optimizer, learning rate, schedule and other settings) trains the
same network (:mod:`optviz.mlp`; inputs → 100 → 100 → 10) from the same initial weights;
the section draws the training loss and accuracy against the epoch, one colour per run as
everywhere on the page, and a table of the final values.

The data are the 8×8 digits that ship with optviz (64 inputs). MNIST (784 inputs) is offered
when the environment variable :data:`MNIST_ENV` names a folder holding its standard IDX
training files; nothing is downloaded. Only its first :data:`MNIST_IMAGES` training images
are used, so that an epoch costs about as much as one on the digits, and the section says
so; a folder that is missing or holds no readable files gives a notice and the digits.

Nothing is computed until the expander is opened. The training is cached
(``st.cache_data``, :data:`CACHE_ENTRIES` entries) on plain arguments — the run specs, the
epochs, the batch size and the seed — so reopening the section or any other change of the
page costs nothing. The work is bounded: at most :data:`WORK_BUDGET` multiply-adds, about
the course's experiment (six runs × 100 full-batch epochs), by training fewer epochs than
asked (the section says so). A progress bar follows the epochs while a result is computed.
Session-state keys: ``net_data``, ``net_epochs``, ``net_batch``, ``net_seed`` (widgets) and
``open_network`` (the expander).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st
from threadpoolctl import threadpool_limits

from optviz import mlp
from optviz.drawing import figures as F
from optviz.drawing.network import training_figure

from .compute import build_optimizer
from .i18n import escape_markdown, run_name, small_note, t
from .state import PageState, RunSpec

HIDDEN = (100, 100)
WORK_BUDGET = 60_000_000_000
"""Multiply-adds per training (:func:`optviz.mlp.training_work`): six runs × 100 full-batch
epochs on the digits fit (about 3 s on two idle cores)."""
CACHE_ENTRIES = 8
DEFAULT_EPOCHS = 100
MAX_EPOCHS = 1000
BATCH_SIZES = (0, 256, 64, 16)
"""The batch-size choices; 0 is the full batch."""
BLAS_THREADS = 1
"""BLAS threads of the server process, set once below. The products are small (100 × 100
weights); with the cores busy (other sessions, other programs) several BLAS threads spin
against each other and were measured up to ten times slower than one; on two idle cores two
threads could at most halve the time. OpenBLAS's thread count is one setting for the whole
process, not per call or per session: set and restored around each training, it changed the
other sessions' BLAS while one trained, and two overlapping trainings restored it out of
order (left at one for good). So it is one fixed setting for every session instead."""
threadpool_limits(limits=BLAS_THREADS, user_api="blas")  # the whole process, once

DTYPE = np.float32
"""The matrix products run in float32 (the weights and the optimizers' state stay float64)."""
MNIST_ENV = "OPTVIZ_MNIST_DIR"
"""The environment variable naming the folder of MNIST's IDX files (``train-images-idx3-ubyte``
and ``train-labels-idx1-ubyte``, plain or ``.gz``); unset: the section offers no MNIST."""
MNIST_IMAGES = 1000
"""MNIST images used: the first ones of the training set. The network then has 5 times the
weights of the digits' network and a subset this size keeps an epoch at about three times
the cost of one on the digits, so the work budget still allows tens of epochs."""
PANEL = "open_network"
"""Session key of the section's expander (open or closed)."""
WORDED_PICKERS = ("net_data", "net_batch")
"""The section's pickers whose options are words (the data set; the batch size's "full
batch"): what a language switch writes again (``page.on_lang_change``) so that the browser
shows the option in the new language."""
DIGITS = ("digits",)
"""The data key of the 8×8 digits; MNIST's is ``("mnist", folder, images)``."""


def mnist_folder() -> str | None:
    """The MNIST folder named by :data:`MNIST_ENV`, or None when it is unset or blank."""
    folder = os.environ.get(MNIST_ENV, "").strip()
    return folder or None


@st.cache_resource(max_entries=2, show_spinner=False)
def mnist_subset(folder: str, images: int) -> mlp.Dataset:
    """The first ``images`` MNIST training images from ``folder``, read once per process.

    Errors of :func:`optviz.mlp.load_mnist` propagate (and are not cached).
    """
    return mlp.load_mnist(folder, limit=images)


def chosen_mnist() -> mlp.Dataset | None:
    """MNIST's images when the section trains on them (offered, chosen in its data-set
    picker and readable), else None (the digits): what :func:`_choose_data` uses, found
    without drawing anything."""
    folder = mnist_folder()
    if folder is None or st.session_state.get("net_data") != "mnist":
        return None
    try:
        return mnist_subset(folder, MNIST_IMAGES)
    except (ValueError, OSError):
        return None


def data_phrase(lang: str) -> str:
    """The data set the section trains on, as a phrase inside a sentence (a lecture
    preset's explanation: ``optviz.presets.DATA``)."""
    data = chosen_mnist()
    if data is None:
        return t("net.preset_data_digits", lang)
    return t("net.preset_data_mnist", lang, n=f"{data.size:,}")


def dataset(key: tuple) -> mlp.Dataset:
    """The training set of a data key (:data:`DIGITS` or ``("mnist", folder, images)``)."""
    if key[0] == "mnist":
        return mnist_subset(key[1], key[2])
    return mlp.load_digits()


def capped_epochs(asked: int, runs: int, batch_size: int | None, n: int, sizes) -> int:
    """``asked`` reduced so that the training stays within :data:`WORK_BUDGET` (at least 1)."""
    per_epoch = mlp.training_work(sizes, n, 1, max(1, runs), batch_size=batch_size)
    return max(1, min(int(asked), WORK_BUDGET // per_epoch))


def _progress_updater(bar, lang: str) -> Callable[[int, int], None]:
    """A callback that moves ``bar`` to ``done / total``.

    ``st.cache_data`` records the elements a cached function draws, to replay them on a
    cache hit; the bar belongs to the section, not to the result. The callback therefore
    updates it in the context captured here, outside the cached function, where nothing is
    recorded.
    """
    outside = contextvars.copy_context()

    def update(done: int, total: int) -> None:
        text = t("net.training", lang, done=done, total=total)
        outside.run(bar.progress, done / total, text=text)

    return update


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def trained(
    specs: tuple[RunSpec, ...],
    epochs: int,
    batch_size: int | None,
    seed: int,
    _progress: Callable[[int, int], None] | None = None,
    data_key: tuple = DIGITS,
) -> tuple[np.ndarray, np.ndarray]:
    """``(loss, accuracy)``, each ``(runs, epochs + 1)``: the runs trained together on the
    data of ``data_key`` (:func:`dataset`).

    ``_progress(done, epochs)`` after each epoch (not part of the cache key). The matrix
    products use :data:`BLAS_THREADS` BLAS threads.
    """
    histories = mlp.train_many(
        [build_optimizer(spec) for spec in specs],
        epochs,
        hidden=HIDDEN,
        seed=seed,
        batch_size=batch_size,
        data=dataset(data_key),
        dtype=DTYPE,
        progress=_progress,
    )
    return (
        np.stack([h.loss for h in histories]),
        np.stack([h.accuracy for h in histories]),
    )


def usable_runs(runs: Sequence[RunSpec]) -> tuple[list[int], list[tuple[int, str]]]:
    """Indices of the runs whose optimizer can be built, and ``(index, error)`` for the rest."""
    good, bad = [], []
    for i, spec in enumerate(runs):
        try:
            build_optimizer(spec)
        except (ValueError, TypeError, KeyError) as error:
            bad.append((i, str(error)))
        else:
            good.append(i)
    return good, bad


def results_table(names: Sequence[str], loss: np.ndarray, accuracy: np.ndarray, lang: str) -> str:
    """A Markdown table: each run's loss and accuracy after the last epoch."""
    epochs = loss.shape[1] - 1
    head = (
        f"| {t('net.col_run', lang)} | {t('net.col_loss', lang, epochs=epochs)} "
        f"| {t('net.col_accuracy', lang)} |\n|---|---:|---:|"
    )
    rows = [
        f"| {name} | {final:.4g} | {100 * correct:.1f} % |"
        for name, final, correct in zip(names, loss[:, -1], accuracy[:, -1], strict=True)
    ]
    return "\n".join([head, *rows])


def _choose_data(lang: str) -> tuple[tuple, mlp.Dataset, str]:
    """The data key, the training set and the sentence that names it.

    Without :data:`MNIST_ENV` the digits, and no choice is shown. With it, a choice between
    the digits and MNIST; MNIST that cannot be read gives a warning and the digits.
    """
    digits = (DIGITS, mlp.load_digits(), t("net.data_digits", lang))
    folder = mnist_folder()
    if folder is None:
        return digits
    ss = st.session_state
    ss.setdefault("net_data", "digits")
    choice = st.radio(
        t("net.dataset", lang),
        ("digits", "mnist"),
        format_func=lambda c: t(f"net.dataset_{c}", lang, n=f"{MNIST_IMAGES:,}"),
        horizontal=True,
        key="net_data",
    )
    if choice != "mnist":
        return digits
    shown = escape_markdown(folder)
    try:
        data = mnist_subset(folder, MNIST_IMAGES)
    except FileNotFoundError:
        st.warning(t("net.mnist_missing", lang, path=shown))
        return digits
    except (ValueError, OSError):
        st.warning(t("net.mnist_broken", lang, path=shown))
        return digits
    sentence = t("net.data_mnist", lang, path=shown, n=f"{data.size:,}")
    return ("mnist", folder, MNIST_IMAGES), data, sentence


def _controls(n: int, lang: str) -> tuple[int, int | None, int]:
    """Epochs, batch size (None: full batch) and seed from the section's widgets; batch
    sizes offered are those below ``n``, the size of the training set."""
    ss = st.session_state
    ss.setdefault("net_epochs", DEFAULT_EPOCHS)
    ss.setdefault("net_seed", 0)
    sizes = tuple(b for b in BATCH_SIZES if b < n)
    if ss.get("net_batch") not in sizes:
        ss["net_batch"] = 0
    row = st.container(horizontal=True, gap="medium")
    epochs = row.number_input(
        t("net.epochs", lang), min_value=1, max_value=MAX_EPOCHS, step=10, key="net_epochs"
    )
    batch = row.selectbox(
        t("net.batch", lang),
        sizes,
        # the same words for every data set: the browser keeps a selected option's text
        # (a language switch writes the value again: page.on_lang_change)
        format_func=lambda b: t("net.full_batch", lang) if b == 0 else str(b),
        key="net_batch",
    )
    seed = row.number_input(
        t("net.seed", lang),
        min_value=0,
        max_value=2**31 - 1,
        key="net_seed",
        help=t("net.seed_help", lang),
    )
    return int(epochs), (int(batch) or None), int(seed)


def section(state: PageState, lang: str, style: F.Style | None = None) -> None:
    """The expander "On a real network"; trains and draws only while it is open.

    ``style``: the figure's sizes (the page's; presenter mode's on a projector).
    """
    box = st.expander(t("net.title", lang), icon=":material/hub:", key=PANEL, on_change="rerun")
    if not box.open:
        return
    with box:
        data_key, data, data_sentence = _choose_data(lang)
        sizes = mlp.layer_sizes(data, HIDDEN)
        shape = " → ".join(str(width) for width in sizes)
        st.markdown(small_note(t("net.help", lang, sizes=shape, data=data_sentence)))
        if not state.runs:
            st.info(t("studies.no_runs", lang))
            return
        asked, batch_size, seed = _controls(data.size, lang)
        good, bad = usable_runs(state.runs)
        for i, error in bad:
            label = run_name(i, state.runs[i], lang=lang)
            st.warning(t("studies.run_error", lang, label=label, error=error))
        if not good:
            return
        if any(state.runs[i].noise for i in good):
            st.caption(t("net.noise", lang))
        specs = tuple(state.runs[i] for i in good)
        epochs = capped_epochs(asked, len(specs), batch_size, data.size, sizes)
        if epochs < asked:
            st.caption(t("net.capped", lang, epochs=epochs, asked=asked))
        bar = st.empty()
        progress = _progress_updater(bar, lang)
        loss, accuracy = trained(
            specs, epochs, batch_size, seed, _progress=progress, data_key=data_key
        )
        bar.empty()
        names = [run_name(i, state.runs[i], lang=lang) for i in good]
        colors = [F.color(i) for i in good]
        st.plotly_chart(
            training_figure(list(loss), list(accuracy), names, colors, lang, style=style),
            key="net_chart",
            config={"displayModeBar": False},  # it would cover the legend on a phone
        )
        st.markdown(results_table(names, loss, accuracy, lang))
