// The desk's own script: live updates (one EventSource per tab), the unread count in the title
// and its sound, and the composer (Ctrl/⌘+Enter, IME, "/" templates, SMS counter, typing).
// No build step; htmx does the rest.
(function () {
  "use strict";
  // Error answers (4xx/5xx) carry a message the page should show (the server retargets it
  // to #flash); 204 means nothing to swap.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ];

  var body = document.body;
  var csrf = "";
  try { csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) {}

  // ---- live updates ----
  // A page kept in the back/forward cache would keep its stream's connection, and a browser
  // allows six per host: after a few pages the next navigation waits for one. So the stream
  // closes when the page is hidden and opens again if the page comes back.
  var live = body.dataset.live;
  var es = null;
  function openLive() {
    if (!live || !window.EventSource || es) return;
    es = new EventSource(live);
    ["inbox", "thread", "conv", "modems"].forEach(function (name) {
      es.addEventListener(name, function () {
        body.dataset.liveEvents = String((parseInt(body.dataset.liveEvents, 10) || 0) + 1);
        htmx.trigger(body, "desk:" + name);
      });
    });
    es.addEventListener("presence", function (e) {
      var p = document.getElementById("presence");
      if (p) { try { p.textContent = JSON.parse(e.data); } catch (x) {} }
    });
    es.onopen = function () { body.dataset.liveReady = "1"; };
  }
  window.addEventListener("pagehide", function () {
    if (es) { es.close(); es = null; }
    body.dataset.liveReady = "";
  });
  window.addEventListener("pageshow", openLive);
  openLive();

  // ---- unread count in the title, and the optional sound ----
  var baseTitle = document.title;
  var lastUnread = null;
  var soundBox = document.getElementById("sound-toggle");
  if (soundBox) {
    soundBox.checked = localStorage.getItem("desk-sound") === "1";
    soundBox.addEventListener("change", function () {
      localStorage.setItem("desk-sound", soundBox.checked ? "1" : "0");
    });
  }
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.05;
      o.connect(g); g.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.15);
    } catch (e) {}
  }
  function updateTitle() {
    var list = document.querySelector(".convs[data-unread]");
    if (!list) return;
    var n = parseInt(list.dataset.unread, 10) || 0;
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
    if (lastUnread !== null && n > lastUnread && soundBox && soundBox.checked) beep();
    lastUnread = n;
  }

  // ---- the composer ----
  var composing = false;
  var lastTyping = 0;
  function convId() {
    var page = document.querySelector("[data-conv]");
    return page ? page.dataset.conv : null;
  }
  function menuItems(text) {
    var menu = document.getElementById("tpl-menu");
    if (!menu) return [];
    var m = /^\/(\S*)$/.exec(text);
    var shown = [];
    menu.querySelectorAll(".tpl").forEach(function (b) {
      var ok = m && b.dataset.name.indexOf(m[1]) === 0;
      b.hidden = !ok;
      if (ok) shown.push(b);
    });
    menu.hidden = shown.length === 0;
    return shown;
  }
  function insertTemplate(button) {
    var ta = document.getElementById("text");
    if (!ta) return;
    ta.value = button.dataset.body;
    menuItems("");
    if (ta.smsUpdate) ta.smsUpdate();
    ta.focus();
  }
  function setup(root) {
    var ta = root.querySelector ? root.querySelector("#text") : null;
    var out = root.querySelector ? root.querySelector("#counter") : null;
    if (ta && out && window.attachSmsCounter) ta.smsUpdate = window.attachSmsCounter(ta, out);
    updateTitle();
  }
  htmx.onLoad(setup);

  // The character that forced UCS-2 (70 characters a part instead of 160), marked in its
  // context below the text, so it can be replaced with a GSM one.
  document.addEventListener("sms-count", function (e) {
    var box = document.getElementById("forced");
    if (!box) return;
    var f = e.detail && e.detail.forcedBy;
    if (!f) { box.hidden = true; box.textContent = ""; return; }
    var chars = Array.from(e.target.value);
    var from = Math.max(0, f.index - 12);
    box.textContent = "";
    box.appendChild(document.createTextNode((from > 0 ? "…" : "") + chars.slice(from, f.index).join("")));
    var mark = document.createElement("mark");
    mark.textContent = f.char;
    box.appendChild(mark);
    box.appendChild(document.createTextNode(chars.slice(f.index + 1, f.index + 13).join("") +
      (chars.length > f.index + 13 ? "…" : "")));
    box.hidden = false;
  });
  document.addEventListener("compositionstart", function (e) {
    if (e.target.id === "text") composing = true;
  });
  document.addEventListener("compositionend", function (e) {
    if (e.target.id === "text") composing = false;
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".tpl");
    if (b) { e.preventDefault(); insertTemplate(b); }
  });
  document.addEventListener("input", function (e) {
    if (e.target.id !== "text") return;
    menuItems(e.target.value);
    var c = convId();
    var now = Date.now();
    if (c && now - lastTyping > 3000) {
      lastTyping = now;
      fetch("/c/" + encodeURIComponent(c) + "/presence", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
        body: "typing=1",
        credentials: "same-origin",
      }).catch(function () {});
    }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.id === "text") {
      // Enter confirms an IME conversion (kana to kanji): never send then. keyCode 229 is
      // what browsers report for keys the IME consumed.
      if (e.isComposing || composing || e.keyCode === 229) return;
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        var form = document.getElementById("composer");
        if (form && t.value.trim() !== "") htmx.trigger(form, "submit");
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
        var shown = menuItems(t.value);
        if (shown.length > 0) { e.preventDefault(); insertTemplate(shown[0]); }
      }
      return;
    }
    // "c" claims the open thread, unless the key is meant for a field.
    if (e.key === "c" && !e.ctrlKey && !e.metaKey && !e.altKey &&
        !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
      var claim = document.getElementById("claim");
      if (claim) { e.preventDefault(); claim.click(); }
    }
  });
})();
