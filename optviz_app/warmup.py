"""Cold-visit speed: start the browser on Streamlit's plotly.js chunk before the page exists.

Streamlit fetches and compiles its 4.7 MB Plotly chunk only when the first chart arrives;
on a cold visit that came after the imports, the runs and the map (DESIGN.md §7: 2–3 s of
chunk on top). :func:`start` runs before ``optviz_app.page`` is imported: on a session's
first script run it sends a tiny hidden chart, so the chunk loads *while* the server
imports and computes; :func:`done` removes it again right after the imports (the chunk,
once requested, keeps loading). Measured in ``benchmarks/bench_app.py``: first map of a
cold visit ≈ 2 s sooner.

The slot is an ``st.empty`` at the very top of the main area on every run (so the element
tree does not shift between the first and later runs); empty, it takes no room.
"""

from __future__ import annotations

import streamlit as st

FLAG = "_optviz_warm"
KEY = "optviz_warmup"
HIDE = f"<style>.st-key-{KEY} {{display: none;}}</style>"


def start():
    """The top slot; on the first run of a session it holds the hidden warm-up chart."""
    slot = st.empty()
    if not st.session_state.get(FLAG):
        import plotly.graph_objects as go

        with slot.container(key=KEY):
            st.html(HIDE)
            st.plotly_chart(
                go.Figure(layout=dict(width=10, height=10, margin=dict(l=0, r=0, t=0, b=0))),
                config={"staticPlot": True, "displayModeBar": False},
                theme=None,
                key="optviz_warmup_chart",
            )
    return slot


def done(slot) -> None:
    """Remove the warm-up chart (the chunk keeps loading) and remember the session is warm."""
    if not st.session_state.get(FLAG):
        slot.empty()
        st.session_state[FLAG] = True
