"""The U-Net's and the GAN's training steps are correct on several devices and in mixed precision.

``two_devices.py`` runs in a fresh process (logical devices must be set up before TensorFlow
first uses them); see its docstring for how the comparison is made exact.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-5  # largest |weight difference| allowed: float32 sums taken in another order


@pytest.fixture(scope="module")
def measured() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "two_devices.py")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_one_step_on_two_devices_equals_one_step_on_one(measured):
    assert measured["replicas"] == 2
    # the steps really moved the weights, so an equal result is not an empty one ...
    assert measured["unet_step_change"] > 1e-3 and measured["gan_step_change"] > 1e-3
    # ... and two devices (each with half the batch) land where one device does
    assert measured["unet_max_diff"] < TOLERANCE, measured
    assert measured["gan_max_diff"] < TOLERANCE, measured
    # the control: the GAN step without its division by the replicas is caught
    assert measured["gan_unscaled_max_diff"] > 100 * TOLERANCE, measured


def test_a_gan_step_in_mixed_precision_keeps_float32_outputs(measured):
    assert measured["policy"] == "mixed_float16"
    assert measured["generator_compute"] == "float16"  # the convolutions run in half precision
    assert measured["generator_output"] == "float32"  # the U-Net's ab head stays float32
    assert measured["discriminator_output"] == "float32"  # and so do the PatchGAN's logits
    assert measured["optimizer"] == measured["d_optimizer"] == "LossScaleOptimizer"
    assert measured["losses_finite"] and measured["prediction_dtype"] == "float32"
