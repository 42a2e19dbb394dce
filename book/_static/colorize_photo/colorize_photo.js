/* "Colorize your own photo": the book's U-Net and GAN run in the reader's browser.
 *
 * The same steps as colorize_lib/infer.py (`infer.colorize`), with the same numbers:
 *   1. L of the photo at full resolution (color.py: sRGB -> linear -> Y -> L, D65);
 *   2. L shrunk to the network's working size with Pillow's Lanczos filter (pictures.resize);
 *   3. the network (ONNX, run by onnxruntime-web in WebAssembly) predicts ab_norm; ab = 110 ab_norm;
 *   4. ab enlarged to the photo's size with Pillow's bicubic filter, next to the photo's own L;
 *   5. Lab -> sRGB with the book's gamut rule (color.lab_to_rgb_keep_L): a colour sRGB cannot
 *      show loses saturation (10 halvings of a bisection), never lightness.
 * Nothing leaves the page: the photo is read with createImageBitmap and never uploaded.
 *
 * A reader may also drop models onto the page: the `.onnx` and `.json` that `export` writes, or
 * one `.zip` of such pairs (`bundle.write`, chapter 6's download). They are checked as
 * `bundle.check` checks them (the JSON's keys, the ONNX file's size and SHA-256), loaded from
 * memory, shown with their cards and used on the next photo, all without leaving the browser.
 *
 * `ColorizeMath` holds the arithmetic (no DOM; Node can load this file to test it) and
 * `ColorizePhoto.mount(id, config)` the page's interface. MIT, as the project.
 */
