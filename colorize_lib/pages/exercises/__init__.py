"""Checkers for the chapters' exercises: call one with your answer, read PASS or what is wrong.

Each checker returns a ``Check`` (true when passed) whose text says what was tested and, on a
failure, one example where the answer went wrong and a hint that teaches, so a reader can fix
it without a debugger. One module per chapter; the chapters call them through this package
(``exercises.check_bt601(my_gray)``). Nothing here imports TensorFlow until a checker that
needs it runs, so chapters 1 and 2 stay light.
"""

from colorize_lib.pages.exercises.adversarial import check_discriminator_loss, check_receptive_field
from colorize_lib.pages.exercises.check import Check
from colorize_lib.pages.exercises.gray import check_bt601, check_gray_rule, check_same_gray_pair
from colorize_lib.pages.exercises.hints import check_hint_maps, check_worst_place
from colorize_lib.pages.exercises.scores import check_colorfulness, check_psnr
from colorize_lib.pages.exercises.unet import (
    GREEN_RGB,
    RED_RGB,
    ambiguous_pixel,
    check_best_guesses,
    check_block_params,
    check_same_layers,
)

__all__ = [
    "GREEN_RGB",
    "RED_RGB",
    "Check",
    "ambiguous_pixel",
    "check_best_guesses",
    "check_block_params",
    "check_bt601",
    "check_colorfulness",
    "check_discriminator_loss",
    "check_gray_rule",
    "check_hint_maps",
    "check_psnr",
    "check_receptive_field",
    "check_same_gray_pair",
    "check_same_layers",
    "check_worst_place",
]
