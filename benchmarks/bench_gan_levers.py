"""The GAN's levers, one run each, scored after every epoch (issue 13's search for a recipe).

One run fine-tunes a U-Net as the generator of ``gan.ColorizationGAN`` with one setting changed
and, after every epoch, colorizes the held-out pictures and scores them as chapter 4 does: the
share of the U-Net's mean |colourfulness gap| the GAN closed and the PSNR change
(``metrics.gap_closed``), for the raw weights and for an exponential moving average of them
(decay 0.99 per step, Yazici et al. 2019). On procedural pictures it also gives the chroma
kept where the colour is ambiguous (``ambiguity.hedge``).

Pictures and U-Net:

- real photos (default): the held-out split of ``--folder`` (``../shared/landscapes-128``, the
  command line's split, as ``bench_gan.py``) and the U-Net ``bench_unet.py --quality`` saved;
- ``--procedural``: the ``cpu`` profile's split and chapter 3's U-Net from the book's cache
  (``zoo.unet``, trained if missing, ``--unet-epochs``), with ``--seed``.

Levers: λ (``--l1``), the discriminator's depth (``--n-down``), normalisation (``--norm``:
instance, batch, none, or spectral normalisation of every convolution, Miyato et al. 2018) and
learning rate (``--d-lr``), the generator's learning rate (``--lr``) and pix2pix's linear decay
of both (``--decay``), label smoothing, a warm-up of the discriminator alone, the adversarial
loss (``--loss``: bce, lsgan (Mao et al. 2017) or hinge), feature matching on the
discriminator's layers (``--fm``, Salimans et al. 2016; pix2pixHD). The variants that the
library does not offer (spectral normalisation, the other losses, feature matching, the decay)
live here, as a subclass of the library's GAN, and nowhere else.

``--boost`` instead scores the U-Net with its chroma multiplied by 1.2 ... 2: a saturation knob
with no training, the reference a GAN has to beat on these two numbers.

Run: ``python benchmarks/bench_gan_levers.py --name NAME [options]``; each run replaces its row
(by ``--name``) in ``benchmarks/results/gan_levers.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from _common import RESULTS, write_result  # noqa: E402

LANDSCAPES = Path(__file__).resolve().parents[2] / "shared" / "landscapes-128"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--name", required=True, help="the row's name in the results")
    p.add_argument("--procedural", action="store_true", help="the cpu profile's pictures")
    p.add_argument("--folder", type=Path, default=LANDSCAPES, help="real photos (default)")
    p.add_argument("--unet", default="/tmp/bench_unet/unet.keras", help="real photos' U-Net")
    p.add_argument("--unet-epochs", type=int, default=None, help="procedural U-Net's epochs")
    p.add_argument("--boost", action="store_true", help="score the saturation knob instead")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--l1", type=float, default=20.0, help="λ")
    p.add_argument("--lr", type=float, default=2e-4, help="the generator's learning rate")
    p.add_argument("--d-lr", type=float, default=None, help="default: --lr")
    p.add_argument("--n-down", type=int, default=1)
    p.add_argument("--norm", default="instance", choices=["instance", "batch", "none", "spectral"])
    p.add_argument("--loss", default="bce", choices=["bce", "lsgan", "hinge"])
    p.add_argument("--fm", type=float, default=0.0, help="feature matching weight")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--warmup", type=int, default=0, help="discriminator-only epochs first")
    p.add_argument(
        "--decay",
        action="store_true",
        help="pix2pix's schedule: both learning rates constant for the first half of the "
        "epochs, then down linearly towards 0",
    )
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def spectral_discriminator(size: int, n_down: int):
    """``models.build_discriminator``'s layout with every convolution spectrally normalised
    and no other normalisation."""
    import keras
    from keras import layers

    init = keras.initializers.RandomNormal(0.0, 0.02)

    def conv(x, filters, name, **kw):
        return layers.SpectralNormalization(
            layers.Conv2D(filters, 4, kernel_initializer=init, **kw), name=name
        )(x)

    L = keras.Input((size, size, 1), name="L_norm")
    ab = keras.Input((size, size, 2), name="ab_norm")
    x = layers.Concatenate(name="L_ab")([L, ab])
    for i in range(n_down):
        x = conv(x, min(64 * 2**i, 512), f"down{i + 1}", strides=2, padding="same")
        x = layers.LeakyReLU(0.2, name=f"down{i + 1}_lrelu")(x)
    x = conv(layers.ZeroPadding2D(name="pad1")(x), min(64 * 2**n_down, 512), "conv")
    x = layers.LeakyReLU(0.2, name="conv_lrelu")(x)
    logits = conv(layers.ZeroPadding2D(name="pad2")(x), 1, "patch_logits", dtype="float32")
    return keras.Model([L, ab], logits, name="patchgan_sn")


def lever_gan(generator, discriminator, loss: str, fm: float):
    """The library's GAN, with another adversarial loss and optional feature matching."""
    import keras
    import tensorflow as tf

    from colorize_lib import gan

    class LeverGAN(gan.ColorizationGAN):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            d = self.discriminator
            taps = [layer.output for layer in d.layers if layer.name.endswith("_lrelu")]
            self.features = keras.Model(d.inputs, [*taps, d.output])  # [..., logits]

        def train_step(self, data):
            L, ab_real = data[0], data[1]
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                ab_fake = self.generator(L, training=True)
                *f_real, real = self.features([L, ab_real], training=True)
                *f_fake, fake = self.features([L, ab_fake], training=True)
                g_adv, g_l1 = gan.generator_losses(fake, ab_real, ab_fake)  # the library's
                if loss == "bce":
                    d_loss = gan.discriminator_loss(real, fake, self.label_smoothing)
                elif loss == "lsgan":
                    d_loss = 0.5 * (tf.reduce_mean((real - 1) ** 2) + tf.reduce_mean(fake**2))
                    g_adv = 0.5 * tf.reduce_mean((fake - 1) ** 2)
                else:  # hinge
                    d_loss = tf.reduce_mean(tf.nn.relu(1 - real) + tf.nn.relu(1 + fake))
                    g_adv = -tf.reduce_mean(fake)
                g_loss = g_adv + self.l1_weight * g_l1
                if fm:  # match the discriminator's features of real and generated colourings
                    diffs = [
                        tf.reduce_mean(tf.abs(tf.stop_gradient(a) - b))
                        for a, b in zip(f_real, f_fake, strict=True)
                    ]
                    g_loss += fm * tf.add_n(diffs) / len(diffs)
            g_vars, d_vars = (
                self.generator.trainable_variables,
                self.discriminator.trainable_variables,
            )
            self.optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)
            self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
            self.d_loss_tracker.update_state(d_loss)
            self.g_adv_tracker.update_state(g_adv)
            self.g_l1_tracker.update_state(g_l1)
            return {m.name: m.result() for m in self.metrics[:3]}

    return LeverGAN(generator, discriminator)


