"""The equations panel and the step inspector on the page (``streamlit.testing``): each
run's rule in its own convention (PyTorch, Keras, the book), in the course's notation or
PyTorch's (one click, kept for the session), every label in the page's language, and the
note on PyTorch's Momentum against the course's form."""

from __future__ import annotations

import re

from apptest_helpers import open_box, open_page
from streamlit.testing.v1 import AppTest

from optviz_app.i18n import t

THREE_ADAMS = {
    "surface": "bowl",
    "steps": "20",
    "r1": "adagrad",
    "r1.lr": "0.5",
    "r2": "adagrad",
    "r2.lr": "0.5",
    "r2.conv": "keras",
    "r3": "adagrad",
    "r3.lr": "0.5",
    "r3.conv": "textbook",
}
"""AdaGrad in the three conventions (ε outside the root, inside, the book's 1e-7)."""


def page(query: dict) -> AppTest:
    return open_page(query, timeout=90)


def latex(at: AppTest) -> list[str]:
    return [e.value for e in at.get("latex")]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def inspector_tables(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("| ")]


def switch_notation(at: AppTest, where: str, notation: str) -> AppTest:
    at.button_group(key=f"t:notation:{where}").set_value(notation)
    return at.run()


def test_each_run_shows_its_conventions_rule_and_state_names():
    """PyTorch's √s + ε, Keras's √(s + ε), the book's √h + ε with ε = 10⁻⁷: three
    different rules, no caption saying a formula is not shown."""
    at = open_box(page({**THREE_ADAMS, "lang": "en"}), "open_equations")
    torch, keras, book = latex(at)
    assert r"\sqrt{s} + \varepsilon" in torch and r"\theta" in torch
    assert r"\sqrt{s + \varepsilon}" in keras
    assert r"h &\leftarrow h + g^{2}" in book and r"\varepsilon &= 10^{-7}" in book
    assert len({torch, keras, book}) == 3
    assert not any("not shown" in c or "NumPy script" in c for c in captions(at))
    # each rule's numbers: the run's η and its convention's ε
    values = [c for c in captions(at) if c.startswith(t("rule_values", "en"))]
    assert values == [
        r"Values: $\eta = 0.5,\ \varepsilon = 10^{-10}$",
        r"Values: $\eta = 0.5,\ \varepsilon = 10^{-7}$",
        r"Values: $\eta = 0.5$",
    ]


def test_keras_adam_and_book_momentum_in_the_panel_and_the_inspector():
    query = {
        "surface": "bowl",
        "steps": "20",
        "lang": "en",
        "r1": "adam",
        "r1.lr": "0.1",
        "r2": "adam",
        "r2.lr": "0.1",
        "r2.conv": "keras",
        "r3": "momentum",
        "r3.lr": "0.05",
        "r3.conv": "textbook",
        "step": "3",
    }
    at = open_box(page(query), "open_equations")
    torch, keras, book = latex(at)
    assert r"\hat m" in torch and r"\hat m" not in keras and r"\alpha_t" in keras
    assert r"v &\leftarrow \alpha v - \eta g" in book and r"\theta &\leftarrow \theta + v" in book
    tables = inspector_tables(at)  # a link to a step opens the inspector
    assert len(tables) == 3
    body = "\n".join(tables)
    assert "| $m$ | m (exp_avg) |" in body  # torch's buffer names
    assert "| $m$ | m (momentum) |" in body and "| $v$ | v (velocity) |" in body  # Keras's
    assert "| $v$ | v (velocity) |" in body  # the book's v (its Momentum's velocity)
    assert "| $v$ | new v (velocity) |" in body


def test_the_notation_switch_changes_the_symbols_and_is_kept():
    at = open_box(page({**THREE_ADAMS, "lang": "en", "step": "2"}), "open_equations")
    assert all(r"\theta" in x for x in latex(at))  # English page: PyTorch's notation
    assert any("$\\theta_k$" in tb for tb in inspector_tables(at))
    switch_notation(at, "equations", "course")
    course = latex(at)
    assert all("W &\\leftarrow W" in x and r"\theta" not in x for x in course)
    assert all(
        r"\frac{\partial L}{\partial W} \odot \frac{\partial L}{\partial W}" in x for x in course
    )
    assert all(r"h &\leftarrow" in x for x in course)  # AdaGrad's h in all three
    assert t("notation_legend.course", "en") in captions(at)
    tables = inspector_tables(at)  # the inspector follows
    assert len(tables) == 3 and all("$W_k$" in tb for tb in tables)
    body = "\n".join(tables)
    assert "| $h$ | h (sum) |" in body  # torch's sum, the course's h
    assert "| $h$ | h (accumulator) |" in body  # Keras's accumulator
    assert "| $h$ | h (sum of squared gradients) |" in body  # the book's own h
    at.number_input(key=f"{at.session_state['gen']}:steps").set_value(25).run()
    assert all("W &\\leftarrow W" in x for x in latex(at))  # kept across reruns
    switch_notation(at, "inspector", "pytorch")  # the inspector's switch is the same choice
    assert all(r"\theta &\leftarrow" in x for x in latex(at))


