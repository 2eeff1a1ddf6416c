"""The Streamlit page of optviz (the only package besides app.py that imports Streamlit).

Its modules look one way (checked by ``lint-imports``, contracts in pyproject.toml):

* ``page`` draws the page and wires in the sections;
* the sections ``formula_ui``, ``studies_ui``, ``teaching``, ``presenter``;
* ``session`` (widget keys, the state <-> widgets mapping, loading and restructuring the
  state, the cached runs and maps) and ``studies`` (the study sections' widgets);
* the model: ``compute`` (runs, summaries), ``links`` (the URL), ``state`` (the page
  state as one value), ``surface_builder`` (surfaces from plain values, typed formulas
  cached), ``i18n`` (strings), ``notices`` (messages as values), ``plot`` (the charts'
  component);
* ``serving``, beside the page: the web server's compressed, cacheable files (app.py's
  ``st.App``).
"""
