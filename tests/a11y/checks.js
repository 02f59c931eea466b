/* The MIIT elder-interface rules (《移动互联网应用（APP）适老化通用设计规范》 and the web
 * counterpart) as the suite checks them on a rendered page, beside axe-core:
 *   text      every visible text at least 18 px (大字模式 / html.elder: 22 px)
 *   line      line height at least 1.3 times the font size
 *   target    every control (link, button, field, summary) at least 44×44 px (大字模式: 60×60);
 *             a link inside running text is exempt, as in WCAG 2.5.8
 *   entry     an obvious 长辈版 entry at the top of the page (the toolbar's toggle)
 *   timed     no timed step: no <meta http-equiv=refresh>
 * Contrast (at least 4.5:1 for all text, large text included) is axe's color-contrast rule with
 * that ratio (tests/a11y/sweep.py). Returns a list of {rule, where, detail}.
 */
window.__linliElderChecks = function (elder) {
  "use strict";
  var MIN_TEXT = elder ? 22 : 18, MIN_TARGET = elder ? 60 : 44, MIN_LINE = 1.3;
  var found = [];
  function where(el) {
    var parts = [];
    for (var n = el; n && n.nodeType === 1 && parts.length < 4; n = n.parentElement) {
      var bit = n.tagName.toLowerCase();
      if (n.id) { bit += "#" + n.id; parts.unshift(bit); break; }
      if (n.classList.length) bit += "." + Array.prototype.join.call(n.classList, ".");
      parts.unshift(bit);
    }
    return parts.join(" > ");
  }
  function visible(el) {
    if (!el.getClientRects().length) return false;
    var s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none" || parseFloat(s.opacity) === 0) return false;
    // visually-hidden text (clip, 1 px box) is for screen readers, not for reading
    var r = el.getBoundingClientRect();
    return r.width > 2 && r.height > 2;
  }
  function skipped(el) {
    return !!el.closest(".skip, .visually-hidden, option, script, style, noscript, [hidden], [aria-hidden=true]");
  }

  // text and line height, element by element that holds visible text
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var seen = new Set();
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.nodeValue.trim()) continue;
    var el = node.parentElement;
    if (!el || seen.has(el) || skipped(el) || !visible(el)) continue;
    seen.add(el);
    var s = getComputedStyle(el), size = parseFloat(s.fontSize);
    if (size < MIN_TEXT - 0.01) {
      found.push({ rule: "text", where: where(el), detail: size + "px: " + node.nodeValue.trim().slice(0, 30) });
    }
    var line = s.lineHeight === "normal" ? 1.2 * size : parseFloat(s.lineHeight);
    if (line / size < MIN_LINE - 0.001) {
      found.push({ rule: "line", where: where(el), detail: (line / size).toFixed(2) + ": " + node.nodeValue.trim().slice(0, 30) });
    }
  }

  // tap targets
  function inRunningText(a) {
    if (a.tagName !== "A" || getComputedStyle(a).display !== "inline") return false;
    var p = a.parentElement;
    return Array.prototype.some.call(p.childNodes, function (n) {
      return n !== a && ((n.nodeType === 3 && n.nodeValue.trim()) || (n.nodeType === 1 && n.tagName !== "A" && n.textContent.trim()));
    });
  }
  var controls = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary");
  Array.prototype.forEach.call(controls, function (el) {
    if (skipped(el) || !visible(el) || inRunningText(el)) return;
    var r = el.getBoundingClientRect();
    if (r.width < MIN_TARGET - 0.5 || r.height < MIN_TARGET - 0.5) {
      found.push({ rule: "target", where: where(el), detail: Math.round(r.width) + "x" + Math.round(r.height) + ": " + (el.textContent || el.name || el.type || "").trim().slice(0, 30) });
    }
  });

  // the 长辈版 entry
  var toggle = document.querySelector(".toolbar .toggle");
  if (!toggle || !visible(toggle)) {
    found.push({ rule: "entry", where: "body", detail: "no elder-mode toggle in the toolbar" });
  } else {
    var top = toggle.getBoundingClientRect().top + window.scrollY;
    if (top > 300) found.push({ rule: "entry", where: where(toggle), detail: "toggle " + Math.round(top) + "px down the page" });
    if (!elder && toggle.textContent.indexOf("长辈版") < 0) found.push({ rule: "entry", where: where(toggle), detail: "toggle says " + toggle.textContent.trim() });
  }

  if (document.querySelector("meta[http-equiv=refresh i]")) {
    found.push({ rule: "timed", where: "head", detail: "meta refresh" });
  }
  return found;
};
