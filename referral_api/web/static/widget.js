/*
 * Honest Referral support widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-key="pk_…" defer></script>
 * Optional: data-target="#some-element" to draw inside that element (default: after the tag);
 * data-contact="https://…/contact" (or mailto:/tel:) and data-contact-text="Chat with us" for
 * the way to reach a person it offers when nothing fits (default text: "Talk to a person").
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
  var ENDPOINT = API + "/v1/recommendations";
  var CONTACT = contactUrl(script.getAttribute("data-contact"));
  var CONTACT_TEXT = script.getAttribute("data-contact-text") || "Talk to a person";
  // for the developer embedding it: one line saying what to check (a customer sees none of it)
  var KEY_HELP = "Check that data-key is an active publishable key (pk_…) with scope recommend, " +
    "and that this page's origin (" + location.origin + ") is among the key's allowed origins " +
    "(referral keys create --publishable --origins " + location.origin + "); the service's own " +
    "host must also be in its REFERRAL_ALLOWED_HOSTS setting.";
  var SHOWN = 3;
  var TIMEOUT_MS = 15000;
  var MESSAGES = {
    busy: "We are answering a lot of questions right now. Please try again in a minute.",
    offline: "Sorry, we could not reach our advisor just now. Please try again in a moment.",
    unclear: "We could not understand that request. Please describe what you need in a few words.",
    setup: "Sorry, this help box is not available on this page right now.",
    none: "Nothing we know of fits all of that.",
    relax: "Here is what would change that:",
    person: "A person on our team can look at your case with you."
  };
  var RELATED = {
    own: "Our own product",
    partner: "A partner's product",
    competitor: "A competitor's product",
    other: "An independent option"
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
    "ul { margin: 4px 0; padding-left: 18px; }",
    "ul li { border: 0; padding: 1px 0; }",
    ".caveat { color: #7a4a00; }",
    ".disclosure { margin: 6px 0 0; font-size: 13px; color: #2e3a48; border-left: 4px solid #2e3a48;",
    "  padding: 1px 0 1px 8px; }",
    ".disclosure.own { border-color: #1a56b8; } .disclosure.partner { border-color: #6b3fa0; }",
    ".disclosure.fee { border-color: #9a3b00; } .disclosure.other { border-color: #236b63; }",
    ".relax-detail { margin: 0 0 4px; font-weight: 600; }",
    ".admitted { margin: 8px 0 0; }",
    ".contact { margin: 10px 0 0; padding: 10px; background: #f3f5f8; border-radius: 6px; }",
    ".contact a { font-weight: 700; color: #1a56b8; }",
    ".note { color: #5a6473; font-size: 12px; margin: 8px 0 0; }"
  ].join("\n");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function contactUrl(value) {
    if (!value) return null;
    try {
      var url = new URL(String(value), document.baseURI);
      return /^(https?|mailto|tel):$/.test(url.protocol) ? url.href : null;
    } catch (e) {
      return null;
    }
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

  var extra = el("div", "extra");  // what to do when nothing fits

  box.appendChild(form);
  box.appendChild(status);
  box.appendChild(list);
  box.appendChild(extra);
  box.appendChild(note);
  root.appendChild(box);
  if (!KEY) developerError("no data-key on its script tag. " + KEY_HELP);

  // --- asking ---------------------------------------------------------------------------------
  function say(text, problem) {
    status.textContent = text;
    status.className = problem ? "status problem" : "status";
  }

  function developerError(what) {
    if (window.console && typeof console.error === "function") {
      console.error("Honest Referral widget: " + what);
    }
  }

  // One clear disclosure per offering, in words a customer cannot misread.
  function disclosureLine(disclosure) {
    var relationship = (disclosure && disclosure.relationship) || "other";
    var words = RELATED[relationship] || RELATED.other;
    var tone = relationship === "competitor" ? "" : relationship;
    if (disclosure && disclosure.fee) {
      words += " — we may receive a fee if you choose it";
      tone = "fee";
    } else if (relationship === "own") {
      words += " — we benefit if you choose it";
    } else {
      words += " — we receive nothing for recommending it";
    }
    var line = el("p", "disclosure " + tone, words);
    if (disclosure && disclosure.text) line.title = disclosure.text;
    return line;
  }

  function quoted(words) {
    return words.map(function (w) { return "\u201c" + w + "\u201d"; });
  }

  function joined(items) {
    if (items.length < 2) return items.join("");
    return items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  }

  // Reasons for a customer, in the words they used: what it covers of what they asked for
  // (their own words for each capability), then the requirements it meets. Built from the
  // response's fields; the engine's reasons stay as they are for advocates and the API.
  function customerReasons(fit, body) {
    var said = {};
    var labels = {};
    ((body.interpreted && body.interpreted.capabilities) || []).forEach(function (c) {
      said[c.id] = c.source === "request" ? String(c.label).toLowerCase() : c.matched;
      labels[c.id] = String(c.label).toLowerCase();
    });
    function words(id) { return said[id] || labels[id] || id; }
    var full = [], partly = [], reasons = [];
    (fit.coverage || []).forEach(function (c) {
      var via = c.via ? (labels[c.via] || String(c.via).replace(/-/g, " ")) : "";
      if (c.status === "full") full.push(words(c.capability));
      else if (c.status === "partial") partly.push(words(c.capability));
      else if (c.status === "via-narrower") {
        reasons.push("Handles " + quoted([words(c.capability)])[0] + " through " + via);
      } else if (c.status === "via-broader") {
        reasons.push("Handles " + quoted([words(c.capability)])[0] + " as part of " + via);
      }
    });
    if (partly.length) reasons.unshift("Partly handles " + joined(quoted(partly)));
    if (full.length) {
      var all = full.length === (fit.coverage || []).length && full.length > 1;
      reasons.unshift((all ? "Handles everything you asked for: " : "Handles ") + joined(quoted(full)));
    }
    var met = (fit.constraints || []).filter(function (v) {
      return v.ok && v.hard && String(v.name).indexOf("must_have:") !== 0;
    }).map(function (v) { return v.detail; });
    if (met.length) reasons.push(met.join(" · "));
    if (!reasons.length) reasons.push("The closest match to what you described");
    return reasons.slice(0, 3);
  }

  function offeringName(offering) {
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
    return name;
  }

  function bulletList(items, className) {
    var ul = el("ul", className);
    items.forEach(function (text) { ul.appendChild(el("li", className === "caveats" ? "caveat" : null, text)); });
    return ul;
  }

  function contactBlock() {
    var block = el("p", "contact");
    block.appendChild(document.createTextNode(MESSAGES.person + " "));
    if (CONTACT) {
      var link = el("a", null, CONTACT_TEXT);
      link.href = CONTACT;
      if (/^https?:/.test(CONTACT)) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      block.appendChild(link);
    } else {
      block.appendChild(el("strong", null, CONTACT_TEXT + " through this site's contact page."));
    }
    return block;
  }

  // Nothing fits: what one change would admit (each offering disclosed), and a person to ask.
  function renderNothingFits(body) {
    var relaxations = (body && body.relaxations) || [];
    var known = {};
    ((body && body.rejected) || []).forEach(function (r) { known[r.offering.id] = r; });
    say(relaxations.length ? MESSAGES.none + " " + MESSAGES.relax : MESSAGES.none, false);
    relaxations.forEach(function (relaxation) {
      var item = el("li", "relaxation");
      item.appendChild(el("p", "relax-detail", relaxation.detail));
      var admitted = relaxation.offerings && relaxation.offerings.length
        ? relaxation.offerings
        : (relaxation.admits || []).map(function (id) { return known[id]; }).filter(Boolean);
      admitted.forEach(function (a) {
        var entry = el("div", "admitted");
        entry.appendChild(offeringName(a.offering || {}));
        if (a.offering && a.offering.provider) entry.appendChild(el("span", "by", " by " + a.offering.provider));
        entry.appendChild(disclosureLine(a.disclosure));
        item.appendChild(entry);
      });
      list.appendChild(item);
    });
    extra.appendChild(contactBlock());
  }

  function render(body) {
    list.textContent = "";
    extra.textContent = "";
    var results = (body && body.results) || [];
    if (!results.length) {
      var understood = !body || !body.interpreted || body.interpreted.ask_understood !== false;
      if (understood) {
        renderNothingFits(body);
      } else {
        say(body.summary || MESSAGES.unclear, false);
        extra.appendChild(contactBlock());
      }
      return;
    }
    say("The " + Math.min(results.length, SHOWN) + " best fits for you:", false);
    results.slice(0, SHOWN).forEach(function (fit) {
      var item = el("li");
      var offering = fit.offering || {};
      item.appendChild(offeringName(offering));
      if (offering.provider) item.appendChild(el("span", "by", " by " + offering.provider));
      item.appendChild(bulletList(customerReasons(fit, body), "reasons"));
      var caveats = (fit.caveats || []).slice(0, 2).map(function (c) { return "Worth checking: " + c; });
      if (caveats.length) item.appendChild(bulletList(caveats, "caveats"));
      item.appendChild(disclosureLine(fit.disclosure));
      list.appendChild(item);
    });
  }

  function problemFor(response) {
    if (response.status === 429) return MESSAGES.busy;
    if (response.status === 401 || response.status === 403) return MESSAGES.setup;
    if (response.status >= 400 && response.status < 500) return MESSAGES.unclear;
    return MESSAGES.offline;
  }

  function logFailure(status) {
    var what = "POST " + ENDPOINT + " failed with HTTP " + status + ". ";
    if (status === 401 || status === 403) developerError(what + "The key was refused. " + KEY_HELP);
    else if (status === 429) developerError(what + "Rate limited: the key's requests per minute are used up.");
    else developerError(what + (status >= 500 ? "The service had a problem." : "The request was not accepted."));
  }

  function ask(text) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    submit.disabled = true;
    box.setAttribute("aria-busy", "true");
    list.textContent = "";
    extra.textContent = "";
    say("Looking…", false);
    return fetch(ENDPOINT, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Authorization": "Bearer " + KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ need: text, limit: SHOWN }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        logFailure(response.status);
        say(problemFor(response), true);
        return null;
      }
      return response.json().then(render);
    }).catch(function (error) {
      // network down, refused by CORS (a key refused for this origin looks the same: the
      // browser hides the status), or timed out
      developerError("POST " + ENDPOINT + " failed before an answer could be read (" +
        (error && error.name === "AbortError" ? "timed out" : "network error or refused by CORS") +
        "; no HTTP status is visible). If the service is up, the key was probably refused " +
        "for this origin. " + KEY_HELP);
      say(MESSAGES.offline, true);
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