def test_japanese_page_writes_the_course_notation_in_japanese():
    at = open_box(
        page({**THREE_ADAMS, "lang": "ja", "step": "2", "r1": "momentum"}), "open_equations"
    )
    rules = latex(at)
    assert all("W &\\leftarrow" in x for x in rules)
    assert r"t = 1\ \text{のとき}" in rules[0] and r"\text{それ以外}" in rules[0]
    assert not any(r"\text{for}" in x or "otherwise" in x for x in rules)
    assert t("notation_legend.course", "ja") in captions(at)
    tables = inspector_tables(at)
    assert "| $b$ | b（モメンタムのバッファ） |" in tables[0]
    assert (
        "| $h$ | h（勾配の 2 乗和） |" in tables[1] and "| $h$ | h（勾配の 2 乗和） |" in tables[2]
    )
    body = "\n".join(tables)
    assert not re.search(r"\((?:exp_avg|sum|accumulator|momentum_buffer)\)", body)
    labels = [b.options for b in at.get("button_group")]
    assert any(t("notation.course", "ja") in str(options) for options in labels)


def test_pytorch_momentum_is_compared_with_the_course_form():
    """Constant η: the panel says the course's v ← αv − η∂L/∂W draws the same path; with
    a step schedule it says they differ (the numbers: tests/test_equations.py)."""
    query = {"surface": "bowl", "steps": "20", "lang": "ja", "r1": "momentum", "r1.lr": "0.05"}
    at = open_box(page(query), "open_equations")
    general = t("momentum_forms", "ja")
    assert f"{general} {t('momentum_forms.constant', 'ja')}" in captions(at)
    scheduled = {**query, "r1.schedule": "step", "r1.schedule.step_size": "5"}
    at = open_box(page(scheduled), "open_equations")
    assert f"{general} {t('momentum_forms.schedule', 'ja')}" in captions(at)
    book = {**query, "r1.conv": "textbook"}
    at = open_box(page(book), "open_equations")
    assert not any(general in c for c in captions(at))  # the book's own form: nothing to compare


def test_the_notation_travels_in_the_link():
    """``notation=course`` opens an English page in the course's notation; a click on the
    switch writes the choice into the page's link."""
    import json
    import urllib.parse

    from apptest_helpers import chart_elements

    def query(at):
        address = json.loads(chart_elements(at)[0].proto.json)["address"]
        return dict(urllib.parse.parse_qsl(address, keep_blank_values=True))

    at = open_box(page({**THREE_ADAMS, "lang": "en", "notation": "course"}), "open_equations")
    assert all("W &\\leftarrow W" in x for x in latex(at))
    assert query(at)["notation"] == "course"
    switch_notation(at, "equations", "pytorch")
    assert query(at)["notation"] == "pytorch"
    assert all(r"\theta &\leftarrow" in x for x in latex(at))
    bad = page({**THREE_ADAMS, "lang": "ja", "notation": "greek"})
    assert any("greek" in w.value for w in bad.warning)


def test_a_mini_batch_run_in_the_course_notation():
    """The course's notation on a mini-batch run: W_k, ∂L/∂W named as the gradient of
    the step's batch, ∇L(W_k) the full-data gradient, in Japanese."""
    query = {
        "surface": "linear_regression",
        "steps": "30",
        "lang": "ja",
        "r1": "sgd",
        "r1.lr": "0.05",
        "r1.batch_size": "4",
        "r1.seed": "1",
        "step": "7",
    }
    at = open_box(page(query), "open_inspector")
    (table,) = inspector_tables(at)
    assert "| $W_k$ | W |" in table
    assert t("insp:g (mini-batch gradient, used for the step)", "ja") in table
    assert "$\\nabla L(W_k)$ | " + t("insp:∇f (full-data gradient)", "ja") in table


def test_keras_sgd_with_momentum_is_described_as_momentum():
    from optviz.equations import DESCRIPTIONS

    query = {"surface": "bowl", "steps": "10", "lang": "en", "r1": "sgd", "r1.conv": "keras"}
    plain = open_box(page(query), "open_equations")
    assert DESCRIPTIONS["sgd"]["en"] in captions(plain)
    moving = open_box(page({**query, "r1.momentum": "0.9"}), "open_equations")
    assert DESCRIPTIONS["momentum"]["en"] in captions(moving)
    assert r"\theta &\leftarrow \theta + v" in latex(moving)[0]
