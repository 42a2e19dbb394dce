/*
 * The ipywidgets HTML manager (embed.js, @jupyter-widgets/html-manager 1.0.15) typesets widget
 * labels with the MathJax 2 API, `MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])`.
 * The book loads MathJax 3, which has no `Hub`: on a page with both math and widgets that call
 * throws and can stop a widget from finishing its rendering. This file, loaded before both,
 * gives whatever object ends up in `window.MathJax` (the configuration, then MathJax 3 itself)
 * a small `Hub` that forwards to MathJax 3's `typesetPromise`. Pages without math are untouched.
 */
(function () {
  "use strict";
  var hub = {
    Queue: function (job) {
      var mj = window.MathJax;
      var element = job && job[2];
      if (!element || !mj || typeof mj.typesetPromise !== "function") return;
      var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
      ready.then(function () { return mj.typesetPromise([element]); }).catch(function () {});
    },
  };
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      try { Object.defineProperty(value, "Hub", { value: hub, enumerable: false, configurable: true }); } catch (e) { /* frozen */ }
    }
    return value;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
})();
