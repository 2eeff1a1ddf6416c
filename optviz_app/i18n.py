"""Every visible string of the page, in English and Japanese, through ``t(key, lang)``.

Mathematical names stay as people write them (SGD, Adam, η, β₁). A missing Japanese
entry falls back to English; a missing key shows the key itself (tests check that both
languages are complete).
"""

from __future__ import annotations

import re

from optviz.optimizers import DISPLAY_NAMES

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "optviz", "ja": "optviz"},
    "subtitle": {
        "en": "Pick a surface and some optimizers; every path is computed exactly "
        "(PyTorch's update rules in NumPy). Click the map to move the start; press ▶ to "
        "animate.",
        "ja": "曲面と最適化手法を選んでください。各経路は PyTorch と同じ更新式で正確に"
        "計算されます。地図をクリックすると出発点が移動し、▶ でアニメーションします。",
    },
    "lang": {"en": "Language", "ja": "言語"},
    "surface": {"en": "Surface", "ja": "曲面"},
    "start": {"en": "Start point", "ja": "出発点"},
    "start_hint": {
        "en": "…or click anywhere on the map.",
        "ja": "…または地図上をクリックしてください。",
    },
    "steps": {"en": "Steps", "ja": "ステップ数"},
    "steps_help": {"en": "1 to 5,000", "ja": "1〜5,000"},
    "runs": {"en": "Runs", "ja": "実行"},
    "add_run": {"en": "Add a run", "ja": "実行を追加"},
    "duplicate": {"en": "Duplicate", "ja": "複製"},
    "remove": {"en": "Remove", "ja": "削除"},
    "optimizer": {"en": "Optimizer", "ja": "最適化手法"},
    "lr_slider": {"en": "Learning rate η (log scale)", "ja": "学習率 η（対数目盛）"},
    "lr_exact": {"en": "η exactly", "ja": "η の正確な値"},
    "schedule": {"en": "Learning-rate schedule", "ja": "学習率スケジュール"},
    "schedule.constant": {"en": "constant", "ja": "一定"},
    "schedule.step": {"en": "step decay (StepLR)", "ja": "段階的減衰（StepLR）"},
    "schedule.exponential": {
        "en": "exponential decay (ExponentialLR)",
        "ja": "指数減衰（ExponentialLR）",
    },
    "schedule.cosine": {
        "en": "cosine annealing (CosineAnnealingLR)",
        "ja": "コサイン減衰（CosineAnnealingLR）",
    },
    "schedule.warmup": {"en": "linear warm-up (LinearLR)", "ja": "線形ウォームアップ（LinearLR）"},
    "noise": {"en": "Gradient noise σ", "ja": "勾配ノイズ σ"},
    "noise_short": {"en": "noisy", "ja": "ノイズあり"},
    "more_settings": {"en": "More settings", "ja": "詳細設定"},
    "more_changed": {"en": "{n} changed", "ja": "変更 {n}"},
    "seed": {"en": "Seed", "ja": "シード"},
    "view": {"en": "View", "ja": "表示"},
    "show_loss": {"en": "Loss curves", "ja": "損失の推移"},
    "show_3d": {"en": "3-D surface", "ja": "3D 曲面"},
    "show_3d_help": {
        "en": "Drawing a 3-D surface takes a moment on computers without a GPU.",
        "ja": "GPU のないコンピュータでは 3D 描画に少し時間がかかります。",
    },
    "show_field": {"en": "−∇f arrows", "ja": "−∇f の矢印"},
    "animate": {"en": "Animation controls", "ja": "アニメーション操作"},
    "tol": {"en": "Tolerance (distance to a minimum)", "ja": "許容誤差（最小点までの距離）"},
    "tol_help": {
        "en": "A run has 'arrived' once it is this close to a known minimum.",
        "ja": "既知の最小点にこの距離まで近づいたら「到達」とみなします。",
    },
    "play": {"en": "▶ Play", "ja": "▶ 再生"},
    "pause": {"en": "❚❚ Pause", "ja": "❚❚ 一時停止"},
    "restart": {"en": "↺ Restart", "ja": "↺ 最初から"},
    "step": {"en": "step", "ja": "ステップ"},
    "start_marker": {"en": "start", "ja": "出発点"},
    "minimum": {"en": "minimum", "ja": "最小点"},
    "loss_title": {"en": "Loss against step", "ja": "ステップごとの損失"},
    "results": {"en": "Results", "ja": "結果"},
    "results_help": {
        "en": "Final loss f(θ_T); gap f(θ_T) − f*; distance to the nearest known minimum; "
        "first step within {tol} of a minimum; where a run diverged (left |θ| ≤ 10⁶ or "
        "became NaN) its path ends there.",
        "ja": "最終損失 f(θ_T)、差 f(θ_T) − f*、最も近い既知の最小点までの距離、"
        "最小点から {tol} 以内に初めて入ったステップ。発散した実行（|θ| > 10⁶ または NaN）"
        "の経路はそこで終わります。",
    },
    "view3d": {"en": "3-D view", "ja": "3D 表示"},
    "col_run": {"en": "Run", "ja": "実行"},
    "col_final": {"en": "final f", "ja": "最終 f"},
    "col_gap": {"en": "f − f*", "ja": "f − f*"},
    "col_distance": {"en": "distance to min", "ja": "最小点までの距離"},
    "col_reached": {"en": "step within {tol}", "ja": "{tol} 以内のステップ"},
    "col_status": {"en": "status", "ja": "状態"},
    "status_ok": {"en": "ok", "ja": "正常"},
    "status_still": {"en": "did not move", "ja": "動かない"},
    "status_error": {"en": "invalid settings", "ja": "設定が不正"},
    "status_diverged": {"en": "diverged at step {k}", "ja": "ステップ {k} で発散"},
    "run_error": {"en": "Invalid setting: {error}", "ja": "設定が不正です: {error}"},
    "run_failed": {
        "en": "Run {i} ({name}) was not computed: {error}. The other runs are shown.",
        "ja": "実行 {i}（{name}）は計算できませんでした: {error}。他の実行は表示しています。",
    },
    "lr_zero": {
        "en": "Run {i} has learning rate 0: its parameters never move.",
        "ja": "実行 {i} は学習率が 0 なので、パラメータは動きません。",
    },
    "diverged_note": {
        "en": "{name} diverged at step {k}: its path ends there.",
        "ja": "{name} はステップ {k} で発散しました。経路はそこで終わります。",
    },
    "no_runs": {
        "en": "No runs: add one in the sidebar (“Add a run”). The surface is shown alone.",
        "ja": "実行がありません。サイドバーの「実行を追加」で追加してください。"
        "曲面だけを表示しています。",
    },
    # notices from validation (optviz_app.state)
    "notice.bad_state": {
        "en": "The settings could not be read; defaults are shown.",
        "ja": "設定を読み取れなかったため、既定値を表示しています。",
    },
    "notice.unknown_surface": {
        "en": "Unknown surface “{value}”; showing the default.",
        "ja": "不明な曲面「{value}」のため、既定の曲面を表示しています。",
    },
    "notice.bad_surface_param": {
        "en": "Surface parameter {name} = {value} is not a finite number; its default is used.",
        "ja": "曲面のパラメータ {name} = {value} は有限の数ではないため、既定値を使います。",
    },
    "notice.param_clamped": {
        "en": "Surface parameter {name} = {value} is out of range; using {to}.",
        "ja": "曲面のパラメータ {name} = {value} は範囲外のため、{to} を使います。",
    },
    "notice.surface_error": {
        "en": "The surface could not be built ({error}); its default is shown.",
        "ja": "曲面を作れませんでした（{error}）。既定の曲面を表示しています。",
    },
    "notice.bad_runs": {
        "en": "The list of runs could not be read; defaults are shown.",
        "ja": "実行の一覧を読み取れなかったため、既定値を表示しています。",
    },
    "notice.bad_run": {
        "en": "A run could not be read ({value}) and was left out.",
        "ja": "実行を読み取れなかったため（{value}）、除外しました。",
    },
    "notice.unknown_optimizer": {
        "en": "Unknown optimizer “{value}”; that run was left out.",
        "ja": "不明な最適化手法「{value}」のため、その実行を除外しました。",
    },
    "notice.too_many_runs": {
        "en": "At most {limit} runs; the rest were left out.",
        "ja": "実行は最大 {limit} 個です。残りは除外しました。",
    },
    "notice.bad_lr": {
        "en": "Learning rate {value} is not a finite number ≥ 0; using {default}.",
        "ja": "学習率 {value} は 0 以上の有限の数ではないため、{default} を使います。",
    },
    "notice.bad_hyper": {
        "en": "{name} = {value} is not valid; its default is used.",
        "ja": "{name} = {value} は不正なため、既定値を使います。",
    },
    "notice.bad_schedule": {
        "en": "Unknown schedule “{value}”; a constant learning rate is used.",
        "ja": "不明なスケジュール「{value}」のため、一定の学習率を使います。",
    },
    "notice.bad_noise": {
        "en": "Gradient noise {value} is not a finite number ≥ 0; no noise is used.",
        "ja": "勾配ノイズ {value} は 0 以上の有限の数ではないため、ノイズなしにします。",
    },
    "notice.bad_steps": {
        "en": "Steps = {value} is not a number; using 300.",
        "ja": "ステップ数 {value} は数ではないため、300 を使います。",
    },
    "notice.steps_clamped": {
        "en": "Steps = {value} is outside 1–5,000 (or not whole); using {to}.",
        "ja": "ステップ数 {value} は 1〜5,000 の整数ではないため、{to} を使います。",
    },
    "notice.bad_start": {
        "en": "Start {value} is not a finite point; using the surface's default start.",
        "ja": "出発点 {value} は有限の点ではないため、曲面の既定の出発点を使います。",
    },
    "notice.start_clamped": {
        "en": "Start {value} is outside the plot; moved to the nearest point inside, {to}.",
        "ja": "出発点 {value} は描画範囲外のため、範囲内の最も近い点 {to} に移しました。",
    },
    "notice.bad_lang": {
        "en": "Unknown language “{value}”; English is used.",
        "ja": "不明な言語「{value}」のため、英語を使います。",
    },
}


