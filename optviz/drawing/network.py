"""The figure of the network study: training loss and accuracy against the epoch.

Pure: arrays in, a ``plotly`` figure out; no Streamlit. Strings are the ``fig.net_*`` keys
of :mod:`optviz.strings` (English and Japanese).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optviz import strings

from .figures import Style, legend_font


def _text(key: str, lang: str) -> str:
    return strings.text("fig." + key, lang)


def _decade_ticks(losses: Sequence[np.ndarray]) -> int | None:
    """1 (a label per power of ten only) when the finite positive losses span two decades
    or more, else None (plotly's choice, which labels 2 and 5 in between): the in-between
    labels crowd a short panel with large fonts, but a narrow range needs them."""
    values = np.concatenate([np.asarray(loss, dtype=np.float64).ravel() for loss in losses])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and np.log10(values.max() / values.min()) >= 2:
        return 1
    return None


MAX_HEIGHT = 600
"""The figure's greatest height (px): scrolled to, it fits under the page's header on the
720-px screen of a projector with its legend."""


def training_figure(
    losses: Sequence[np.ndarray],
    accuracies: Sequence[np.ndarray],
    names: Sequence[str],
    colors: Sequence[str],
    lang: str = "en",
    *,
    style: Style | None = None,
) -> go.Figure:
    """Loss (log axis, top) and accuracy in % (bottom) against the epoch, one colour per run.

    ``losses[i]`` and ``accuracies[i]``: (epochs + 1,) for run ``i`` (epoch 0 is the start).
    A loss that overflowed (inf or NaN) leaves a gap: the line ends where training diverged.
    ``style`` (default :class:`~optviz.drawing.figures.Style`) sets the fonts, the lines and
    the height, at most :data:`MAX_HEIGHT`; :meth:`~optviz.drawing.figures.Style.presenter`
    is the projector's. The legend sits above the plots and wraps as the width asks, its
    rows packed (no gap between the runs' legend groups, the loss chart's legend font): on
    a phone six runs take four rows, not six.
    """
    style = Style() if style is None else style
    width = style.line_width
    loss_title, accuracy_title = _text("net_loss", lang), _text("net_accuracy", lang)
    epoch = _text("net_epoch", lang)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(loss_title, accuracy_title),
    )
    for loss, accuracy, name, color in zip(losses, accuracies, names, colors, strict=True):
        loss = np.asarray(loss, dtype=np.float64)
        x = np.arange(loss.shape[0])
        shown = np.where(np.isfinite(loss) & (loss > 0), loss, np.nan)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=shown,
                mode="lines",
                name=name,
                legendgroup=name,
                line=dict(color=color, width=width),
                hovertemplate=f"{name}<br>{epoch} %{{x}}<br>%{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=100 * np.asarray(accuracy, dtype=np.float64),
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=False,
                line=dict(color=color, width=width),
                hovertemplate=f"{name}<br>{epoch} %{{x}}<br>%{{y:.1f}} %<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(
        type="log",
        exponentformat="power",
        dtick=_decade_ticks(losses),
        gridcolor="#e5e5e5",
        row=1,
        col=1,
    )
    fig.update_yaxes(range=[0, 101], ticksuffix=" %", gridcolor="#e5e5e5", row=2, col=1)
    fig.update_xaxes(gridcolor="#e5e5e5", zeroline=False)
    fig.update_xaxes(tickfont_size=style.font_size - 2, title_font_size=style.font_size)
    fig.update_yaxes(tickfont_size=style.font_size - 2)
    fig.update_xaxes(title_text=epoch, row=2, col=1)
    fig.update_annotations(font_size=style.font_size)  # the two panels' titles
    fig.update_layout(
        height=min(style.height, MAX_HEIGHT),
        margin=dict(l=10, r=10, t=40, b=10),
        font=dict(size=style.font_size),
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.06,
            x=0,
            font=dict(size=legend_font(style)),
            itemwidth=30,  # Plotly's least: the line sample takes no more than it needs
            tracegroupgap=0,  # one group per run: no gap between the wrapped rows
        ),
        uirevision="network",
    )
    return fig
