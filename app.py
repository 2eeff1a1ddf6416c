"""optviz: interactive loss-surface descent. Run with ``streamlit run app.py``."""

from optviz_app import warmup

slot = warmup.start()  # first visit: the browser loads plotly.js while we import/compute

from optviz_app.page import main  # noqa: E402

warmup.done(slot)
main()
