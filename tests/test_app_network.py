"""The section "On a real network" under ``streamlit.testing``: the page's runs train the
multilayer perceptron of optviz.mlp, the course's preset, the cache, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from apptest_helpers import chart_specs, open_page, tiny_mnist
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, mlp
from optviz.drawing import figures as F
from optviz.presets import PRESETS_BY_KEY
from optviz_app import network_ui
from optviz_app.i18n import t


def page(query: dict | None = None) -> AppTest:
    return open_page(query, timeout=180)


def network_figure(at: AppTest) -> dict:
    """The section's figure: the chart with an ``epoch`` axis."""
    for spec in chart_specs(at):
        titles = [a.get("text") for a in spec["layout"].get("annotations", [])]
        if t("fig.net_loss", "en") in titles or t("fig.net_loss", "ja") in titles:
            return spec
    raise AssertionError("no network figure")


def curves(spec: dict) -> dict[str, tuple[list, str]]:
    """Run name -> (loss values, colour) from the figure's loss panel."""
    return {
        tr["name"]: (tr["y"], tr["line"]["color"])
        for tr in spec["data"]
        if tr.get("yaxis", "y") == "y" and tr.get("showlegend", True) is not False
    }


def decoded(values) -> np.ndarray:
    """Plotly's typed-array encoding (``bdata``) or a plain list, as an array."""
    if isinstance(values, dict):
        import base64

        raw = base64.b64decode(values["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(values["dtype"]))
    return np.array(values, dtype=np.float64)


def open_network(at: AppTest, **widgets) -> AppTest:
    at.session_state["open_network"] = True
    for name, value in widgets.items():
        at.session_state[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_closed_section_computes_nothing():
    network_ui.trained.clear()
    at = page()
    assert any(e.label == t("net.title", "en") for e in at.expander)
    assert not [s for s in chart_specs(at) if "annotations" in s["layout"]]


def test_page_runs_train_the_network_one_colour_per_run():
    network_ui.trained.clear()
    at = page()
    runs = at.session_state["state"].runs
    open_network(at, net_epochs=6)
    spec = network_figure(at)
    lines = curves(spec)
    assert len(lines) == len(runs)
    for i, spec_i in enumerate(runs):
        name = next(n for n in lines if n.startswith(f"{i + 1} · "))
        loss, color = lines[name]
        assert color == F.color(i)
        # the same numbers as training directly with the run's optimizer
        expected = mlp.train(
            OPTIMIZERS[spec_i.optimizer](lr=spec_i.lr, **dict(spec_i.hyper)),
            6,
            dtype=np.float32,
        ).loss
        # float32 products: BLAS may round differently with another thread count
        np.testing.assert_allclose(decoded(loss), expected, rtol=1e-5)
    table = next(m.value for m in at.markdown if t("net.col_loss", "en", epochs=6) in m.value)
    assert table.count("\n") == len(runs) + 1
    assert t("net.help", "en")[:40] in "\n".join(m.value for m in at.markdown)


def test_reopening_is_served_from_the_cache(monkeypatch):
    network_ui.trained.clear()
    at = open_network(page(), net_epochs=3)
    first = network_figure(at)
    calls = []
    monkeypatch.setattr(mlp, "train_many", lambda *a, **kw: calls.append(1) or [])
    at.session_state["open_network"] = False
    at.run()
    at = open_network(at)
    assert not calls  # not trained again
    assert network_figure(at)["data"] == first["data"]


def test_course_preset_reproduces_the_ordering_in_japanese():
    network_ui.trained.clear()
    at = page({"preset": "course_network", "lang": "ja"})
    open_network(at)
    spec = network_figure(at)
    finals = {
        name.split(" · ")[1].split(" ")[0]: decoded(v[0])[-1] for name, v in curves(spec).items()
    }
    assert set(finals) == {"SGD", "Momentum", "AdaGrad", "RMSprop", "AdaDelta", "Adam"}
    assert max(finals["AdaGrad"], finals["RMSprop"], finals["Adam"]) < 0.5 * finals["Momentum"]
    assert finals["Momentum"] < min(finals["SGD"], finals["AdaDelta"]) - 0.2
    text = "\n".join(m.value for m in at.markdown)
    assert "MNIST ではありません" in text and "エポック後の損失" in text
    assert json.dumps(spec["layout"], ensure_ascii=False).count("エポック") >= 1


def test_work_is_capped_and_said(monkeypatch):
    network_ui.trained.clear()
    monkeypatch.setattr(network_ui, "WORK_BUDGET", 3_000_000_000)
    at = open_network(page(), net_epochs=1000, net_batch=16)
    caption = "\n".join(c.value for c in at.caption)
    assert "epochs are trained (not 1000)" in caption
    runs = len(at.session_state["state"].runs)
    epochs = len(decoded(next(iter(curves(network_figure(at)).values()))[0])) - 1
    sizes = mlp.layer_sizes(mlp.load_digits(), network_ui.HIDDEN)
    work = mlp.training_work(sizes, 1797, epochs, runs, batch_size=16)
    assert 1 <= epochs < 1000 and work <= network_ui.WORK_BUDGET
    assert mlp.training_work(sizes, 1797, epochs + 1, runs, batch_size=16) > 3_000_000_000


def test_a_run_that_cannot_be_built_is_set_aside_with_its_error():
    from optviz_app.state import RunSpec

    good = RunSpec.make("adam", 0.01)
    bad = RunSpec("adam", -1.0)
    kept, refused = network_ui.usable_runs((good, bad, good))
    assert kept == [0, 2]
    assert refused[0][0] == 1 and "-1.0" in refused[0][1]


def test_results_table_states_the_final_values():
    loss = np.array([[2.3, 1.0, 0.5], [2.3, 2.2, 2.1]])
    accuracy = np.array([[0.1, 0.6, 0.95], [0.1, 0.12, 0.2]])
    table = network_ui.results_table(["1 · Adam", "2 · SGD"], loss, accuracy, "en")
    assert "Loss after 2 epochs" in table
    assert "| 1 · Adam | 0.5 | 95.0 % |" in table and "| 2 · SGD | 2.1 | 20.0 % |" in table


# ---------------------------------------------------------------------------------------
# MNIST where the user has its files (OPTVIZ_MNIST_DIR)


def data_radio(at: AppTest):
    return next((r for r in at.radio if r.key == "net_data"), None)


def help_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "multilayer perceptron" in m.value)


def test_no_mnist_choice_without_the_folder_setting(monkeypatch):
    monkeypatch.delenv(network_ui.MNIST_ENV, raising=False)
    network_ui.trained.clear()
    at = open_network(page(), net_epochs=2)
    assert data_radio(at) is None
    assert "64 → 100 → 100 → 10" in help_text(at) and "not MNIST" in help_text(at)


def test_mnist_from_the_users_files_trains_the_784_input_network(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    tiny_mnist(folder)
    monkeypatch.setenv(network_ui.MNIST_ENV, str(folder))
    network_ui.trained.clear()
    network_ui.mnist_subset.clear()
    at = open_network(page(), net_epochs=4)
    radio = data_radio(at)
    assert radio is not None and radio.value == "digits"  # the digits until MNIST is chosen
    digits_curves = curves(network_figure(at))
    at = open_network(at, net_data="mnist")
    text = help_text(at)
    assert "784 → 100 → 100 → 10" in text and "MNIST" in text and "first 40 training" in text
    assert not at.warning
    # the page's batch sizes that fit 40 images: full batch and 16
    assert [o for o in next(s for s in at.selectbox if s.key == "net_batch").options] == [
        t("net.full_batch", "en"),
        "16",
    ]
    runs = at.session_state["state"].runs
    lines = curves(network_figure(at))
    assert lines.keys() == digits_curves.keys()
    data = mlp.load_mnist(folder, limit=network_ui.MNIST_IMAGES)
    assert data.size == 40 and data.x.shape[1] == 784
    spec = runs[0]
    expected = mlp.train(
        OPTIMIZERS[spec.optimizer](lr=spec.lr, **dict(spec.hyper)), 4, data=data, dtype=np.float32
    ).loss
    name = next(n for n in lines if n.startswith("1 · "))
    np.testing.assert_allclose(decoded(lines[name][0]), expected, rtol=1e-5)
    assert not np.allclose(decoded(lines[name][0]), decoded(digits_curves[name][0]))


def test_mnist_choice_in_japanese_names_the_data(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    tiny_mnist(folder)
    monkeypatch.setenv(network_ui.MNIST_ENV, str(folder))
    network_ui.trained.clear()
    network_ui.mnist_subset.clear()
    at = open_network(page({"lang": "ja"}), net_epochs=2, net_data="mnist")
    assert data_radio(at).label == t("net.dataset", "ja")
    text = next(m.value for m in at.markdown if "多層パーセプトロン" in m.value)
    assert "784 → 100 → 100 → 10" in text and "最初の 40 枚" in text


def test_a_missing_or_broken_mnist_folder_gives_a_notice_and_the_digits(monkeypatch, tmp_path):
    network_ui.trained.clear()
    network_ui.mnist_subset.clear()
    monkeypatch.setenv(network_ui.MNIST_ENV, str(tmp_path / "nowhere"))
    at = open_network(page(), net_epochs=3, net_batch=16, net_seed=5)
    before_state = at.session_state["state"]
    digits = network_figure(at)["data"]
    at = open_network(at, net_data="mnist")
    assert any("MNIST was not found at" in w.value for w in at.warning)
    assert "not MNIST" in help_text(at)
    assert network_figure(at)["data"] == digits  # the same training as before
    assert at.session_state["state"] == before_state
    assert (at.session_state["net_epochs"], at.session_state["net_batch"]) == (3, 16)
    assert at.session_state["net_seed"] == 5
    # files that are there but are not IDX files
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "train-images-idx3-ubyte").write_bytes(b"not an idx file at all")
    (broken / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x02\x01")
    monkeypatch.setenv(network_ui.MNIST_ENV, str(broken))
    at.run()
    assert not at.exception
    assert any("could not be read" in w.value for w in at.warning)
    assert network_figure(at)["data"] == digits
    # and in Japanese, no English beyond the file names
    at = open_network(page({"lang": "ja"}), net_data="mnist")
    warning = next(w.value for w in at.warning if "MNIST" in w.value)
    assert "読めませんでした" in warning and "not an IDX" not in warning


def preset_explanation(at: AppTest) -> str:
    preset = PRESETS_BY_KEY["course_network"]
    return next(
        i.value for i in at.info if preset.title_en in i.value or preset.title_ja in i.value
    )


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_course_preset_names_the_data_set_chosen_in_the_section(monkeypatch, tmp_path, lang):
    """The course preset's explanation says which data the networks train on: the 8×8
    digits ("not MNIST") until MNIST is chosen in the section, then MNIST's images."""
    folder = tmp_path / "mnist"
    tiny_mnist(folder)
    monkeypatch.setenv(network_ui.MNIST_ENV, str(folder))
    network_ui.trained.clear()
    network_ui.mnist_subset.clear()
    at = open_network(page({"preset": "course_network", "lang": lang}), net_epochs=2)
    digits = t("net.preset_data_digits", lang)
    mnist = t("net.preset_data_mnist", lang, n="40")
    text = preset_explanation(at)
    assert digits in text and "MNIST" in digits and mnist not in text
    at = open_network(at, net_epochs=2, net_data="mnist")
    text = preset_explanation(at)
    assert mnist in text and digits not in text
    assert ("not MNIST" if lang == "en" else "MNIST ではありません") not in text
    assert ("first 40 training images" if lang == "en" else "最初の 40 枚") in text
    assert "{data}" not in text
    at = open_network(at, net_epochs=2, net_data="digits")  # and back
    assert digits in preset_explanation(at)
