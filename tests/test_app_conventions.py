"""A run's convention on the page (``streamlit.testing``): the one-click switch, its
defaults and note, links that carry it, and the exports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from apptest_helpers import k, open_box, open_page, open_run, results_table
from streamlit.testing.v1 import AppTest

from optviz import CONVENTIONS, run
from optviz.conventions import CONVENTION_NAMES
from optviz_app.compute import compute_run
from optviz_app.i18n import optimizer_name, t
from optviz_app.state import PageState, RunSpec, signature_defaults
from surfaces import SURFACES


def fresh(query: dict | None = None) -> AppTest:
    return open_page(query, timeout=60)


def state(at: AppTest) -> PageState:
    return at.session_state["state"]


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def switch(at: AppTest, i: int, convention: str) -> AppTest:
    open_run(at, i, more=False).button_group(key=k(at, f"r{i}:conv")).set_value(convention)
    return at.run()


def defaults_without_lr(optimizer: str, convention: str) -> dict:
    return {n: v for n, v in signature_defaults(optimizer, convention).items() if n != "lr"}


def test_switching_a_runs_convention_gives_its_defaults_and_says_so():
    """Run 4 (Adam, lr 0.1) to Keras, then to the book: the same optimizer with every
    keyword at the convention's defaults, the lr kept, a note once; the other runs and the
    rest of the page are untouched; the optimizer list is the convention's."""
    at = fresh()
    at.number_input(key=k(at, "steps")).set_value(60).run()
    before = state(at)
    assert before.runs[3].optimizer == "adam" and before.runs[3].convention == "pytorch"
    for convention in ("keras", "textbook"):
        switch(at, 3, convention)
        assert not at.exception
        after = state(at)
        spec = after.runs[3]
        assert (spec.optimizer, spec.convention, spec.lr) == ("adam", convention, 0.1)
        assert spec.hyper == ()
        assert spec.hyper_values() == defaults_without_lr("adam", convention)
        assert after.runs[:3] == before.runs[:3]
        assert replace(after, runs=()) == replace(before, runs=())
        name = CONVENTION_NAMES[convention]["en"]
        note = next(text for text in texts(at, "info") if text.startswith("Run 4 now follows"))
        assert name in note and "Adam" in note and "lr = 0.1" in note
        at.run()  # said once
        assert not any(text.startswith("Run 4 now follows") for text in texts(at, "info"))
        box = open_run(at, 3, more=False)
        listed = box.selectbox(key=k(at, "r3:optimizer")).options
        assert listed == [optimizer_name(key) for key in CONVENTIONS[convention]]
        assert f"4 · Adam · {name} (lr 0.1)" in results_table(at)
    # the run is computed by the convention's own factory
    book_adam = CONVENTIONS["textbook"]["adam"](lr=0.1)
    surface = SURFACES["rosenbrock"]
    expected = run(surface, book_adam, surface.start, 60).points[-1, 0]
    final = at.session_state["state"].runs[3]
    assert final.convention == "textbook"
    got = compute_run("rosenbrock", (), final, tuple(surface.start), 60).points[-1]
    np.testing.assert_array_equal(got, expected)


def test_momentum_goes_to_keras_sgd_with_momentum_and_back():
    at = fresh()
    switch(at, 1, "keras")  # run 2 is PyTorch's momentum at lr 0.001
    spec = state(at).runs[1]
    assert (spec.optimizer, spec.convention, spec.lr) == ("sgd", "keras", 1e-3)
    assert spec.hyper_values() == {**defaults_without_lr("sgd", "keras"), "momentum": 0.9}
    note = next(text for text in texts(at, "info") if text.startswith("Run 2 now follows"))
    assert "momentum = 0.9" in note
    switch(at, 1, "pytorch")  # Keras's SGD with momentum is PyTorch's momentum key
    spec = state(at).runs[1]
    assert (spec.optimizer, spec.convention, spec.hyper) == ("momentum", "pytorch", ())


def test_keyword_edits_use_the_conventions_names():
    at = fresh()
    switch(at, 3, "keras")
    open_run(at, 3).number_input(key=k(at, "r3:beta_1")).set_value(0.8).run()
    open_run(at, 3).number_input(key=k(at, "r3:epsilon")).set_value(1e-3).run()
    assert not at.exception
    spec = state(at).runs[3]
    assert dict(spec.hyper) == {"beta_1": 0.8, "epsilon": 1e-3}
    assert spec.convention == "keras"


