/* "You decide" (chapter 7): click on a picture, pick a colour, and the hint U-Net follows.
 *
 * The picture's colorization is infer.colorize's (ColorizeMath.colorize of colorize_photo.js,
 * loaded first) with the hint U-Net's two more inputs, built as hints.py builds them:
 *   - a hint at a point (x, y) of a W x H picture sits on the working size's grid at
 *     (floor(y s / H), floor(x s / W)) (hints.on_grid);
 *   - it covers a PATCH x PATCH square there, cut at the border; where squares overlap their
 *     colours are averaged (hints.maps); hint_ab = ab / 110 under them, 0 elsewhere; the mask
 *     is 1 under them;
 *   - a colour "#rrggbb" gives its (a, b) in color.py's Lab; the lightness stays the picture's.
 * Hints can be added (click), moved (drag one), recoloured (pick a colour while one is chosen),
 * removed (its button, or all at once), saved as the hints file `colorize --hints` reads, and
 * loaded from one. Nothing leaves the browser. MIT, as the project.
 */
(function (global) {
  "use strict";

  const PATCH = 3; // hints.PATCH
  const GRAB = 0.04; // a press this close to a hint (share of the picture's width) grabs it
  const STILL = 4; // a pointer that moved less than this (screen pixels) clicked, not dragged

  /** hints.on_grid + hints.maps: hints [{x, y, color}] of a w x h picture -> the network's
   * hint_ab [s*s*2] (ab / abScale, 0 where no hint) and hint_mask [s*s]. */
  function hintMaps(hints, w, h, s, abScale, hexToAb) {
    const total = new Float32Array(s * s * 2), cover = new Float32Array(s * s);
    const r = PATCH >> 1;
    for (const hint of hints) {
      const gy = Math.floor((hint.y * s) / h), gx = Math.floor((hint.x * s) / w);
      const [a, b] = hexToAb(hint.color);
      for (let y = Math.max(gy - r, 0); y <= Math.min(gy + r, s - 1); y++) {
        for (let x = Math.max(gx - r, 0); x <= Math.min(gx + r, s - 1); x++) {
          total[2 * (y * s + x)] += a / abScale;
          total[2 * (y * s + x) + 1] += b / abScale;
          cover[y * s + x] += 1;
        }
      }
    }
    const mask = new Float32Array(s * s);
    for (let p = 0; p < s * s; p++) {
      if (cover[p] > 0) {
        total[2 * p] /= cover[p];
        total[2 * p + 1] /= cover[p];
        mask[p] = 1;
      }
    }
    return { hintAb: total, mask };
  }

  function mount(id, config) {
    const root = document.getElementById(id);
    const $ = (sel) => root.querySelector(sel);
    const status = $(".hp-status");
    const M = global.ColorizeMath;
    const say = (text, error = false) => {
      status.textContent = text;
      status.classList.toggle("hp-error", error);
    };
    if (typeof global.ort === "undefined" || !M) {
      say("The in-browser runtime did not load: the page cannot colorize.", true);
      root.dataset.state = "error";
      return;
    }
    global.ort.env.wasm.numThreads = 1;
    global.ort.env.wasm.wasmPaths = new URL(config.runtime, document.baseURI).href;
    const model = config.model; // {url, size, inputs: [L, hint_ab, hint_mask], output, scales}
    const s = model.size;
    const canvas = $(".hp-canvas");
    let net = null, picture = null, hints = [], chosen = -1, busy = false, again = false;
    const timings = [];

    function draw(rgba, shown, marks) {
      canvas.width = shown.w;
      canvas.height = shown.h;
      const ctx = canvas.getContext("2d");
      ctx.putImageData(new ImageData(rgba, shown.w, shown.h), 0, 0);
      const side = Math.max(6, (shown.w / s) * PATCH);
      marks.forEach((h, i) => {
        ctx.fillStyle = h.color;
        ctx.fillRect(h.x - side / 2, h.y - side / 2, side, side);
        ctx.lineWidth = Math.max(1, shown.w / 256);
        ctx.strokeStyle = i === chosen ? "#000" : "#fff";
        ctx.strokeRect(h.x - side / 2, h.y - side / 2, side, side);
      });
      root.lastRgba = rgba; // the colorization without the marks (read by the browser test)
    }

    function list() {
      const items = hints.map((h, i) => {
        const li = document.createElement("li");
        const sw = document.createElement("span");
        sw.style.cssText = `display:inline-block;width:1em;height:1em;background:${h.color};vertical-align:middle;`;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "remove";
        remove.className = "hp-remove";
        remove.onclick = () => {
          hints.splice(i, 1);
          chosen = -1;
          changed();
        };
        li.append(sw, ` ${h.color} at (${Math.round(h.x)}, ${Math.round(h.y)}) `, remove);
        if (i === chosen) li.style.fontWeight = "bold";
        return li;
      });
      $(".hp-list").replaceChildren(...items);
      $(".hp-save").hidden = !hints.length;
    }

    /** Colorize with the current hints; one update at a time, the latest state wins. */
    async function update() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      root.dataset.state = "working";
      try {
        do {
          again = false;
          const t0 = performance.now();
          const shown = picture, marks = hints.map((h) => ({ ...h })); // this pass's state
          const { hintAb, mask } = hintMaps(marks, shown.w, shown.h, s, model.scales.ab, M.hexToAb);
          const predict = async (Lnorm) => {
            const [nL, nHab, nMask] = model.inputs;
            const feeds = {
              [nL]: new global.ort.Tensor("float32", Lnorm, [1, s, s, 1]),
              [nHab]: new global.ort.Tensor("float32", hintAb, [1, s, s, 2]),
              [nMask]: new global.ort.Tensor("float32", mask, [1, s, s, 1]),
            };
            return (await net.run(feeds))[model.output].data;
          };
          const done = await M.colorize(shown.rgba, shown.w, shown.h, s, predict, model.scales);
          if (again) continue; // the picture or the hints changed meanwhile: the latest wins
          draw(done.rgba, shown, marks);
          list();
          const ms = performance.now() - t0;
          timings.push(ms);
          root.hintTimings = timings; // read by benchmarks/bench_hints_page.py
          say(
            `${marks.length} hint${marks.length === 1 ? "" : "s"}: colorized ` +
              `${shown.w}x${shown.h} in ${Math.round(ms)} ms. Click to add a hint, drag one ` +
              "to move it, click one to choose it."
          );
        } while (again);
        root.dataset.state = "ready";
      } catch (err) {
        say(`Could not colorize: ${err.message || err}.`, true);
        root.dataset.state = "error";
      } finally {
        busy = false;
      }
    }

    function changed() {
      list();
      update();
    }

    /** A hint at (x, y) of the picture, in its pixels (the test and the clicks use it). */
    function add(x, y, color) {
      if (!picture) return false;
      if (!(x >= 0 && x < picture.w && y >= 0 && y < picture.h)) {
        say(`(${Math.round(x)}, ${Math.round(y)}) is outside the ${picture.w}x${picture.h} picture: click on it.`, true);
        return false;
      }
      hints.push({ x, y, color: color || $(".hp-color").value });
      chosen = -1; // a new hint is not chosen: the next colour is for the next hint
      changed();
      return true;
    }

    function at(event) {
      const box = canvas.getBoundingClientRect();
      return [
        ((event.clientX - box.left) / box.width) * picture.w,
        ((event.clientY - box.top) / box.height) * picture.h,
      ];
    }

    function nearest(x, y) {
      let best = -1, dist = GRAB * picture.w;
      hints.forEach((h, i) => {
        const d = Math.hypot(h.x - x, h.y - y);
        if (d <= dist) [best, dist] = [i, d];
      });
      return best;
    }

    let press = null; // {clientX, clientY, hint}: where the pointer went down, on which hint
    canvas.addEventListener("pointerdown", (e) => {
      if (!picture || !net) return;
      canvas.setPointerCapture(e.pointerId); // a drag that leaves the picture still ends here
      press = { clientX: e.clientX, clientY: e.clientY, hint: nearest(...at(e)) };
    });
    canvas.addEventListener("pointerup", (e) => {
      if (!press) return;
      const { clientX, clientY, hint } = press;
      press = null;
      const [x, y] = at(e);
      if (Math.hypot(e.clientX - clientX, e.clientY - clientY) < STILL) {
        if (hint >= 0) {  // a click on a hint chooses it (its colour follows the picker)
          chosen = hint;
          return changed();
        }
        chosen = -1;
        return add(x, y);
      }
      if (hint < 0) return; // a drag from nowhere
      if (!(x >= 0 && x < picture.w && y >= 0 && y < picture.h)) {
        return say("A hint cannot leave the picture: drop it on the picture.", true);
      }
      [hints[hint].x, hints[hint].y] = [x, y];
      chosen = hint;
      changed();
    });
    $(".hp-color").addEventListener("input", (e) => {
      if (chosen >= 0 && hints[chosen]) {
        hints[chosen].color = e.target.value;
        changed();
      }
    });
    $(".hp-clear").addEventListener("click", () => {
      hints = [];
      chosen = -1;
      changed();
    });

    async function use(blob, name) {
      let bitmap;
      try {
        bitmap = await createImageBitmap(blob, {
          colorSpaceConversion: "none",
          imageOrientation: "from-image",
          premultiplyAlpha: "none",
        });
      } catch (err) {
        say(`${name} is not a picture this browser can read: choose a JPEG, PNG or WebP.`, true);
        return;
      }
      const c = document.createElement("canvas");
      [c.width, c.height] = [bitmap.width, bitmap.height];
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.drawImage(bitmap, 0, 0);
      picture = { w: c.width, h: c.height, rgba: ctx.getImageData(0, 0, c.width, c.height).data, name };
      hints = [];
      chosen = -1;
      changed();
    }

    $(".hp-file").addEventListener("change", (e) => {
      const file = e.target.files[0];
      e.target.value = "";
      if (file && net) use(file, file.name);
      else if (file) say("The hint U-Net is still loading: choose the photo again in a moment.", true);
    });
    $(".hp-sample").addEventListener("click", async () => {
      if (net) use(await (await fetch(config.sample.url)).blob(), config.sample.name);
    });
    $(".hp-save").addEventListener("click", () => {
      const data = { hints: hints.map((h) => ({ x: h.x, y: h.y, color: h.color })) };
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: "application/json" }));
      a.download = `${(picture.name || "picture").replace(/\.[^.]*$/, "")}-hints.json`;
      a.click();
    });
    $(".hp-load").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      e.target.value = "";
      if (!file || !picture) return;
      try {
        const data = JSON.parse(await file.text());
        if (!data || !Array.isArray(data.hints)) throw new Error("it has no list of hints");
        const loaded = data.hints.map((h, i) => {
          const x = Number(h.x), y = Number(h.y);
          if (!/^#[0-9a-fA-F]{6}$/.test(String(h.color))) throw new Error(`hint ${i + 1}: color is not #rrggbb`);
          if (!(x >= 0 && x < picture.w && y >= 0 && y < picture.h)) {
            throw new Error(`hint ${i + 1}: (${h.x}, ${h.y}) is outside the ${picture.w}x${picture.h} picture`);
          }
          return { x, y, color: String(h.color).toLowerCase() };
        });
        hints = loaded;
        chosen = -1;
        changed();
      } catch (err) {
        say(`${file.name} is not a hints file this page can use (${err.message}): ` +
          'write {"hints": [{"x": 120, "y": 80, "color": "#b07cd8"}]}.', true);
      }
    });

    root.hintPage = { add, hints: () => hints.slice(), clear: () => { hints = []; changed(); } };
    say("Loading the hint U-Net ...");
    global.ort.InferenceSession.create(model.url, { executionProviders: ["wasm"] }).then(
      async (session) => {
        net = session;
        await use(await (await fetch(config.sample.url)).blob(), config.sample.name);
      },
      (err) => {
        say(`The hint U-Net could not be loaded: ${err.message || err}.`, true);
        root.dataset.state = "error";
      }
    );
  }

  global.HintPage = { mount, hintMaps };
})(typeof window !== "undefined" ? window : globalThis);
