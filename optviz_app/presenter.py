"""Presenter mode (``present=1``) and hidden controls (``hide=a,b``) for lectures.

Presenter mode collapses the sidebar, enlarges the page's text and the charts' fonts and
lines (:meth:`optviz.drawing.figures.Style.presenter`), drops the subtitle and shows the
preset's explanation beside the map, so the map with its play controls and step label fits
the first screen of a 1280×720 projector. ``hide`` removes control groups
(:data:`optviz_app.links.HIDEABLE`) from the page; their values still come from the state
(the page reads every widget with the state as the fallback), so a link decides what
students see without changing what they see computed.
"""

from __future__ import annotations

import streamlit as st

from optviz.drawing import figures as F

from .links import Teach
from .session import teach

PRESENT_CSS = """<style>
.stMain .block-container {padding-top: 3.5rem;}
.stMain .stMarkdown p, .stMain .stMarkdown li, .stMain .stCaption p {font-size: 1.3rem;}
.stMain h4 {font-size: 1.9rem;}
.stMain [data-testid="stWidgetLabel"] p {font-size: 1.25rem;}
.optviz-explain {font-size: 1.3rem; line-height: 1.45; padding: 0.5rem 0.9rem;
  border-left: 0.4rem solid #1f77b4; background: #f3f7fb; margin-bottom: 0.6rem;}
.optviz-explain b {font-size: 1.5rem;}
.stMain h4 .katex {font-size: 1.4rem;}
</style>"""


def shown(name: str) -> bool:
    """Whether the control group ``name`` is visible (not in the link's ``hide=``)."""
    return teach().shown(name)


def page_config(teach: Teach) -> None:
    """Presenter mode: collapsed sidebar and large text (call after set_page_config)."""
    if teach.present:
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(PRESENT_CSS)


def style(teach: Teach) -> F.Style:
    """Chart sizes: the lecture-hall style in presenter mode."""
    return F.Style.presenter() if teach.present else F.Style()
