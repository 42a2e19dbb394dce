"""colorize_lib: the small library behind the book "Colorizing photos with deep learning".

What the book teaches sits at the top (``from colorize_lib import color, data, models, gan,
metrics``); the plumbing lives in ``data/``, ``training/``, ``pages/`` and ``cli/`` (see
CONTRIBUTING.md for the map). Importing the package loads nothing heavy and changes no global
state: TensorFlow is imported by the modules that need it, when they are imported.
"""

__version__ = "0.1.0"