HYPER_LABELS: dict[str, dict[str, str]] = {
    "momentum": {"en": "momentum μ", "ja": "モメンタム μ"},
    "dampening": {"en": "dampening", "ja": "減衰 (dampening)"},
    "weight_decay": {"en": "weight decay λ", "ja": "重み減衰 λ"},
    "nesterov": {"en": "Nesterov", "ja": "ネステロフ"},
    "maximize": {"en": "maximize", "ja": "最大化"},
    "lr_decay": {"en": "lr decay", "ja": "学習率の減衰"},
    "initial_accumulator_value": {"en": "initial accumulator", "ja": "累積の初期値"},
    "eps": {"en": "ε", "ja": "ε"},
    "alpha": {"en": "smoothing α", "ja": "平滑化 α"},
    "centered": {"en": "centered", "ja": "中心化"},
    "rho": {"en": "ρ", "ja": "ρ"},
    "betas:0": {"en": "β₁", "ja": "β₁"},
    "betas:1": {"en": "β₂", "ja": "β₂"},
    "amsgrad": {"en": "AMSGrad", "ja": "AMSGrad"},
    "decoupled_weight_decay": {"en": "decoupled decay", "ja": "分離型の重み減衰"},
    "momentum_decay": {"en": "momentum decay ψ", "ja": "モメンタム減衰 ψ"},
    "s:step_size": {"en": "step size (steps)", "ja": "間隔（ステップ）"},
    "s:gamma": {"en": "factor γ", "ja": "係数 γ"},
    "s:T_max": {"en": "T_max (steps)", "ja": "T_max（ステップ）"},
    "s:eta_min": {"en": "η_min", "ja": "η_min"},
    "s:warmup_steps": {"en": "warm-up steps", "ja": "ウォームアップのステップ数"},
    "s:start_factor": {"en": "start factor", "ja": "開始倍率"},
}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def escape_markdown(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped, so user input such as
    ``__import__`` or ``2*x*y`` shows as typed inside a Streamlit message."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def t(key: str, lang: str = "en", **kwargs) -> str:
    """The string ``key`` in ``lang`` (fallback English, then the key), formatted."""
    entry = STRINGS.get(key)
    text = key if entry is None else entry.get(lang) or entry["en"]
    if kwargs:
        try:
            return text.format(**kwargs)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def optimizer_name(key: str) -> str:
    """Display name (the same in every language: SGD, Adam, ...)."""
    return DISPLAY_NAMES.get(key, key)


def run_name(i: int, spec, detail: str = "") -> str:
    """``2 · Adam (η 0.05)``: how legends, hovers, equations and exports name run ``i``;
    ``detail`` follows the lr inside the parentheses (see :func:`noise_note`)."""
    return f"{i + 1} · {optimizer_name(spec.optimizer)} (η {spec.lr:g}{detail})"


def noise_note(spec) -> str:
    """``", σ 0.3"`` for a run with gradient noise, else ``""``."""
    return f", σ {spec.noise:g}" if spec.noise else ""


def hyper_label(name: str, lang: str = "en") -> str:
    """Label of a hyperparameter control (``betas:0`` -> β₁)."""
    entry = HYPER_LABELS.get(name)
    return name if entry is None else entry.get(lang) or entry["en"]


# ---------------------------------------------------------------------------------------
# issue 6: typed formulas and the study sections (optviz_app.formula_ui, studies_ui)

STRINGS.update(
    {
        "surface.formula": {"en": "✎ Custom formula", "ja": "✎ 数式を入力"},
        "formula.label": {"en": "f(x, y) =", "ja": "f(x, y) ="},
        "formula.help": {
            "en": "Use x, y, numbers, + - * / ^ (power), brackets, pi, e and the functions "
            "sin cos tan exp log sqrt abs sinh cosh tanh asin acos atan. Write every "
            "product with * (2*x). Press Enter to plot.",
            "ja": "x, y、数、+ - * / ^（累乗）、かっこ、pi, e と関数 sin cos tan exp log sqrt "
            "abs sinh cosh tanh asin acos atan が使えます。掛け算は必ず * で書きます"
            "（2*x）。Enter キーで描画します。",
        },
        "formula.examples": {"en": "Examples", "ja": "例"},
        "formula.example_pick": {"en": "— pick an example —", "ja": "— 例を選ぶ —"},
        "formula.window": {"en": "Plot window", "ja": "表示範囲"},
        "formula.xmin": {"en": "x min", "ja": "x の最小"},
        "formula.xmax": {"en": "x max", "ja": "x の最大"},
        "formula.ymin": {"en": "y min", "ja": "y の最小"},
        "formula.ymax": {"en": "y max", "ja": "y の最大"},
        "formula.refused": {
            "en": "This formula was not used — the previous surface stays. {problem}",
            "ja": "この数式は使えませんでした。前の曲面のまま表示しています。{problem}",
        },
        "formula.window_refused": {
            "en": "This plot window was not used — the previous one stays. {problem}",
            "ja": "この表示範囲は使えませんでした。前の範囲のまま表示しています。{problem}",
        },
        "formula.at_column": {"en": " (at character {column})", "ja": "（{column} 文字目）"},
        "formula.minimum": {
            "en": "Estimated minimum on this window: f ≈ {f:.4g} at ({x:.4g}, {y:.4g}) (★).",
            "ja": "この範囲での推定最小値：({x:.4g}, {y:.4g}) で f ≈ {f:.4g}（★）。",
        },
        "formula.no_minimum": {
            "en": "No minimum was found inside this window (the surface may fall away "
            "towards an edge).",
            "ja": "この範囲の内側には最小点が見つかりませんでした（端に向かって"
            "下がり続ける曲面かもしれません）。",
        },
        "formula.empty": {
            "en": "The formula is empty: type something in x and y, like x^2 + 3*y^2.",
            "ja": "数式が空です。x^2 + 3*y^2 のように x と y の式を入力してください。",
        },
        "formula.too_long": {
            "en": "The formula is too long (at most 300 characters).",
            "ja": "数式が長すぎます（300 文字まで）。",
        },
        "formula.syntax": {
            "en": "“{detail}” cannot be read as a formula. Check the brackets, and write "
            "every product with * (2*x, not 2x).",
            "ja": "「{detail}」を数式として読めません。かっこの対応を確かめ、掛け算は"
            "必ず * で書いてください（2x ではなく 2*x）。",
        },
        "formula.unknown_name": {
            "en": "Unknown name “{detail}”. Only x, y, pi, e and functions such as sin, "
            "cos, exp, log, sqrt can be used.",
            "ja": "「{detail}」という名前は使えません。使えるのは x, y, pi, e と "
            "sin, cos, exp, log, sqrt などの関数だけです。",
        },
        "formula.not_allowed": {
            "en": "“{detail}” is not allowed in a formula. Use numbers, x, y, + - * / ^, "
            "brackets and functions such as sin(x).",
            "ja": "「{detail}」は数式に使えません。数、x, y、+ - * / ^、かっこ、"
            "sin(x) のような関数だけが使えます。",
        },
        "formula.bad_call": {
            "en": "“{detail}” cannot be used like this. A function takes exactly one value "
            "in brackets, e.g. sin(x).",
            "ja": "「{detail}」はこの形では使えません。関数には sin(x) のように、"
            "かっこの中に値を 1 つだけ書きます。",
        },
        "formula.too_complex": {
            "en": "The formula is too complex (too many pieces, nested too deeply, or its "
            "derivative grows too large). Try a simpler one.",
            "ja": "数式が複雑すぎます（要素が多すぎる・入れ子が深すぎる・微分が"
            "大きくなりすぎる）。もっと簡単な式にしてください。",
        },
        "formula.exponent": {
            "en": "The exponent “{detail}” is too large (at most 100).",
            "ja": "指数「{detail}」が大きすぎます（100 まで）。",
        },
        "formula.number": {
            "en": "The number “{detail}” is too large (at most 1,000,000) or not a real number.",
            "ja": "数「{detail}」が大きすぎるか、実数ではありません（1,000,000 まで）。",
        },
        "formula.constant": {
            "en": "“{detail}” has no finite value (like 1/0, log(0) or sqrt(-1)).",
            "ja": "「{detail}」は有限の値になりません（1/0、log(0)、sqrt(-1) など）。",
        },
        "formula.derivative": {
            "en": "The exact derivative of “{detail}” cannot be formed; try writing it "
            "another way.",
            "ja": "「{detail}」の微分を正確に求められません。別の書き方を試してください。",
        },
        "formula.undefined": {
            "en": "The formula has no finite value anywhere on the plot window; change "
            "the formula or the window.",
            "ja": "表示範囲のどこでも数式の値が有限になりません。数式か表示範囲を変えてください。",
        },
        "formula.bounds": {
            "en": "The plot window needs finite numbers with x min < x max and "
            "y min < y max (each within ±1,000,000).",
            "ja": "表示範囲は有限の数で、x の最小 < x の最大、y の最小 < y の最大 に"
            "してください（それぞれ ±1,000,000 以内）。",
        },
        "formula.not_text": {
            "en": "The formula must be text.",
            "ja": "数式は文字列で指定してください。",
        },
        "studies.title": {"en": "Studies", "ja": "詳しく調べる"},
        "studies.fit": {"en": "Fitting the data", "ja": "データへの当てはめ"},
        "studies.basin": {"en": "Basin map", "ja": "引き込み領域"},
        "studies.sweep": {"en": "Hyperparameter sweep", "ja": "ハイパーパラメータ探索"},
        "studies.fair": {"en": "Fair comparison", "ja": "公平な比較"},
        "studies.closed": {
            "en": "Open a section to compute it (results are kept, so reopening is free).",
            "ja": "項目を開くと計算します（結果は保存されるので、開き直しても再計算しません）。",
        },
        "studies.sweep_run": {"en": "Run to sweep", "ja": "探索する実行"},
        "studies.sweep_loaded": {
            "en": "Run {i} now uses {values}.",
            "ja": "実行 {i} に {values} を設定しました。",
        },
        "studies.start_loaded": {
            "en": "Start moved to ({x:.4g}, {y:.4g}).",
            "ja": "出発点を ({x:.4g}, {y:.4g}) に移しました。",
        },
        "fair.apply": {
            "en": "Apply to the main view",
            "ja": "メインの図に反映する",
        },
        "fair.apply_help": {
            "en": "Off: every run uses the learning rate set in its own panel.",
            "ja": "オフのときは、各実行のパネルで設定した学習率を使います。",
        },
        "fair.off_caption": {
            "en": "The main view shows each run with its own learning rate.",
            "ja": "メインの図は、各実行で設定した学習率で表示しています。",
        },
        "fair.lr_sweep": {"en": "best from sweep", "ja": "探索で最良"},
        "fair.lr_shared": {"en": "shared", "ja": "共通"},
        "fair.box_note": {
            "en": "⚖ A fair comparison is on: the charts draw this run with η = {lr}. "
            "The learning rate set here applies again once it is off.",
            "ja": "⚖ 公平な比較がオンです。図ではこの実行を η = {lr} で描いています。"
            "ここで設定した学習率は、比較をオフにすると使われます。",
        },
    }
)


# ---------------------------------------------------------------------------------------
# issue 5: links, presets, equations, step inspector, presenter mode, exports
# (optviz_app.links, optviz_app.teaching, optviz_app.presenter)

STRINGS.update(
    {
        "notice.unknown_params": {
            "en": "Ignored unknown link parameters: {names}.",
            "ja": "リンクの不明なパラメータを無視しました: {names}。",
        },
        "notice.unknown_preset": {
            "en": "Unknown preset “{value}”; none is loaded.",
            "ja": "不明なプリセット「{value}」のため、読み込みませんでした。",
        },
        "notice.bad_step": {
            "en": "Step {value} is not a whole number ≥ 0; the last step is shown.",
            "ja": "ステップ {value} は 0 以上の整数ではないため、最後のステップを表示します。",
        },
        "notice.step_clamped": {
            "en": "Step {value} is beyond the last step; showing {to}.",
            "ja": "ステップ {value} は最後のステップを超えているため、{to} を表示します。",
        },
        "notice.bad_present": {
            "en": "present={value} is not 1 or 0; presenter mode is off.",
            "ja": "present={value} は 1 でも 0 でもないため、プレゼンモードはオフです。",
        },
        "notice.unknown_hide": {
            "en": "Cannot hide “{value}” (unknown control name).",
            "ja": "「{value}」は不明な操作名のため、隠せません。",
        },
    }
)

STRINGS.update(
    {
        "preset": {"en": "Lecture preset", "ja": "授業用プリセット"},
        "preset_none": {"en": "— none (free exploration) —", "ja": "— なし（自由に試す）—"},
        "preset_help": {
            "en": "One click loads a prepared scenario with an explanation of what to watch.",
            "ja": "用意されたシナリオを 1 クリックで読み込み、見どころの説明を表示します。",
        },
        "preset_reload": {"en": "Back to the preset", "ja": "プリセットに戻す"},
        "present": {"en": "Presenter mode", "ja": "プレゼンモード"},
        "present_help": {
            "en": "Large text and thick lines for a lecture hall; the sidebar starts collapsed "
            "when the link has present=1.",
            "ja": "講義室の後ろからでも読める大きな文字と太い線にします。リンクに present=1 が"
            "あるとサイドバーは閉じた状態で開きます。",
        },
        "share": {"en": "Share link", "ja": "共有リンク"},
        "share_help": {
            "en": "This link reproduces exactly this view (every setting and the step). "
            "Copy it with the button at the right.",
            "ja": "このリンクを開くと、いまの表示（すべての設定とステップ）がそのまま再現されます。"
            "右のボタンでコピーできます。",
        },
        "show_hidden": {"en": "Show hidden controls", "ja": "隠れている操作を表示"},
        "inspect_step": {"en": "Inspect step k", "ja": "調べるステップ k"},
        "inspect_step_help": {
            "en": "The map opens on this step (press ▶ to continue from it); the arrows and "
            "the step inspector below show what each optimizer did here.",
            "ja": "地図はこのステップから始まります（▶ でここから再生）。矢印と下のステップ検査で、"
            "各手法がここで何をしたかを示します。",
        },
        "arrow_grad": {"en": "−g_k (scaled)", "ja": "−g_k（拡大縮小）"},
        "arrow_step": {"en": "Δθ_k", "ja": "Δθ_k"},
        "arrows_caption": {
            "en": "At step k = {k}: dotted arrow −g_k (the negative gradient, drawn ×{scale}); "
            "solid arrow Δθ_k = θ_(k+1) − θ_k (the actual step, true length).",
            "ja": "ステップ k = {k}：点線の矢印は −g_k（勾配の逆向き、×{scale} で表示）、"
            "実線の矢印は Δθ_k = θ_(k+1) − θ_k（実際の移動、実寸）。",
        },
        "equations": {"en": "Update rules", "ja": "更新式"},
        "notes": {
            "en": "Where textbooks, Keras and PyTorch differ",
            "ja": "教科書・Keras・PyTorch の違い",
        },
        "inspector": {"en": "Step inspector (k = {k})", "ja": "ステップ検査（k = {k}）"},
        "inspector_box": {
            "en": "Step inspector: θ, g, the optimizer's state and Δθ at step k",
            "ja": "ステップ検査：ステップ k での θ・g・最適化器の状態・Δθ",
        },
        "insp_symbol": {"en": "symbol", "ja": "記号"},
        "insp_quantity": {"en": "quantity", "ja": "量"},
        "insp_diverged": {
            "en": "This run diverged at step {k}: no values from there on.",
            "ja": "この実行はステップ {k} で発散したため、そこから先の値はありません。",
        },
        "insp_last": {
            "en": "k is the last step: there is no next update.",
            "ja": "k は最後のステップなので、次の更新はありません。",
        },
        "insp_noisy": {
            "en": "g_k includes the gradient noise; ∇f(θ_k) is the noise-free gradient.",
            "ja": "g_k には勾配ノイズが含まれます。∇f(θ_k) はノイズのない勾配です。",
        },
        "insp_help": {
            "en": "θ_k is the point after k steps, g_k the gradient the optimizer saw there; "
            "update t = k + 1 reads the state after k steps and moves θ_k by Δθ. "
            "Effective lr = −Δθ/g per coordinate (the plain-SGD rate that would make the "
            "same move; negative where momentum carried the point uphill).",
            "ja": "θ_k は k ステップ後の点、g_k はそこで手法が見た勾配です。更新 t = k + 1 は "
            "k ステップ後の状態を読み、θ_k を Δθ だけ動かします。実効学習率 = 座標ごとの "
            "−Δθ/g（同じ移動をする素の SGD の学習率。慣性で坂を上った座標では負）。",
        },
        "insp.new": {"en": "new {name}", "ja": "更新後の {name}"},
        "insp:∇f (no noise)": {"en": "∇f (no noise)", "ja": "∇f（ノイズなし）"},
        "insp:effective lr": {"en": "effective lr", "ja": "実効学習率"},
        "insp:adaptive lr": {"en": "adaptive lr", "ja": "適応的な学習率"},
        "insp:g (after maximize / weight decay)": {
            "en": "g (after maximize / weight decay)",
            "ja": "g（最大化・重み減衰の後）",
        },
        "insp:m̂ (bias-corrected m)": {
            "en": "m̂ (bias-corrected m)",
            "ja": "m̂（バイアス補正した m）",
        },
        "insp:v̂ (bias-corrected v)": {
            "en": "v̂ (bias-corrected v)",
            "ja": "v̂（バイアス補正した v）",
        },
        "insp:a (denominator)": {"en": "a (denominator)", "ja": "a（分母）"},
        "insp:η̃ (decayed lr)": {"en": "η̃ (decayed lr)", "ja": "η̃（減衰後の学習率）"},
        "insp:Δ (AdaDelta step)": {"en": "Δ (AdaDelta step)", "ja": "Δ（AdaDelta の歩幅）"},
        "insp:c (interpolated momentum)": {
            "en": "c (interpolated momentum)",
            "ja": "c（補間したモメンタム）",
        },
        "insp:r (rectification)": {"en": "r (rectification)", "ja": "r（補正係数）"},
        "exports": {"en": "Export", "ja": "エクスポート"},
        "export_csv": {"en": "Trajectories (CSV)", "ja": "軌跡（CSV）"},
        "export_json": {"en": "Trajectories (JSON)", "ja": "軌跡（JSON）"},
        "export_html": {"en": "Interactive map (HTML)", "ja": "操作できる地図（HTML）"},
        "export_png": {"en": "Make PNG", "ja": "PNG を作成"},
        "export_svg": {"en": "Make SVG", "ja": "SVG を作成"},
        "export_gif": {"en": "Make animated GIF", "ja": "GIF アニメを作成"},
        "export_making": {"en": "Making the file…", "ja": "ファイルを作成しています…"},
        "export_failed": {
            "en": "The file could not be made: {error}",
            "ja": "ファイルを作成できませんでした: {error}",
        },
        "download": {"en": "Download {name}", "ja": "{name} をダウンロード"},
        "export_torch": {"en": "Copy as PyTorch code", "ja": "PyTorch のコードとしてコピー"},
        "export_torch_help": {
            "en": "A runnable torch.optim script with the same surface, start, steps and "
            "hyperparameters; its printed final points match this page.",
            "ja": "同じ曲面・出発点・ステップ数・ハイパーパラメータで torch.optim を使う実行可能な"
            "スクリプトです。表示される最終点はこのページと一致します。",
        },
        "export_torch_failed": {
            "en": "No PyTorch version of this view: {error}",
            "ja": "この表示の PyTorch 版は作れません: {error}",
        },
    }
)

# strings of the study sections (optviz_app/studies.py: basin map, sweep, fair comparison)
STRINGS.update(
    {
        "studies.basin_title": {"en": "Basin-of-attraction map", "ja": "引き込み領域マップ"},
        "studies.basin_help": {
            "en": "Every run starts from every point of a grid; each cell is coloured by where "
            "that start ended up. Click a cell to load that start into the main view.",
            "ja": "格子上のすべての点から各手法を走らせ、その開始点がどこに行き着いたかで"
            "色を塗ります。セルをクリックすると、その開始点をメインの図に読み込みます。",
        },
        "studies.resolution": {
            "en": "Grid (starts per side)",
            "ja": "格子の細かさ（一辺の開始点数）",
        },
        "studies.colour_by": {"en": "Colour by", "ja": "色分け"},
        "studies.mode_minimum": {"en": "which minimum", "ja": "到達した最小点"},
        "studies.mode_final_loss": {"en": "final loss", "ja": "最終損失"},
        "studies.mode_steps": {"en": "steps to tolerance", "ja": "許容誤差までのステップ数"},
        "studies.study_steps": {"en": "Steps per run", "ja": "1 回あたりのステップ数"},
        "studies.no_runs": {
            "en": "Add a run to see this study.",
            "ja": "手法を 1 つ以上追加すると表示されます。",
        },
        "studies.no_minima": {
            "en": "This surface has no known minimum, so the map is coloured by the final "
            "loss instead of by which minimum was reached.",
            "ja": "この曲面には既知の最小点がないため、どの最小点に着いたかではなく"
            "最終損失で色分けしています。",
        },
        "studies.capped": {
            "en": "To stay within about 2 s, each start runs {steps} steps (not {asked}).",
            "ja": "計算を約 2 秒に収めるため、各開始点は {asked} ステップではなく "
            "{steps} ステップだけ進めています。",
        },
        "studies.run_error": {
            "en": "{label}: {error}",
            "ja": "{label}：{error}",
        },
        "studies.surface_error": {
            "en": "The surface could not be built: {error}",
            "ja": "曲面を作れませんでした：{error}",
        },
        "studies.picked_start": {
            "en": "Loaded start ({x:.4g}, {y:.4g}).",
            "ja": "開始点 ({x:.4g}, {y:.4g}) を読み込みました。",
        },
        "studies.computing": {"en": "Computing…", "ja": "計算中…"},
        "studies.sweep_help": {
            "en": "One optimizer from the current start, over a grid of two hyperparameters. "
            "Click a cell to load its values into the run.",
            "ja": "現在の開始点から、2 つのハイパーパラメータの組み合わせを格子状に"
            "試します。セルをクリックすると、その値を手法に読み込みます。",
        },
        "studies.x_param": {"en": "Horizontal axis", "ja": "横軸"},
        "studies.y_param": {"en": "Vertical axis", "ja": "縦軸"},
        "studies.from": {"en": "from", "ja": "最小"},
        "studies.to": {"en": "to", "ja": "最大"},
        "studies.cells": {"en": "Cells per side", "ja": "一辺のセル数"},
        "studies.bad_range": {
            "en": "Range of {name}: the lower end must be below the upper end, both finite{pos}.",
            "ja": "{name} の範囲：下限は上限より小さい有限の値にしてください{pos}。",
        },
        "studies.positive": {"en": " and above 0", "ja": "（0 より大きい値）"},
        "studies.whole": {"en": " and whole numbers ≥ 1", "ja": "（1 以上の整数）"},
        "studies.same_param": {
            "en": "Choose two different hyperparameters.",
            "ja": "異なる 2 つのハイパーパラメータを選んでください。",
        },
        "studies.one_param": {
            "en": "{name} has fewer than two hyperparameters to sweep.",
            "ja": "{name} には探索できるハイパーパラメータが 2 つありません。",
        },
        "studies.all_invalid": {
            "en": "{name} accepts none of these values; choose another range.",
            "ja": "{name} はこの範囲のどの値も受け付けません。範囲を変えてください。",
        },
        "studies.all_diverged": {
            "en": "Every cell diverged or was not allowed: there is no best cell.",
            "ja": "すべてのセルが発散したか設定できない値でした。最良のセルはありません。",
        },
        "studies.best_is": {
            "en": "Best cell: {values} (f = {loss:.4g}).",
            "ja": "最良のセル：{values}（f = {loss:.4g}）。",
        },
        "studies.use_best": {"en": "Use the best values", "ja": "最良の値を使う"},
        "studies.picked_values": {"en": "Loaded {values}.", "ja": "{values} を読み込みました。"},
        "studies.fair_switch": {"en": "Learning rates", "ja": "学習率の決め方"},
        "studies.fair_same": {
            "en": "the same learning rate for every optimizer",
            "ja": "すべての手法で同じ学習率",
        },
        "studies.fair_best": {
            "en": "each at its best learning rate (sweep over the same step budget)",
            "ja": "各手法の最良の学習率（同じステップ数での探索）",
        },
        "studies.shared_lr": {"en": "Shared learning rate", "ja": "共通の学習率"},
        "studies.bad_lr": {
            "en": "The learning rate must be a number above 0.",
            "ja": "学習率は 0 より大きい数にしてください。",
        },
        "studies.caption_same": {
            "en": "Shown: every optimizer with the same learning rate lr = {lr:.3g}. "
            "Optimizers are sensitive to lr in different ways, so one shared value "
            "favours some of them.",
            "ja": "表示中：すべての手法で同じ学習率 lr = {lr:.3g}。手法ごとに学習率への"
            "敏感さが違うため、共通の値は一部の手法に有利になります。",
        },
        "studies.caption_best": {
            "en": "Shown: each optimizer at its best learning rate among {n} values from "
            "{lo:g} to {hi:g}, each run for the same {steps} steps from ({x:.3g}, {y:.3g}) "
            "(lowest final loss): {list}.",
            "ja": "表示中：{lo:g} から {hi:g} までの {n} 個の学習率を、同じ開始点 "
            "({x:.3g}, {y:.3g}) から同じ {steps} ステップずつ試し、最終損失が最も"
            "小さかった値を各手法に使っています：{list}。",
        },
        "studies.caption_none": {
            "en": "{label} diverged at every learning rate and keeps its own lr = {lr:.3g}",
            "ja": "{label} はどの学習率でも発散したため、元の lr = {lr:.3g} のままです",
        },
        "studies.fit_help": {
            "en": "Each point (w, b) of the loss surface is a line y = w·x + b. The lines "
            "move with the animation; the dashed line is the least-squares solution.",
            "ja": "損失曲面上の各点 (w, b) は直線 y = w·x + b に対応します。直線は"
            "アニメーションとともに動きます。破線は最小二乗解です。",
        },
        "studies.fit_only": {
            "en": "The data-fitting view is available for the linear-regression surface.",
            "ja": "データへの当てはめは「線形回帰」の曲面でのみ表示できます。",
        },
        "studies.no_paths": {
            "en": "No run has a path to show yet.",
            "ja": "表示できる軌跡がまだありません。",
        },
    }
)


def small_note(text: str) -> str:
    """``text`` as Markdown in the look of ``st.caption`` (small, grey), for a note that
    shares one element with the text above it. ``text``: a fixed string of the page (its
    square brackets would end the directive early)."""
    return f":small[:gray[{text}]]"
