"""The drawing layer: arrays and options in, figure dicts out.

- :mod:`optviz.drawing.figures`: the contour map with paths and frames, the loss chart,
  the 3-D surface, and the shared :class:`~optviz.drawing.figures.Figure` and
  :class:`~optviz.drawing.figures.Style`.
- :mod:`optviz.drawing.studies`: basin maps, learning-rate sweeps and the data-fitting view.
- :mod:`optviz.drawing.render`: HTML, PNG/SVG and GIF renderings of a figure or a descent.

It imports the numerics (:mod:`optviz`) and never the page.
"""