def summary(record: dict, rows: list[dict], args) -> dict:
    """One row of the results table: each epoch's share of the gap closed and PSNR change."""

    def each(prefix: str = "") -> str:
        return ", ".join(
            f"{r[prefix + 'closed']:.0%} {r[prefix + 'psnr_change_db']:+.2f}" for r in rows
        )

    if args.boost:
        record["chroma times 1.2 ... 2.0: closed, PSNR change (dB)"] = each()
    else:
        record["after each epoch: closed, PSNR change (dB)"] = each()
        record["the same, weights averaged"] = each("ema_")
    if rows and "chroma_share_where_ambiguous" in rows[0]:
        shares = ", ".join(f"{r['chroma_share_where_ambiguous']:.0%}" for r in rows)
        record["chroma kept where ambiguous"] = shares
    record["command"] = "python benchmarks/bench_gan_levers.py " + " ".join(sys.argv[1:])
    return record


def main() -> int:
    args = parse()
    import keras
    import tensorflow as tf

    from colorize_lib import ambiguity, color, data, infer, metrics, models, profiles, synth
    from colorize_lib.training import runtime, zoo

    if args.procedural:
        profile = dataclasses.replace(profiles.get_profile("cpu"), seed=args.seed)
        run = runtime.setup(profile)
        split = data.profile_split(profile, progress=False)
        truth = np.asarray(split.val[: profile.n_eval])
        unet = zoo.unet(run, split, samples=False, epochs=args.unet_epochs).model
        ambiguous = synth.ambiguous_masks(split.val_names[: len(truth)], truth.shape[1])
        keras.utils.set_random_seed(args.seed)
    else:
        run = runtime.setup(seed=args.seed)
        split = data.holdout_split(str(args.folder), 64, None, 0.1, 0)  # bench_gan's split
        truth = np.asarray(split.val)
        unet = keras.models.load_model(args.unet, compile=False)
        ambiguous = None
    before = infer.colorize_batch(unet, truth)

    def scores(out) -> dict:
        effect = metrics.gap_closed(truth, before, out)
        row = {
            "closed": round(effect["closed"], 3),
            "psnr_change_db": round(effect["psnr_change"], 3),
        }
        row["colourfulness"] = round(metrics.colorfulness(out), 2)
        if ambiguous is not None:
            hedge = ambiguity.hedge({"out": out}, truth, ambiguous)
            row["chroma_share_where_ambiguous"] = round(hedge[1]["amb_share"], 3)
        return row

    record = {
        "name": args.name,
        "pictures": f"procedural, seed {args.seed}" if args.procedural else str(args.folder.name),
        "U-Net": f"|gap| {metrics.abs_gap(before, truth):.1f}, {metrics.psnr(before, truth):.2f} dB",
    }
    rows = []
    start = time.time()
    if args.boost:  # the saturation knob: the U-Net's ab times k, the book's gamut rule
        lab = color.rgb_to_lab_np(before)
        for k in (1.2, 1.4, 1.6, 1.8, 2.0):
            boosted = np.concatenate([lab[..., :1], lab[..., 1:] * k], axis=-1)
            rows.append({"chroma_times": k, **scores(color.lab_to_rgb_keep_L(boosted))})
            print(json.dumps(rows[-1]), flush=True)
    else:
        generator = models.copy_model(unet)
        if args.norm == "spectral":
            discriminator = spectral_discriminator(truth.shape[1], args.n_down)
        else:
            norm = None if args.norm == "none" else args.norm
            discriminator = models.build_discriminator(
                truth.shape[1], n_down=args.n_down, norm=norm
            )
        model = lever_gan(generator, discriminator, args.loss, args.fm)
        average = [tf.Variable(w, trainable=False) for w in generator.weights]
        averaged = models.copy_model(generator)

        @tf.function
        def update_average():
            for a, w in zip(average, generator.weights, strict=True):
                a.assign(0.99 * a + 0.01 * w)

        class Score(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                update_average()

            def on_epoch_end(self, epoch, logs=None):
                averaged.set_weights([a.numpy() for a in average])
                raw = scores(infer.colorize_batch(generator, truth))
                ema = scores(infer.colorize_batch(averaged, truth))
                rows.append({"epoch": epoch + 1, **raw, **{f"ema_{k}": v for k, v in ema.items()}})
                print(json.dumps(rows[-1]), flush=True)

        train_ds, _ = data.make_datasets(split, args.batch, args.seed)

        def compile_(generator_trains: bool):
            generator.trainable = generator_trains
            model.compile(
                g_optimizer=keras.optimizers.Adam(args.lr, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(args.d_lr or args.lr, beta_1=0.5),
                l1_weight=args.l1,
                label_smoothing=args.label_smoothing,
            )

        if args.warmup:
            compile_(False)
            model.fit(train_ds, epochs=args.warmup, verbose=0)
        compile_(True)

        class Decay(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                half = args.epochs // 2
                factor = 1.0 if epoch < half else (args.epochs - epoch) / (args.epochs - half + 1)
                for optimizer, lr in ((model.optimizer, args.lr), (model.d_optimizer, args.d_lr)):
                    optimizer.learning_rate.assign((lr or args.lr) * factor)

        calls = [Score(), Decay()] if args.decay else [Score()]
        model.fit(train_ds, epochs=args.epochs, verbose=0, callbacks=calls)
    record["seconds"] = round(time.time() - start)
    record = summary(record, rows, args)

    path = RESULTS / "gan_levers.json"
    runs = json.loads(path.read_text())["figures"]["runs"] if path.exists() else []
    runs = [r for r in runs if r["name"] != args.name] + [record]
    write_result(
        "gan_levers", {"runs": runs}, "python benchmarks/bench_gan_levers.py --name NAME ..."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