def test_the_switch_note_in_japanese():
    at = fresh({"lang": "ja"})
    switch(at, 3, "textbook")
    note = "試行 4 を ゼロから作る流 にしました: Adam。キーワードは ゼロから作る流 の既定値です。"
    assert any(text.startswith(note) for text in texts(at, "info"))
    assert "ゼロから作る流" in results_table(at)


def test_link_with_conventions_loads_and_bad_ones_fall_back():
    at = fresh({"surface": "bowl", "r1": "adam", "r1.conv": "keras", "r1.lr": "0.2"})
    assert state(at).runs == (RunSpec("adam", 0.2, convention="keras"),)
    assert not at.warning
    at = fresh(
        {
            "surface": "bowl",
            "steps": "40",
            "r1": "adam",
            "r1.conv": "caffe",
            "r1.lr": "0.2",
            "r1.beta_1": "0.5",
            "r2": "rmsprop",
            "r2.conv": "textbook",
            "r2.eps": "0.1",
        }
    )
    s = state(at)
    assert s.surface == "bowl" and s.steps == 40
    assert s.runs == (RunSpec("adam", 0.2), RunSpec("rmsprop", 0.01, convention="textbook"))
    warnings = texts(at, "warning")
    assert t("notice.unknown_convention", "en", value="caffe") in warnings
    foreign = t("notice.foreign_keyword", "en", name="eps", convention="textbook")
    assert foreign in warnings


def test_exports_offer_numpy_for_every_run_and_refuse_pytorch_for_others():
    at = fresh({"surface": "bowl", "steps": "30", "r1": "adam", "r1.conv": "keras", "r2": "sgd"})
    open_box(at, "open_exports")
    assert not at.exception
    assert t("export_torch_conventions", "en") in texts(at, "info")
    codes = [c.value for c in at.code]
    assert len(codes) == 1 and "import numpy as np" in codes[0]
    assert "beta_1" in codes[0]  # the Keras run under Keras's names
    at = fresh({"surface": "bowl", "steps": "30", "r1": "adam", "lang": "ja"})
    open_box(at, "open_exports")
    codes = [c.value for c in at.code]
    assert len(codes) == 2 and "import torch" in codes[0] and "import numpy as np" in codes[1]


STUDY_QUERY = {
    "surface": "himmelblau",
    "steps": "20",
    "r1": "rmsprop",
    "r1.conv": "keras",
    "r1.lr": "0.05",
    "r2": "momentum",
    "r2.conv": "textbook",
    "r2.lr": "0.01",
    "r3": "sgd",
    "r3.lr": "0.01",
}
"""Three runs for the studies: Keras's RMSprop (ρ 0.9 where PyTorch's α is 0.99), the
book's Momentum and PyTorch's SGD."""


def study_runs(at: AppTest):
    """Each run of the page as the studies build it: ``(spec, its own optimizer)``."""
    from optviz_app.state import factory_kwargs

    return [
        (s, CONVENTIONS[s.convention][s.optimizer](**factory_kwargs(
            s.optimizer, s.convention, s.lr, dict(s.hyper))))
        for s in state(at).runs
    ]  # fmt: skip


def test_basin_map_runs_each_run_in_its_own_convention():
    """The basin map's small multiples are the runs' own optimizers (Keras's RMSprop, the
    book's Momentum), named with their convention; no run is left out."""
    import json

    from optviz.drawing.studies import basin_figure
    from optviz.explore import basin_map
    from optviz_app.i18n import run_title

    at = fresh(STUDY_QUERY)
    at.session_state["open_basin"] = True
    at.session_state["basin_mode"] = "final_loss"
    at.run()
    assert not at.exception
    assert t("studies.conventions_left_out", "en", runs="1, 2") not in texts(at, "caption")
    spec = next(
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Heatmap" in c.proto.spec
        or '"heatmap"' in c.proto.spec
    )  # fmt: skip
    surface = SURFACES["himmelblau"]
    runs = study_runs(at)
    maps = [basin_map(surface, opt, resolution=101, steps=20) for _, opt in runs]
    labels = [run_title(i, s) for i, (s, _) in enumerate(runs)]
    assert labels[:2] == ["1 · RMSprop · Keras", "2 · Momentum · From Scratch"]
    want = json.loads(
        basin_figure(maps, labels, ["red"] * 3, "final_loss", f_min=surface.f_min).to_json()
    )
    heat = [d for d in spec["data"] if d["type"] == "heatmap"]
    assert [d["name"] for d in heat] == labels
    assert [d["z"] for d in heat] == [d["z"] for d in want["data"] if d["type"] == "heatmap"]
    # not PyTorch's RMSprop at the same lr (α 0.99 against Keras's ρ 0.9)
    torch_map = basin_map(surface, CONVENTIONS["pytorch"]["rmsprop"](lr=0.05), resolution=101,
                          steps=20)  # fmt: skip
    assert not np.allclose(torch_map.final_loss, maps[0].final_loss, equal_nan=True)