(function (global) {
  "use strict";

  // ---- color.py's constants ------------------------------------------------------------------
  const XYZ_FROM_RGB = [
    [0.412453, 0.35758, 0.180423],
    [0.212671, 0.71516, 0.072169],
    [0.019334, 0.119193, 0.950227],
  ];
  const RGB_FROM_XYZ = invert3(XYZ_FROM_RGB);
  const WHITE = [0.95047, 1.0, 1.08883];
  const LAB_EPS = 0.008856;
  const LAB_KAPPA = 7.787;
  const LAB_DELTA = 0.2068966;

  function invert3(m) {
    const [a, b, c] = m[0], [d, e, f] = m[1], [g, h, i] = m[2];
    const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
    const det = a * A + b * B + c * C;
    return [
      [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
      [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
      [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
    ];
  }

  const srgbToLinear = (c) => (c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92);
  const linearToSrgb = (c) =>
    c > 0.0031308 ? 1.055 * Math.pow(c, 1 / 2.4) - 0.055 : 12.92 * c;
  const labF = (t) => (t > LAB_EPS ? Math.cbrt(t) : LAB_KAPPA * t + 16 / 116);
  const labFInv = (t) => (t > LAB_DELTA ? t * t * t : (t - 16 / 116) / LAB_KAPPA);

  /** L in [0, 100] of RGBA bytes (infer.lightness): Float32Array [H*W]. */
  function lightness(rgba, n) {
    const lut = new Float64Array(256);
    for (let v = 0; v < 256; v++) lut[v] = srgbToLinear(v / 255);
    const [wr, wg, wb] = XYZ_FROM_RGB[1];
    const L = new Float32Array(n);
    for (let p = 0, q = 0; p < n; p++, q += 4) {
      const y = lut[rgba[q]] * wr + lut[rgba[q + 1]] * wg + lut[rgba[q + 2]] * wb;
      L[p] = 116 * labF(y) - 16;
    }
    return L;
  }

  // ---- Pillow's resampling of float ("F") pictures, as pictures.resize uses it -------------------
  const FILTERS = {
    lanczos: {
      support: 3,
      f(x) {
        if (!(x >= -3 && x < 3)) return 0;
        return sinc(x) * sinc(x / 3);
      },
    },
    bicubic: {
      support: 2,
      f(x) {
        const a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
      },
    },
  };
  function sinc(x) {
    if (x === 0) return 1;
    x *= Math.PI;
    return Math.sin(x) / x;
  }

  /** Pillow's precompute_coeffs (Resample.c): for each output pixel, its first input and weights. */
  function coefficients(inSize, outSize, filter) {
    const scale = inSize / outSize;
    const filterscale = Math.max(scale, 1);
    const support = filter.support * filterscale;
    const out = [];
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      const k = new Float64Array(xmax - xmin);
      let ww = 0;
      for (let x = 0; x < k.length; x++) {
        k[x] = filter.f((x + xmin - center + 0.5) / filterscale);
        ww += k[x];
      }
      if (ww !== 0) for (let x = 0; x < k.length; x++) k[x] /= ww;
      out.push([xmin, k]);
    }
    return out;
  }

  /** A float plane [h*w] resized to [outH*outW] (horizontal pass, then vertical, as Pillow). */
  function resize(src, w, h, outW, outH, method) {
    const filter = FILTERS[method];
    let plane = src, width = w;
    if (outW !== w) {
      const cs = coefficients(w, outW, filter);
      const tmp = new Float32Array(outW * h);
      for (let y = 0; y < h; y++) {
        const row = y * w;
        for (let xx = 0; xx < outW; xx++) {
          const [xmin, k] = cs[xx];
          let ss = 0;
          for (let x = 0; x < k.length; x++) ss += src[row + xmin + x] * k[x];
          tmp[y * outW + xx] = ss;
        }
      }
      plane = tmp;
      width = outW;
    }
    if (outH === h) return plane === src ? Float32Array.from(src) : plane;
    const cs = coefficients(h, outH, filter);
    const out = new Float32Array(outW * outH);
    for (let yy = 0; yy < outH; yy++) {
      const [ymin, k] = cs[yy];
      for (let x = 0; x < width; x++) {
        let ss = 0;
        for (let y = 0; y < k.length; y++) ss += plane[(ymin + y) * width + x] * k[y];
        out[yy * outW + x] = ss;
      }
    }
    return out;
  }

  // ---- Lab -> sRGB with the book's gamut rule (color.lab_to_rgb_keep_L) ---------------------------
  const lin = new Float64Array(3);

  /** Linear RGB of (L, a, b) into `lin`; true when it is a real sRGB colour (color._fits). */
  function labToLinear(L, a, b, tol) {
    const fy = (L + 16) / 116;
    const fzRaw = fy - b / 200;
    const X = labFInv(fy + a / 500) * WHITE[0];
    const Y = labFInv(fy) * WHITE[1];
    const Z = labFInv(Math.max(fzRaw, 0)) * WHITE[2];
    let ok = fzRaw >= 0;
    for (let i = 0; i < 3; i++) {
      const m = RGB_FROM_XYZ[i];
      lin[i] = m[0] * X + m[1] * Y + m[2] * Z;
      ok = ok && lin[i] >= -tol && lin[i] <= 1 + tol;
    }
    return ok;
  }

  /** Full-size L [H*W] and ab planes [H*W] -> RGBA bytes (alpha 255), keeping L. */
  function labToRgba(L, A, B, n, steps = 10, tol = 1e-4) {
    const out = new Uint8ClampedArray(n * 4);
    for (let p = 0, q = 0; p < n; p++, q += 4) {
      const l = L[p], a = A ? A[p] : 0, b = B ? B[p] : 0;
      if (!labToLinear(l, a, b, tol)) {
        let lo = 0, hi = 1;
        for (let s = 0; s < steps; s++) {
          const mid = (lo + hi) / 2;
          if (labToLinear(l, mid * a, mid * b, tol)) lo = mid;
          else hi = mid;
        }
        labToLinear(l, lo * a, lo * b, tol);
      }
      for (let i = 0; i < 3; i++) {
        const c = Math.min(Math.max(lin[i], 0), 1);
        out[q + i] = Math.round(linearToSrgb(c) * 255);
      }
      out[q + 3] = 255;
    }
    return out;
  }

  /** infer.colorize's steps around the network: `predict(L_norm [s*s]) -> ab_norm [s*s*2]`. */
  async function colorize(rgba, w, h, size, predict, scales = { L: 50, ab: 110 }) {
    const L = lightness(rgba, w * h);
    const small = resize(L, w, h, size, size, "lanczos");
    const Lnorm = small.map((v) => v / scales.L - 1);
    const abNorm = await predict(Lnorm);
    const a = new Float32Array(size * size), b = new Float32Array(size * size);
    for (let p = 0; p < size * size; p++) {
      a[p] = abNorm[2 * p] * scales.ab;
      b[p] = abNorm[2 * p + 1] * scales.ab;
    }
    const A = resize(a, size, size, w, h, "bicubic");
    const B = resize(b, size, size, w, h, "bicubic");
    return { rgba: labToRgba(L, A, B, w * h), L };
  }

  /** (a, b) of an sRGB colour "#rrggbb" (color.rgb_to_lab_np; hints.ab_of_hex divides by 110). */
  function hexToAb(hex) {
    const lin = [1, 3, 5].map((i) => srgbToLinear(parseInt(hex.slice(i, i + 2), 16) / 255));
    const f = XYZ_FROM_RGB.map((row, k) => labF((row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]) / WHITE[k]));
    return [500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
  }

  const ColorizeMath = { lightness, resize, labToRgba, colorize, hexToAb, RGB_FROM_XYZ };

  // ---- Models a reader drops: .onnx + .json pairs, or a .zip of them (bundle.py's checks) -------
  const NEEDS = ["working_size", "input", "output", "L_scale", "ab_scale", "bytes"];
  const MAX_MODEL_BYTES = 200e6; // bundle.MAX_MODEL_BYTES
  const isModelFile = (name) => /\.(onnx|json|zip)$/.test(name);
  // bundle._ignored: a Mac's __MACOSX/ and ._NAME copies, hidden files, model cards
  const ignored = (name) =>
    name.split("/").includes("__MACOSX") || /(^|\/)\./.test(name) || name.endsWith(".card.json");

  class ModelError extends Error {}

  /** The files of a .zip (stored or deflated entries): {name: Uint8Array}. */
  async function unzip(name, buffer) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    let end = -1; // the end-of-central-directory record, searched from the end
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
      if (view.getUint32(i, true) === 0x06054b50) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new ModelError(`${name} is not a readable .zip: download it again`);
    const out = {};
    let p = view.getUint32(end + 16, true), total = 0;
    try {
      for (let k = view.getUint16(end + 10, true); k > 0; k--) {
        if (view.getUint32(p, true) !== 0x02014b50) throw new RangeError("entry");
        const method = view.getUint16(p + 10, true);
        const csize = view.getUint32(p + 20, true);
        if (csize === 0xffffffff) throw new ModelError(`${name} is a zip64 file: zip it again as a plain .zip`);
        total += view.getUint32(p + 24, true); // the entry's size once unpacked
        const n = view.getUint16(p + 28, true);
        const local = view.getUint32(p + 42, true);
        const entry = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + n));
        p += 46 + n + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
        if (total > MAX_MODEL_BYTES) throw new ModelError(`${name} is far larger than a model`);
        if (entry.endsWith("/") || !isModelFile(entry) || ignored(entry)) continue;
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        if (start + csize > bytes.length) throw new RangeError("entry");
        const data = bytes.subarray(start, start + csize);
        if (method === 0) out[entry] = data;
        else if (method === 8) {
          if (typeof DecompressionStream === "undefined") {
            throw new ModelError(`this browser cannot unpack ${name}: unzip it and drop its .onnx and .json`);
          }
          const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
          out[entry] = new Uint8Array(await new Response(stream).arrayBuffer());
        } else {
          throw new ModelError(`${name}: ${entry} is compressed in a way the page cannot read; unzip it and drop the files`);
        }
      }
    } catch (err) {
      if (err instanceof ModelError) throw err;
      throw new ModelError(`${name} is a damaged .zip: download it again`);
    }
    return out;
  }

  async function sha256(bytes) {
    if (!global.crypto || !global.crypto.subtle) return null; // only in a secure context
    const digest = new Uint8Array(await global.crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The models among dropped files: [{name, info, onnx}] checked as bundle.check does. */
  async function readModels(files) {
    const found = {};
    for (const file of files) {
      const buffer = await file.arrayBuffer();
      if (/\.zip$/.test(file.name)) Object.assign(found, await unzip(file.name, buffer));
      else if (!ignored(file.name)) found[file.name] = new Uint8Array(buffer);
    }
    // as bundle._pairs: PATH/NAME.json with PATH/NAME.onnx, two models of one NAME refused
    const stem = (n) => n.replace(/\.(onnx|json)$/, "");
    const base = (n) => stem(n).replace(/^.*\//, "");
    const jsons = Object.keys(found).filter((n) => n.endsWith(".json"));
    const onnx = {};
    for (const n of Object.keys(found)) if (n.endsWith(".onnx")) onnx[stem(n)] = found[n];
    if (!jsons.length) {
      const lone = Object.keys(onnx).map(base)[0];
      throw new ModelError(
        lone
          ? `${lone}.onnx came without its ${lone}.json: drop both files (or the .zip export wrote)`
          : "no exported model in what was dropped (a NAME.onnx with its NAME.json, or a .zip)"
      );
    }
    const models = [];
    for (const j of jsons) {
      const name = base(j);
      if (models.some((m) => m.name === name)) {
        throw new ModelError(`two models are named ${name}: give each model its own name`);
      }
      let info;
      try {
        info = JSON.parse(new TextDecoder().decode(found[j]));
      } catch (err) {
        throw new ModelError(`${name}.json is not JSON: export the model again`);
      }
      if (!info || typeof info !== "object" || NEEDS.some((k) => !(k in info))) {
        throw new ModelError(
          `${name}.json is not a model description written by the book's export: export the model again`
        );
      }
      if (Array.isArray(info.inputs) && info.inputs.length > 1) {
        throw new ModelError(`${name} is a hint U-Net: use it on chapter 7's page, not here`);
      }
      if (!Number.isInteger(info.bytes) || !Number.isInteger(info.working_size)) {
        throw new ModelError(`${name}.json is damaged (its sizes are not numbers): export it again`);
      }
      const bytes = onnx[stem(j)];
      if (!bytes) throw new ModelError(`${name}.json has no ${name}.onnx beside it: give both files`);
      if (bytes.length !== info.bytes) {
        throw new ModelError(
          `${name}.onnx has ${bytes.length} bytes where ${name}.json says ${info.bytes}: ` +
            "the file is damaged or not the one exported with it; export the model again"
        );
      }
      const digest = info.sha256 ? await sha256(bytes) : null;
      if (digest && digest !== info.sha256) {
        throw new ModelError(
          `${name}.onnx does not have the SHA-256 its JSON gives: the file is damaged; download or export it again`
        );
      }
      models.push({ name, info, onnx: bytes });
    }
    return models;
  }

  // ---- The page --------------------------------------------------------------------------------
  /** bundle.unique_label: `label`, else `label (2)`, `label (3)`... (gray and original taken). */
  function uniqueLabel(label, taken) {
    const all = new Set([...taken, "gray", "original"]);
    if (!all.has(label)) return label;
    let k = 2;
    while (all.has(`${label} (${k})`)) k++;
    return `${label} (${k})`;
  }

  const now = () => performance.now() / 1000;
  const tick = () => new Promise((r) => setTimeout(r, 0)); // let the status line paint

  function mount(id, config) {
    const root = document.getElementById(id);
    const $ = (sel) => root.querySelector(sel);
    const status = $(".cyp-status");
    const sessions = {};
    const say = (text, error = false) => {
      status.textContent = text;
      status.classList.toggle("cyp-error", error);
    };
    if (typeof global.ort === "undefined") {
      say("The in-browser runtime (ort.wasm.min.js) did not load: the page cannot colorize.", true);
      root.dataset.state = "error";
      return;
    }
    global.ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, rare offline
    global.ort.env.wasm.wasmPaths = new URL(config.runtime, document.baseURI).href;

    const models = config.models.slice(); // the book's, then those the reader drops
    const viewNames = () => ["gray", ...models.map((m) => m.label), "original"];
    let lastFile = null;

    async function session(model) {
      if (!sessions[model.label]) {
        sessions[model.label] = global.ort.InferenceSession.create(model.bytes || model.url, {
          executionProviders: ["wasm"],
        });
      }
      return sessions[model.label];
    }

    function pickers() {
      for (const [side, chosen] of [["before", "gray"], ["after", models[models.length - 1].label]]) {
        const select = $(`.cyp-pick-${side}`);
        const keep = select.value;
        select.replaceChildren(
          ...viewNames().map((v) => {
            const o = document.createElement("option");
            o.textContent = v;
            o.selected = v === (viewNames().includes(keep) && side === "before" ? keep : chosen);
            return o;
          })
        );
      }
    }

    function showCard(label, lines) {
      let box = $(".cyp-cards");
      if (!box) {
        box = document.createElement("div");
        box.className = "cyp-cards";
        $(".cyp-drop").before(box);
      }
      const card = document.createElement("div");
      card.className = "cyp-card";
      card.dataset.label = label;
      const title = document.createElement("b");
      title.textContent = `${label} (your model)`;
      const list = document.createElement("ul");
      for (const line of lines) {
        const li = document.createElement("li");
        li.textContent = line;
        list.append(li);
      }
      card.append(title, list);
      box.append(card);
    }

    /** Dropped model files: checked, loaded from memory, shown with their cards. */
    async function addModels(files) {
      root.dataset.state = "working";
      say("Reading the model files ...");
      await tick();
      const added = [];
      try {
        const ready = [];
        for (const { name, info, onnx } of await readModels(files)) {
          const label = uniqueLabel(String(info.label || name), [
            ...models.map((m) => m.label),
            ...ready.map((r) => r.model.label),
          ]);
          const model = {
            label,
            bytes: onnx,
            size: info.working_size,
            input: info.input,
            output: info.output,
            scales: { L: info.L_scale, ab: info.ab_scale },
          };
          let net;
          try {
            net = await session(model);
          } catch (err) {
            delete sessions[label];
            throw new ModelError(`${name}.onnx could not be loaded by the runtime: export it again`);
          }
          if (!net.inputNames.includes(model.input) || !net.outputNames.includes(model.output)) {
            delete sessions[label];
            throw new ModelError(
              `${name}.onnx does not have the input and output its JSON names: export the model again`
            );
          }
          ready.push({ model, lines: info.card_lines });
        }
        for (const { model, lines } of ready) {  // all of them, or none
          models.push(model);
          showCard(model.label, lines || ["what it learned from was not recorded"]);
          added.push(model.label);
        }
        pickers();
        root.dataset.state = "ready";
        say(`Added ${added.join(", ")}: it colorizes the next photo beside the others.`);
        if (lastFile) await attempt(lastFile);
      } catch (err) {
        say(err instanceof ModelError ? err.message : `Could not read the model: ${err.message || err}`, true);
        root.dataset.state = "error";
      }
    }

    async function decode(file) {
      try {
        return await createImageBitmap(file, {
          colorSpaceConversion: "none", // the file's own values, as Pillow reads them
          imageOrientation: "from-image", // EXIF orientation, as pictures.read
          premultiplyAlpha: "none",
        });
      } catch (err) {
        return null;
      }
    }

    function toCanvas(rgba, w, h) {
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      canvas.getContext("2d").putImageData(new ImageData(rgba, w, h), 0, 0);
      return canvas;
    }

    async function run(file) {
      root.dataset.state = "working";
      $(".cyp-results").hidden = true;
      const t0 = now();
      say(`Reading ${file.name} ...`);
      await tick();
      const bitmap = await decode(file);
      if (!bitmap) {
        say(
          `${file.name} is not a picture this browser can read (${file.type || "unknown type"}): ` +
            "choose a JPEG, PNG, WebP or GIF photo.",
          true
        );
        root.dataset.state = "error";
        return;
      }
      const w = bitmap.width, h = bitmap.height;
      const canvas = toCanvas(new Uint8ClampedArray(w * h * 4), w, h);
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent parts on white, as pictures.read
      ctx.fillRect(0, 0, w, h);
      ctx.drawImage(bitmap, 0, 0);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      const views = { original: canvas };
      const timings = { decode: now() - t0 };
      let L = null;
      for (const model of models) {
        say(`${model.label}: loading the network and colorizing ${w}x${h} ...`);
        await tick();
        const t1 = now();
        const net = await session(model);
        const t2 = now();
        let netSeconds = 0;
        const predict = async (Lnorm) => {
          const s = model.size, t = now();
          const input = new global.ort.Tensor("float32", Lnorm, [1, s, s, 1]);
          const result = await net.run({ [model.input]: input });
          netSeconds = now() - t;
          return result[model.output].data;
        };
        const done = await colorize(rgba, w, h, model.size, predict, model.scales);
        L = done.L;
        views[model.label] = toCanvas(done.rgba, w, h);
        timings[model.label] = { load: t2 - t1, network: netSeconds, total: now() - t1 };
      }
      views.gray = toCanvas(labToRgba(L, null, null, w * h), w, h);
      timings.total = now() - t0;
      show(views, file.name.replace(/\.[^.]*$/, ""), w, h);
      root.colorizeTimings = timings; // read by benchmarks/bench_browser.py
      const parts = models.map((m) => `${m.label} ${timings[m.label].total.toFixed(2)} s`);
      say(`${w}x${h} colorized in ${timings.total.toFixed(2)} s (${parts.join(", ")}).`);
      root.dataset.state = "done";
    }

    function show(views, stem, w, h) {
      const strip = $(".cyp-views");
      if (strip.children.length) {
        // the picture before stays below, so a photo and one of the models' own world can be
        // compared side by side
        const before = document.createElement("div");
        before.className = "cyp-views";
        before.append(...strip.childNodes);
        const title = document.createElement("p");
        title.textContent = `Before: ${strip.dataset.stem}`;
        $(".cyp-previous").replaceChildren(title, before);
      }
      strip.dataset.stem = stem;
      strip.replaceChildren();
      for (const name of viewNames()) {
        const fig = document.createElement("figure");
        views[name].dataset.view = name;
        fig.append(views[name]);
        const cap = document.createElement("figcaption");
        cap.textContent = name;
        fig.append(cap);
        strip.append(fig);
      }
      const links = $(".cyp-downloads");
      links.replaceChildren("Download: ");
      for (const model of models) {
        views[model.label].toBlob((blob) => {
          const a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = `${stem}-${model.label.toLowerCase().replace(/[^a-z0-9]+/g, "")}.png`;
          a.textContent = `${model.label} result (${w}x${h} PNG) `;
          links.append(a);
        }, "image/png");
      }
      const wipe = () => {
        for (const side of ["before", "after"]) {
          const target = $(`.cyp-wipe-${side}`);
          const src = views[$(`.cyp-pick-${side}`).value];
          target.width = w;
          target.height = h;
          target.getContext("2d").drawImage(src, 0, 0);
        }
      };
      $(".cyp-pick-before").onchange = wipe;
      $(".cyp-pick-after").onchange = wipe;
      wipe();
      $(".cyp-results").hidden = false;
    }

    async function attempt(file) {
      lastFile = file;
      try {
        await run(file);
      } catch (err) {
        const where =
          location.protocol === "file:"
            ? " Opened as a file, the browser does not let the page load the runtime's" +
              " WebAssembly and the models: serve the book (python -m http.server in" +
              " _build/html) and open it from http://127.0.0.1:8000/."
            : "";
        say(`Could not colorize ${file.name}: ${err.message || err}.${where}`, true);
        root.dataset.state = "error";
      }
    }

    /** Files picked or dropped: model files are added first, then the first photo colorized. */
    async function take(list) {
      if (root.dataset.state === "working") {
        say("The page is still working: drop it again in a moment.", false);
        return;
      }
      const files = Array.from(list);
      const modelFiles = files.filter((f) => isModelFile(f.name));
      const photo = files.find((f) => !isModelFile(f.name));
      if (modelFiles.length) {
        if (photo) lastFile = photo;
        await addModels(modelFiles);
      } else if (photo) await attempt(photo);
    }

    const input = $(".cyp-file");
    input.addEventListener("change", () => {
      const files = Array.from(input.files);
      input.value = ""; // so that picking the same photo again colorizes it again
      take(files);
    });
    const drop = $(".cyp-drop");
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("cyp-over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("cyp-over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("cyp-over");
      take(e.dataTransfer.files);
    });
    const sample = $(".cyp-sample");
    if (sample && config.sample) {
      sample.addEventListener("click", async () => {
        try {
          const blob = await (await fetch(config.sample.url)).blob();
          attempt(new File([blob], config.sample.name, { type: blob.type || "image/png" }));
        } catch (err) {
          say(`Could not read the picture of the models' world: ${err.message || err}.`, true);
        }
      });
    }
    $(".cyp-range").addEventListener("input", (e) => {
      $(".cyp-wipe-before").style.clipPath = `inset(0 ${100 - e.target.value}% 0 0)`;
    });
    root.dataset.state = "ready";
    say("Pick or drop a photo: it stays on your computer.");
  }

  global.ColorizeMath = ColorizeMath;
  global.ColorizePhoto = { mount, readModels };
  if (typeof module !== "undefined" && module.exports) module.exports = ColorizeMath;
})(typeof window !== "undefined" ? window : globalThis);
