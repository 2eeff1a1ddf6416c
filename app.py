"""optviz: interactive loss-surface descent. Run with ``streamlit run app.py``.

``streamlit run`` finds ``app`` below and serves the page through it: Streamlit's own
server (``st.App``) with the files that never change sent compressed, the process held to
one CPU (:mod:`optviz_app.serving`). Each session's script run executes this file as
``__main__``: the page.
"""

if __name__ == "__main__":
    from optviz_app import warmup

    slot = warmup.start()  # first visit: the browser loads plotly.js while we import/compute

    from optviz_app.page import main

    warmup.done(slot)
    main()
else:
    import streamlit as st

    from optviz_app import serving

    serving.claim_one_cpu()
    app = st.App(__file__, middleware=serving.middleware())
