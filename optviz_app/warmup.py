"""Cold-visit speed: start the browser on plotly.js before the page exists.

The charts (:mod:`optviz_app.plot`) need plotly.js (4.7 MB, served by Streamlit's
component file route); fetched only when the first chart arrives, it would come on top of
the imports, the runs and the map. :func:`start` runs before ``optviz_app.page`` is
imported: on a session's first script run it mounts an empty chart slot whose only job is
to make the browser fetch and compile plotly.js *while* the server imports and computes;
:func:`done` removes it again right after the imports (the script, once requested, keeps
loading). Measured in ``benchmarks/bench_app.py`` (cold visit timeline).

The slot is an ``st.empty`` at the very top of the main area on every run (so the element
tree does not shift between the first and later runs); empty, it takes no room.
"""

from __future__ import annotations

import streamlit as st

FLAG = "_optviz_warm"
KEY = "optviz_warmup"
HIDE = f"<style>.st-key-{KEY} {{display: none;}}</style>"


def start():
    """The top slot; on the first run of a session it holds the hidden plotly.js loader."""
    slot = st.empty()
    if not st.session_state.get(FLAG):
        from . import plot

        with slot.container(key=KEY):
            st.html(HIDE)
            plot.preload()
    return slot


def done(slot) -> None:
    """Remove the loader (plotly.js keeps loading) and remember the session is warm."""
    if not st.session_state.get(FLAG):
        slot.empty()
        st.session_state[FLAG] = True