def test_best_lr_search_runs_each_run_in_its_own_convention():
    """ "Each at its best lr": a Keras or book run's lr is found by sweeping its own
    optimizer (equal to ``best_learning_rate(..., convention=...)``), in the section's
    caption and in the main view."""
    from optviz.explore import best_learning_rate, lr_grid
    from optviz_app import studies
    from optviz_app.studies_ui import kwargs_pairs

    at = fresh({**STUDY_QUERY, "fair": "best"})
    assert not at.exception and state(at).view.fair == "best"
    surface = SURFACES["himmelblau"]
    s = state(at)
    rows = results_table(at).splitlines()[2:]
    swept = t("fair.lr_sweep", "en")
    for i, spec in enumerate(s.runs):
        lr, _ = best_learning_rate(
            surface,
            spec.optimizer,
            kwargs_pairs(spec),
            start=s.start,
            steps=20,
            lrs=lr_grid(studies.FAIR_LRS),
            neighbours=studies.FAIR_NEIGHBOURS,
            within=surface.bounds,
            convention=spec.convention,
        )
        assert lr is not None
        assert swept in rows[i] and f"lr {float(f'{lr:.3g}'):g}" in rows[i], rows[i]
    at.session_state["open_fair"] = True
    at.run()
    assert not at.exception
    caption = next(c for c in texts(at, "caption") if "1 · RMSprop · Keras" in c)
    assert "2 · Momentum · From Scratch" in caption


def test_sweep_leaves_out_other_conventions_and_says_so_in_both_languages():
    """The sweep varies PyTorch's keywords: it offers PyTorch runs only and names the
    runs it leaves out, in English and Japanese."""
    for lang in ("en", "ja"):
        at = fresh({**STUDY_QUERY, "lang": lang})
        at.session_state["open_sweep"] = True
        at.run()
        assert not at.exception, lang
        note = t("studies.conventions_left_out", lang, runs="1, 2")
        assert note in texts(at, "caption"), lang
        assert at.selectbox(key="sweep_run").options == ["3 · SGD"], lang
    assert "Keras" in t("studies.conventions_left_out", "ja", runs="1")
    only_foreign = {k: v for k, v in STUDY_QUERY.items() if not k.startswith("r3")}
    at = fresh(only_foreign)
    at.session_state["open_sweep"] = True
    at.run()
    assert not at.exception
    assert t("studies.no_runs", "en") in texts(at, "info")


def test_book_figure_preset_on_the_page():
    """``?preset=book_figure``: the typed formula, the four runs in the book's convention,
    their paths on the page equal to the book's committed reference paths; the results
    table names the convention (in Japanese: ゼロから作る流)."""
    import json

    doc = json.loads((Path(__file__).parent / "data" / "conventions" / "textbook.json").read_text())
    refs = {c["key"]: np.array(c["positions"]) for c in doc["cases"] if c["start"] == [-7.0, 2.0]}
    at = fresh({"preset": "book_figure", "lang": "ja"})
    s = state(at)
    assert (s.surface, s.formula, s.start, s.steps) == ("formula", "x^2/20 + y^2", (-7.0, 2.0), 30)
    assert [(r.optimizer, r.lr, r.convention) for r in s.runs] == [
        ("sgd", 0.95, "textbook"),
        ("momentum", 0.1, "textbook"),
        ("adagrad", 1.5, "textbook"),
        ("adam", 0.3, "textbook"),
    ]
    assert not at.warning
    assert results_table(at).count("ゼロから作る流") == 4
    # the preset opens the step inspector: each run's own rule, with the book's state names
    tables = "\n".join(m for m in texts(at, "markdown") if m.startswith("| "))
    assert tables.count("$W_k$") == 4  # a Japanese page: the course's notation
    for row in (
        "| $v$ | v（速度） |",
        "| $h$ | h（勾配の 2 乗和） |",
        "| $m$ | m（勾配の移動平均） |",
    ):
        assert row in tables, row
    skey, sparams = s.surface_args()
    for spec in s.runs:
        points = compute_run(skey, sparams, spec, s.start, s.steps).points
        gap = np.max(
            np.abs(points - refs[spec.optimizer]) / np.maximum(abs(refs[spec.optimizer]), 1)
        )
        assert gap < 1e-12, spec.optimizer
    twin = fresh({"preset": "book_figure_pytorch"})
    assert [r.convention for r in state(twin).runs] == ["pytorch"] * 4
    assert [(r.optimizer, r.lr) for r in state(twin).runs] == [(r.optimizer, r.lr) for r in s.runs]


