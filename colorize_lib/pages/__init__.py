"""What draws the book's pages: figures, sliders, the quiz, the exercises' checkers, chapter 5's
reports and the in-browser colorizer's HTML.

=============  ===============================================================================
``viz``        side-by-side figures, the comparison slider, the before/after wipe
``plots``      training curves (the GAN's game and L1 error)
``diagrams``   the U-Net and the PatchGAN drawn from the real models
``quiz``       the "which one is real?" classroom quiz (self-contained HTML)
``report``     chapter 5's failure patterns, evaluation figures, the benchmark page
``webpage``    the HTML of chapter 6's in-browser colorizer, with the models' cards
``opening``    a chapter's line of time, from the measured book build
``exercises``  checkers for the chapters' exercises (PASS, or FAIL with a hint)
=============  ===============================================================================

Import the module you need: ``from colorize_lib.pages import viz, exercises``.
"""
