/*
 * Honest Referral support widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-key="pk_…" defer></script>
 * Optional: data-target="#some-element" to draw inside that element (default: after the tag).
 *
 * It draws into a shadow root (the host page's styles cannot reach it, its styles cannot
 * leak out), writes every piece of data with textContent (never as markup), uses only a
 * publishable key, and says something friendly when the service is busy or unreachable.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[data-key][src*="widget.js"]');
  if (!script || script.getAttribute("data-honest-referral") === "ready") return;
  script.setAttribute("data-honest-referral", "ready");

  var KEY = script.getAttribute("data-key") || "";
  var API = new URL(script.src, document.baseURI).origin;
  var SHOWN = 3;
  var TIMEOUT_MS = 15000;
  var MESSAGES = {
    busy: "We are answering a lot of questions right now. Please try again in a minute.",
    offline: "Sorry, we could not reach our advisor just now. Please try again in a moment.",
    unclear: "We could not understand that request. Please describe what you need in a few words.",
    setup: "Sorry, this help box is not available on this page right now.",
    none: "Nothing we know of fits all of that. Try fewer requirements, or ask our team."
  };
  var BADGES = {
    own: "Our own product",
    partner: "Partner",
    competitor: "A competitor's product",
    other: "Independent"
  };

  var CSS = [
    ":host { all: initial !important; display: block !important; contain: content; }",
    ".box { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  color: #1c2430; background: #fff; border: 1px solid #cfd6df; border-radius: 10px;",
    "  padding: 14px; max-width: 560px; box-sizing: border-box; text-align: left; }",
    ".box * { box-sizing: border-box; }",
    "label { display: block; font-weight: 700; font-size: 16px; margin: 0 0 6px; }",
    "textarea { display: block; width: 100%; font: inherit; color: inherit; background: #fff;",
    "  border: 1px solid #8e9aaa; border-radius: 6px; padding: 8px; min-height: 64px; resize: vertical; }",
    "button { display: inline-block; margin-top: 8px; font: inherit; font-weight: 700; color: #fff;",
    "  background: #1a56b8; border: 0; border-radius: 6px; padding: 9px 16px; cursor: pointer; min-height: 40px; }",
    "button[disabled] { opacity: .6; cursor: progress; }",
    ":focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }",
    ".status { margin: 10px 0 0; min-height: 1em; }",
    ".status.problem { color: #a3262a; font-weight: 600; }",
    "ol { list-style: none; margin: 10px 0 0; padding: 0; }",
    "li { border-top: 1px solid #e3e8ee; padding: 10px 0; }",
    ".name { font-weight: 700; color: #1a56b8; font-size: 16px; }",
    "span.name { color: #1c2430; }",
    ".by { color: #5a6473; font-size: 13px; }",
    ".reason { margin: 4px 0; }",
    ".disclosure { display: inline-block; margin: 2px 0 0; font-size: 13px; font-weight: 700;",
    "  color: #fff; background: #2e3a48; border-radius: 4px; padding: 2px 8px; }",
    ".disclosure.own { background: #1a56b8; } .disclosure.partner { background: #6b3fa0; }",
    ".disclosure.fee { background: #9a3b00; } .disclosure.other { background: #236b63; }",
    ".disclosure-text { display: block; color: #5a6473; font-size: 13px; margin-top: 2px; }",
    ".note { color: #5a6473; font-size: 12px; margin: 8px 0 0; }"
  ].join("\n");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function webUrl(value) {
    try {
      var url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // --- the box --------------------------------------------------------------------------------
  var host = el("div");
  host.setAttribute("data-honest-referral-widget", "");
  var targetSelector = script.getAttribute("data-target");
  var target = targetSelector ? document.querySelector(targetSelector) : null;
  if (target) target.appendChild(host);
  else script.parentNode.insertBefore(host, script.nextSibling);

  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);  // not an inline <style>: works under the host page's CSP
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", null, CSS));
  }

  var box = el("div", "box");
  var form = el("form");
  var uid = "hr-need-" + Math.random().toString(36).slice(2, 8);
  var label = el("label", null, "What do you need?");
  label.setAttribute("for", uid);
  var need = el("textarea");
  need.id = uid;
  need.name = "need";
  need.required = true;
  need.maxLength = 2000;
  need.rows = 3;
  need.placeholder = "For example: send invoices and take card payments on my phone";
  var submit = el("button", null, "Find the best fit");
  submit.type = "submit";
  form.appendChild(label);
  form.appendChild(need);
  form.appendChild(submit);

  var status = el("p", "status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var list = el("ol");
  list.setAttribute("aria-label", "Best fits");
  var note = el("p", "note",
    "We rank by how well each option fits you, whoever makes it. Each result says how we are related to it.");

  box.appendChild(form);
  box.appendChild(status);
  box.appendChild(list);
  box.appendChild(note);
  root.appendChild(box);

  // --- asking ---------------------------------------------------------------------------------
  function say(text, problem) {
    status.textContent = text;
    status.className = problem ? "status problem" : "status";
  }

  function badge(disclosure) {
    var relationship = disclosure && disclosure.relationship;
    var words = BADGES[relationship] || BADGES.other;
    var tone = relationship === "competitor" ? "" : relationship;
    if (disclosure && disclosure.fee) {
      words += " — we may receive a fee";
      tone = "fee";
    } else if (relationship !== "own") {
      words += " — we receive nothing for it";
    }
    return el("span", "disclosure " + (tone || ""), words);
  }

  function render(body) {
    list.textContent = "";
    var results = (body && body.results) || [];
    if (!results.length) {
      say(body && body.summary ? body.summary : MESSAGES.none, false);
      return;
    }
    say("The " + Math.min(results.length, SHOWN) + " best fits for you:", false);
    results.slice(0, SHOWN).forEach(function (fit) {
      var item = el("li");
      var offering = fit.offering || {};
      var href = webUrl(offering.url);
      var name;
      if (href) {
        name = el("a", "name", offering.name);
        name.href = href;
        name.target = "_blank";
        name.rel = "noopener noreferrer";
      } else {
        name = el("span", "name", offering.name);
      }
      item.appendChild(name);
      if (offering.provider) item.appendChild(el("span", "by", " by " + offering.provider));
      if (fit.reasons && fit.reasons.length) item.appendChild(el("p", "reason", fit.reasons[0]));
      item.appendChild(badge(fit.disclosure));
      if (fit.disclosure && fit.disclosure.text) {
        item.appendChild(el("span", "disclosure-text", fit.disclosure.text));
      }
      list.appendChild(item);
    });
  }

  function problemFor(response) {
    if (response.status === 429) return MESSAGES.busy;
    if (response.status === 401 || response.status === 403) return MESSAGES.setup;
    if (response.status >= 400 && response.status < 500) return MESSAGES.unclear;
    return MESSAGES.offline;
  }

  function ask(text) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    submit.disabled = true;
    box.setAttribute("aria-busy", "true");
    list.textContent = "";
    say("Looking…", false);
    return fetch(API + "/v1/recommendations", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Authorization": "Bearer " + KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ need: text, limit: SHOWN }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        say(problemFor(response), true);
        return null;
      }
      return response.json().then(render);
    }).catch(function () {
      say(MESSAGES.offline, true);  // network down, refused by CORS, or timed out
    }).then(function () {
      if (timer) clearTimeout(timer);
      submit.disabled = false;
      box.removeAttribute("aria-busy");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = need.value.trim();
    if (!text) {
      say("Please tell us what you need first.", true);
      need.focus();
      return;
    }
    ask(text);
  });
})();