def test_run_title_names_a_non_pytorch_convention_briefly():
    from optviz_app.page import SWATCHES, run_title

    book = RunSpec("adam", 0.05, convention="textbook")
    assert run_title(book, 0, "ja", short=True) == f"{SWATCHES[0]} 1 · Adam · ゼロから作る"
    assert run_title(book, 0, "en") == f"{SWATCHES[0]} 1 · Adam · From Scratch · lr 0.05"
    assert run_title(RunSpec("adam", 0.05), 0, "en", short=True) == f"{SWATCHES[0]} 1 · Adam"


def test_a_keras_run_calls_its_learning_rate_learning_rate():
    """Each convention's controls use its own names: Keras's factories take
    ``learning_rate``, PyTorch's and the book's ``lr``, in the title and the lr slider."""
    from optviz_app.page import SWATCHES, run_title

    keras = RunSpec("adam", 0.001, convention="keras")
    assert run_title(keras, 0, "en") == f"{SWATCHES[0]} 1 · Adam · Keras · learning_rate 0.001"
    at = fresh({"r1": "adam", "r1.conv": "keras", "r1.lr": "0.002", "lang": "ja"})
    assert at.sidebar.expander[0].label.endswith("Keras · learning_rate 0.002")
    open_run(at, 0)
    sliders = [s.label for s in at.sidebar.expander[0].select_slider]
    assert sliders == ["学習率 η（learning_rate、対数目盛）"]
    assert not at.exception


def test_closest_optimizer_in_another_convention():
    from optviz_app.state import closest_optimizer

    assert closest_optimizer("adam", "keras") == ("adam", {})
    assert closest_optimizer("momentum", "keras") == ("sgd", {"momentum": 0.9})
    assert closest_optimizer("nesterov", "keras") == ("sgd", {"momentum": 0.9, "nesterov": True})
    # SGD with momentum is the momentum method, wherever it goes
    assert closest_optimizer("sgd", "keras", {"momentum": 0.5}) == ("sgd", {"momentum": 0.9})
    assert closest_optimizer("sgd", "pytorch", {"momentum": 0.9, "nesterov": True}) == (
        "nesterov",
        {},
    )
    assert closest_optimizer("sgd", "textbook", {"momentum": 0.0}) == ("sgd", {})
    assert closest_optimizer("adadelta", "textbook") == ("rmsprop", {})
    for convention, registry in CONVENTIONS.items():
        for key in CONVENTIONS["pytorch"]:
            target, keywords = closest_optimizer(key, convention)
            assert target in registry
            RunSpec.make(target, None, **keywords, convention=convention)  # valid keywords


def test_legends_name_a_runs_convention():
    from apptest_helpers import chart_specs

    at = fresh({"surface": "bowl", "r1": "adam", "r1.conv": "keras", "r2": "adam", "lang": "ja"})
    names = {tr.get("name") for spec in chart_specs(at) for tr in spec["data"]}
    assert "1 · Adam · Keras (η 0.001)" in names and "2 · Adam (η 0.001)" in names


def test_a_book_momentum_run_labels_its_momentum_alpha_as_its_rule_writes_it():
    """The book writes Momentum as v ← αv − η∂L/∂W: its ``momentum`` keyword is α on the
    run's control, as in its rule; PyTorch's stays μ (b ← μb + g)."""
    from optviz.rules import RULES
    from optviz.symbols import ALPHA, MU

    assert RULES["textbook"]["momentum"].keywords["momentum"] == ALPHA
    assert RULES["pytorch"]["momentum"].keywords["momentum"] == MU
    book = fresh({"r1": "momentum", "r1.conv": "textbook", "lang": "ja"})
    labels = [n.label for n in open_run(book, 0, more=False).number_input]
    assert "モメンタム α" in labels, labels
    torch_run = fresh({"r1": "momentum", "lang": "ja"})
    labels = [n.label for n in open_run(torch_run, 0, more=False).number_input]
    assert "モメンタム μ" in labels, labels
    assert not book.exception and not torch_run.exception
