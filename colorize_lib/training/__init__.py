"""A training run: what sets it up, the fit loop, its callbacks and the cache of trained models.

==============  ==============================================================================
``runtime``     ``setup(profile) -> Run``: devices, precision, seed (the one call that sets
                global TensorFlow/Keras state)
``fitting``     one resumable ``fit`` (stages, resume only the same recipe); ``train_unet``,
                ``train_gan``
``callbacks``   checkpoint, divergence guard, one line per epoch, sample strip, discriminator
                monitor, per-step losses
``zoo``         the chapters' trained models, cached by a hash of recipe, data and code
``cards``       what a trained model learned from and how it scores, kept beside it
==============  ==============================================================================

Import the module you need: ``from colorize_lib.training import runtime, zoo``.
"""
