"""optviz: interactive loss-surface descent. Run with ``streamlit run app.py``."""

from optviz_app.page import main

main()
