"""The Streamlit UI of optviz (the only package besides app.py that imports streamlit).

``state`` and ``compute`` and ``i18n`` are pure (no Streamlit); ``page`` draws the page.
"""
