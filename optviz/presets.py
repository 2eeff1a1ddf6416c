"""Lecture presets: named scenarios, each one click, with what to watch (Japanese and English).

A preset is plain data: the surface (a ``SURFACES`` key and factory parameters), the start,
the number of steps, and the runs (optimizer key, torch keyword arguments, gradient noise).
The page turns it into its own state; ``tests/test_presets.py`` checks that every preset
really shows what its explanation claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PresetRun:
    """One run of a preset: ``CONVENTIONS[convention][optimizer](**dict(kwargs))`` (the
    factory's own keyword names) with gradient noise."""

    optimizer: str
    kwargs: tuple[tuple[str, object], ...] = ()
    noise: float = 0.0
    seed: int = 0
    convention: str = "pytorch"


DATA = "{data}"
"""In a preset's explanation: the network section's data set, named by the page."""


@dataclass(frozen=True)
class Preset:
    """A named lecture scenario.

    ``surface_params`` are keyword arguments of the surface's factory (``SURFACE_PARAMS``);
    a preset on a typed formula has ``surface="formula"``, the formula's text in
    ``formula`` (the page's grammar) and its plot window in ``bounds``.
    ``focus_step`` is the step the step inspector should open on (e.g. Adam's first step).
    :data:`DATA` in ``text_en``/``text_ja`` stands for the data set the page's network
    section trains on (the page names the one chosen there).
    """

    key: str
    title_en: str
    title_ja: str
    text_en: str
    text_ja: str
    surface: str
    start: tuple[float, float]
    steps: int
    runs: tuple[PresetRun, ...]
    surface_params: tuple[tuple[str, float], ...] = ()
    focus_step: int = 0
    tags: tuple[str, ...] = field(default=())
    formula: str = ""
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None


def _run(optimizer: str, noise: float = 0.0, **kwargs) -> PresetRun:
    return PresetRun(optimizer, tuple(sorted(kwargs.items())), noise)


def _book(optimizer: str, **kwargs) -> PresetRun:
    """A run in the book's convention (``CONVENTIONS["textbook"]``)."""
    return PresetRun(optimizer, tuple(sorted(kwargs.items())), convention="textbook")


BOOK_FIGURE_FORMULA = "x^2/20 + y^2"
"""The function of the book's optimizer comparison (ch06/optimizer_compare_naive.py)."""
BOOK_FIGURE_BOUNDS = ((-10.0, 10.0), (-5.0, 5.0))
"""The book's plot window for it."""
BOOK_FIGURE_RUNS = (("sgd", 0.95), ("momentum", 0.1), ("adagrad", 1.5), ("adam", 0.3))
"""The book's four optimizers and their learning rates (every other setting at the
book's defaults)."""


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="sgd_zigzag",
        title_en="SGD zig-zags in a valley",
        title_ja="谷をジグザグに進む SGD",
        text_en=(
            "The bowl is 20 times steeper across (y) than along (x). A learning rate that "
            "suits the steep direction is far too small for the flat one, so gradient descent "
            "bounces from wall to wall while creeping along the valley. The smaller learning "
            "rate stops bouncing but is slow along x: after 60 steps it is still at about "
            "x = −1.2 (from −4), where the bouncing run has reached the bottom."
        ),
        text_ja=(
            "この谷は x 方向より y 方向が 20 倍急です。急な方向に合わせた学習率は緩やかな方向には"
            "小さすぎるため、勾配降下法は谷の壁から壁へと跳ね返りながら、谷底をゆっくり進みます。"
            "学習率を小さくするとジグザグは消えますが、x 方向の進みが遅くなり、"
            "60 ステップ後もまだ x ≈ −1.2（初期点は −4）にいます。跳ね返る方はすでに谷底です。"
        ),
        surface="bowl",
        surface_params=(("angle_deg", 0.0), ("condition", 20.0)),
        start=(-4.0, 2.0),
        steps=60,
        runs=(_run("sgd", lr=0.09), _run("sgd", lr=0.02)),
    ),
    Preset(
        key="momentum_overshoot",
        title_en="Momentum overshoots",
        title_ja="モメンタムは行き過ぎる",
        text_en=(
            "With the same learning rate, momentum (μ = 0.9) reaches the bottom much sooner "
            "than plain SGD because it keeps the velocity it has built up, and for the same "
            "reason it overshoots the minimum and circles back before settling."
        ),
        text_ja=(
            "同じ学習率でも、モメンタム（μ = 0.9）はそれまでに得た速度を保つため、素の SGD より"
            "ずっと早く谷底に着きます。同じ理由で最小値を通り過ぎ、行きつ戻りつしてから落ち着きます。"
        ),
        surface="bowl",
        start=(-4.0, 2.0),
        steps=150,
        runs=(_run("sgd", lr=0.02), _run("momentum", lr=0.02)),
    ),
    Preset(
        key="nesterov_vs_momentum",
        title_en="Nesterov versus momentum",
        title_ja="ネステロフとモメンタム",
        text_en=(
            "Nesterov momentum steps along the look-ahead direction g + μb, so it starts braking "
            "before it overshoots. Its oscillations die out much faster than those of plain "
            "momentum. In the same number of steps it reaches a far lower loss."
        ),
        text_ja=(
            "ネステロフのモメンタムは先読みした g + μb で更新するので、行き過ぎる前にブレーキが"
            "かかります。通常のモメンタムの振動が早く収まり、同じステップ数でより低い損失に達します。"
        ),
        surface="bowl",
        start=(-4.0, 2.0),
        steps=150,
        runs=(_run("momentum", lr=0.02), _run("nesterov", lr=0.02)),
    ),
    Preset(
        key="adagrad_shrinking",
        title_en="AdaGrad's steps shrink",
        title_ja="AdaGrad の更新量が縮む",
        text_en=(
            "AdaGrad divides each step by the square root of the sum of all past squared "
            "gradients. Its first steps down the steep wall of the Rosenbrock valley fill that "
            "sum, so within a few steps the ratio of the current gradient to it, and with it the "
            "step, collapses to about a hundredth of the learning rate. AdaGrad then crawls "
            "along the valley. Compare the step length with lr in the step inspector."
        ),
        text_ja=(
            "AdaGrad は過去の勾配の二乗の総和の平方根で各ステップを割ります。ローゼンブロック関数の"
            "急な壁を下る最初の数ステップで総和が大きくなるため、現在の勾配との比、つまり更新量は"
            "すぐに学習率の約 100 分の 1 まで縮みます。"
            "その後 AdaGrad は谷に沿ってほとんど進めません。"
            "ステップ詳細で更新量と lr を比べてください。"
        ),
        surface="rosenbrock",
        start=(-1.5, 2.0),
        steps=1000,
        runs=(_run("adagrad", lr=0.1),),
    ),
    Preset(
        key="rmsprop_adadelta_fix",
        title_en="RMSprop and AdaDelta",
        title_ja="RMSprop と AdaDelta の改良",
        text_en=(
            "RMSprop and AdaDelta replace AdaGrad's ever-growing sum by an exponential moving "
            "average of squared gradients, so old steep gradients are forgotten and the steps "
            "stay useful. Both get much further along the valley than AdaGrad in 1,000 steps; "
            "AdaDelta does so without a hand-tuned learning rate (lr = 1)."
        ),
        text_ja=(
            "RMSprop と AdaDelta は AdaGrad の増え続ける総和を、勾配の二乗の指数移動平均に置き換え"
            "ます。昔の急な勾配を忘れるので更新量が縮みすぎません。"
            "1,000 ステップで両者とも AdaGrad より谷のずっと先まで進みます。"
            "AdaDelta は学習率を調整しなくても（lr = 1）進みます。"
        ),
        surface="rosenbrock",
        start=(-1.5, 2.0),
        steps=1000,
        runs=(_run("adagrad", lr=0.1), _run("rmsprop", lr=0.01), _run("adadelta", lr=1.0)),
    ),
    Preset(
        key="adam_bias_correction",
        title_en="Adam's bias correction",
        title_ja="Adam のバイアス補正",
        text_en=(
            "Adam's moving averages start at zero, so it divides them by 1 − βᵗ. At step 1 "
            "that makes m̂ = g and v̂ = g², and the step is lr·g/|g| = lr·sign(g): the same "
            "length in x and y although the gradient is five times larger in y. SGD's first "
            "step points straight down the gradient instead."
        ),
        text_ja=(
            "Adam の移動平均は 0 から始まるので、1 − βᵗ で割って補正します。1 ステップ目では "
            "m̂ = g、v̂ = g² となり、更新量は lr·g/|g| = lr·sign(g) です。勾配は y 方向が 5 倍"
            "大きいのに、x と y に同じ長さだけ進みます。SGD の最初の一歩は勾配の向きそのものです。"
        ),
        surface="bowl",
        start=(-4.0, 2.0),
        steps=100,
        runs=(_run("adam", lr=0.3), _run("sgd", lr=0.03)),
        focus_step=0,
    ),
    Preset(
        key="saddle_escape",
        title_en="Escaping a saddle point",
        title_ja="鞍点からの脱出",
        text_en=(
            "On x² − y² the start sits almost exactly on the ridge y = 0. Plain gradient "
            "descent slides into the saddle point and lingers there, because the gradient in y "
            "is tiny. Momentum builds up speed, Adam rescales the tiny y-gradient to a full "
            "step, and gradient noise kicks SGD off the ridge: all three escape."
        ),
        text_ja=(
            "x² − y² の上で、初期点は尾根 y = 0 のほぼ真上です。y 方向の勾配がごく小さいため、"
            "素の勾配降下法は鞍点に滑り込んでそこに留まります。モメンタムは速度をためて、Adam は"
            "小さな y 方向の勾配を一歩分に拡大して、勾配ノイズは SGD を尾根から押し出して、"
            "いずれも脱出します。"
        ),
        surface="saddle",
        start=(-2.0, 1e-4),
        steps=80,
        runs=(
            _run("sgd", lr=0.02),
            _run("momentum", lr=0.02),
            _run("adam", lr=0.05),
            _run("sgd", noise=0.2, lr=0.02),
        ),
    ),
    Preset(
        key="divergence",
        title_en="Divergence when lr > 2/λ_max",
        title_ja="lr > 2/λ_max で発散する",
        text_en=(
            "On 0.5(x² + 10y²) the largest curvature is λ_max = 10. Gradient descent multiplies "
            "the y-error by 1 − 10·lr each step: at lr = 0.19 that is −0.9 (it zig-zags but "
            "converges); at lr = 0.22 it is −1.2, so the error grows until the path leaves "
            "the range and is marked diverged."
        ),
        text_ja=(
            "0.5(x² + 10y²) の最大の曲率は λ_max = 10 です。勾配降下法は毎ステップ y 方向の誤差を "
            "1 − 10·lr 倍します。lr = 0.19 では −0.9 倍（ジグザグしながら収束）、lr = 0.22 では "
            "−1.2 倍になり、誤差が増え続けて範囲外に出ると「発散」と表示されます。"
        ),
        surface="bowl",
        start=(-4.0, 2.0),
        steps=100,
        runs=(_run("sgd", lr=0.19), _run("sgd", lr=0.22)),
    ),
    Preset(
        key="rastrigin_local_minima",
        title_en="Rastrigin's local minima",
        title_ja="ラストリギン関数の局所解",
        text_en=(
            "Rastrigin's surface is an egg box with about a hundred local minima around the "
            "global one at the origin. Small steps settle in the nearest pit; momentum and "
            "Adam's large steps hop over a few walls and end lower, but none finds the global "
            "minimum from here. Try other starts, or the basin map."
        ),
        text_ja=(
            "ラストリギン関数は卵のケースのような形で、原点の大域的最小値の周りに約 100 個の局所"
            "最小値があります。小さな更新量では最寄りのくぼみに落ち着きます。"
            "モメンタムや Adam の大きな更新量はいくつかの壁を越えてより低い所で止まりますが、"
            "ここからでは大域的最小値に届きません。"
        ),
        surface="rastrigin",
        start=(2.6, -2.2),
        steps=300,
        runs=(_run("sgd", lr=0.002), _run("momentum", lr=0.008), _run("adam", lr=0.8)),
    ),
    Preset(
        key="line_fit",
        title_en="Fitting a line (MSE surface)",
        title_ja="直線の当てはめ",
        text_en=(
            "Each point (w, b) of this surface is a line y = w·x + b; its height is the mean "
            "squared error on the data. Descending the surface is training the model: watch "
            "the lines approach the least-squares fit. The data's x are not centred, so the "
            "valley is long and tilted: momentum gets there first, plain gradient descent "
            "later, and Adam last, because its per-coordinate scaling cannot straighten a "
            "valley that is tilted against the axes."
        ),
        text_ja=(
            "この曲面の各点 (w, b) は直線 y = w·x + b を表し、"
            "高さはデータに対する平均二乗誤差です。曲面を下ることはモデルの学習そのものです。直線が最小二乗解に近づく様子を見てください。"
            "データの x が中心化されていないので谷は細長く傾いています。モメンタムが最初に、"
            "素の勾配降下法が次に着き、Adam は最後です。"
            "座標ごとの更新量の調整では、軸に対して傾いた谷をまっすぐにできないからです。"
        ),
        surface="linear_regression",
        start=(0.0, 0.0),
        steps=100,
        runs=(_run("sgd", lr=0.05), _run("momentum", lr=0.02), _run("adam", lr=0.05)),
    ),
    Preset(
        key="rosenbrock_race",
        title_en="The classic race on Rosenbrock",
        title_ja="ローゼンブロック関数で比較",
        text_en=(
            "The banana-shaped valley is easy to reach and hard to follow. SGD needs a tiny "
            "learning rate to survive the steep walls, so it barely moves along the valley; "
            "momentum carries it further; RMSprop and Adam rescale each coordinate and follow "
            "the curve toward the minimum at (1, 1)."
        ),
        text_ja=(
            "バナナ形の谷は入るのは簡単でも、たどるのが難しい関数です。SGD は急な壁で発散しないよう"
            "学習率を小さくする必要があり、谷に沿ってほとんど進みません。モメンタムはより遠くまで進み、"
            "RMSprop と Adam は座標ごとに更新量を調整して、"
            "曲がった谷を (1, 1) の最小値へたどります。"
        ),
        surface="rosenbrock",
        start=(-1.5, 2.0),
        steps=500,
        runs=(
            _run("sgd", lr=5e-4),
            _run("momentum", lr=2e-4),
            _run("rmsprop", lr=0.01),
            _run("adam", lr=0.05),
        ),
    ),
    Preset(
        key="book_figure",
        title_en="The book's four optimizers",
        title_ja="「ゼロから作る」の 4 手法",
        text_en=(
            "The figure every reader of 「ゼロから作るDeep Learning」 (Deep Learning from "
            "Scratch) has seen (chapter 6, optimizer_compare_naive.py), computed with the "
            "book's own update rules: "
            "f = x²/20 + y², twenty times steeper in y than in x, from (−7, 2) in 30 steps. "
            "SGD (lr 0.95) zig-zags across the valley at every step and is still at "
            "x ≈ −0.35 after 30 steps. Momentum (lr 0.1) rolls like a ball and overshoots the "
            "bottom along x. AdaGrad (lr 1.5) shrinks each coordinate's step as its gradients "
            "add up: the zig-zag in y dies out at once and it ends closest to the minimum. "
            "Adam (lr 0.3) rolls like a ball too, with less swinging. Which one is best "
            "depends on the problem and the learning rates, as the book says. The next "
            "preset runs the same four with PyTorch's formulas."
        ),
        text_ja=(
            "「ゼロから作るDeep Learning」の読者なら誰もが見た図（6 章、"
            "optimizer_compare_naive.py）を、本の更新式そのまま（ゼロから作る流）で計算します。"
            "f = x²/20 + y² は y 方向が x 方向より 20 倍急な関数で、(−7, 2) から 30 ステップ"
            "進めます。SGD（lr 0.95）は毎ステップ谷を横切ってジグザグに進み、30 ステップ後も"
            "まだ x ≈ −0.35 です。Momentum（lr 0.1）はボールが転がるように進み、x 方向に谷底を"
            "通り過ぎます。AdaGrad（lr 1.5）は勾配が積み重なるほど各座標のステップを小さくする"
            "ので、y 方向のジグザグがすぐに消え、最も最小点の近くで終わります。Adam（lr 0.3）も"
            "ボールのように進みますが、揺れは小さめです。本にあるとおり、どれが最良かは問題と"
            "学習率しだいです。次のプリセットは同じ 4 つを PyTorch 流の式で動かします。"
        ),
        surface="formula",
        formula=BOOK_FIGURE_FORMULA,
        bounds=BOOK_FIGURE_BOUNDS,
        start=(-7.0, 2.0),
        steps=30,
        runs=tuple(_book(key, lr=lr) for key, lr in BOOK_FIGURE_RUNS),
    ),
    Preset(
        key="book_figure_pytorch",
        title_en="The book's four, in PyTorch",
        title_ja="同じ 4 手法を PyTorch 流で",
        text_en=(
            "The previous preset's four runs with torch.optim's update rules and defaults "
            "(the same learning rates). The paths agree with the book's to about 1e-5: plain "
            "SGD is the same, momentum is the same method written differently (the book's "
            "velocity v is −η times PyTorch's buffer), and AdaGrad and Adam differ only in "
            "where the small ε goes. Switch a run's convention in its box to compare one "
            "optimizer at a time."
        ),
        text_ja=(
            "前のプリセットの 4 つの試行を、torch.optim の更新式と既定値（学習率は同じ）で"
            "動かします。経路は本の経路と 1e-5 程度まで一致します。SGD は同じで、Momentum は"
            "書き方が違うだけの同じ手法（本の速度 v は PyTorch のバッファの −η 倍）、AdaGrad と"
            "Adam は小さな ε の置き場所だけが違います。試行の欄で流儀を切り替えると、"
            "1 つずつ比べられます。"
        ),
        surface="formula",
        formula=BOOK_FIGURE_FORMULA,
        bounds=BOOK_FIGURE_BOUNDS,
        start=(-7.0, 2.0),
        steps=30,
        runs=tuple(_run(key, lr=lr) for key, lr in BOOK_FIGURE_RUNS),
    ),
    Preset(
        key="course_network",
        title_en="Six optimizers on a network",
        title_ja="6 手法をネットワークで比較",
        text_en=(
            "The course's experiment: SGD, Momentum, AdaGrad, RMSprop, AdaDelta and Adam, all "
            'at learning rate 0.01 and otherwise at their defaults. Open "On a real network" '
            "below: each run trains a multilayer perceptron on {data} with the full batch. On "
            "the 8×8 digits, after 100 epochs AdaGrad, RMSprop and Adam have nearly fitted the "
            "training set (Adam above 95 % accuracy), Momentum is well behind, and SGD and "
            "AdaDelta have hardly moved. AdaDelta is slow only at this learning rate: at "
            "PyTorch's default of 1.0 it keeps up with AdaGrad."
        ),
        text_ja=(
            "授業の実験です。SGD、Momentum、AdaGrad、RMSprop、AdaDelta、Adam をすべて学習率 "
            "0.01、その他は既定値にしています。下の「実際のネットワークで」を開くと、各試行が "
            "{data}で多層パーセプトロンを全データ（フルバッチ）で学習します。8×8 の手書き数字"
            "では、100 エポック後、AdaGrad、RMSprop、Adam は訓練データにほぼ合い（Adam の認識"
            "精度は 95 % 以上）、Momentum は大きく遅れ、SGD と "
            "AdaDelta はほとんど進みません。AdaDelta が遅いのはこの学習率のためで、PyTorch の"
            "既定値 1.0 なら AdaGrad と同じくらい速く学習します。"
        ),
        surface="bowl",
        start=(-4.0, 2.0),
        steps=100,
        runs=tuple(
            _run(key, lr=0.01)
            for key in ("sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam")
        ),
        tags=("network",),
    ),
)
"""The lecture presets, in teaching order."""

PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}
"""Preset key -> Preset."""
