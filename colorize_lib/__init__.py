"""colorize_lib: the small library behind the book "Colorizing photos with deep learning".

Import the module you need (``from colorize_lib import color, data, viz``). Importing the
package loads nothing heavy and changes no global state: TensorFlow is imported by the
modules that need it, when they are imported.
"""

__version__ = "0.1.0"
