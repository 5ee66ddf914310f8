// Chat widget of the city's service page, on Rasa's socket.io channel (the protocol
// rasa-webchat uses: session_request / session_confirm, user_uttered / bot_uttered).
// The session id and the messages are kept in sessionStorage (this tab only, gone when
// it is closed), so the conversation survives a reload and staff replies pushed during a
// handoff arrive live; "Chat beenden" forgets them at once (shared computers).
// Content is always inserted as text nodes (never innerHTML): it is untrusted.
// Under the latest answer the citizen can rate it (thumbs up/down, optional comment);
// the rating goes to the web app's POST /api/feedback (same origin).
// Accessibility (WCAG 2.1 AA, tests/e2e/test_accessibility.py and test_keyboard.py): the
// messages are a list inside a role=log live region; focus never falls to the page body
// (a control that disappears or is disabled hands it to the input); suggestion buttons
// are disabled once answered; a message in another language than the page gets its lang.
// The language button ("English" / "Deutsch") switches the conversation's language: it
// sends the switch_language intent as a payload, as "English please" does; its label
// follows the language of the latest answer.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || typeof io === "undefined") { return; }
  var rasaUrl = root.getAttribute("data-rasa-url");
  var log = document.getElementById("chat-log");
  var list = document.getElementById("chat-messages") || log;
  var toggle = document.getElementById("chat-toggle");
  var body = document.getElementById("chat-body");
  var pageLang = document.documentElement.lang || "de";
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var status = document.getElementById("chat-status");
  var KEY = "buergerservice-chat-v1";
  try { localStorage.removeItem(KEY); } catch (e) { /* older versions kept it there */ }
  var state = load();
  var waiting = null;

  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (s && Array.isArray(s.messages)) { return s; }
    } catch (e) { /* corrupt storage: start fresh */ }
    return { session: null, messages: [] };
  }
  function save() {
    state.messages = state.messages.slice(-200);
    try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function appendText(parent, text) {
    var parts = String(text).split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var trail = part.match(/[.,;:!?)]+$/);
        var url = trail ? part.slice(0, -trail[0].length) : part;
        var a = document.createElement("a");
        a.href = url; a.textContent = url; a.rel = "noopener noreferrer"; a.target = "_blank";
        parent.appendChild(a);
        if (trail) { parent.appendChild(document.createTextNode(trail[0])); }
      } else {
        part.split("\n").forEach(function (line, j) {
          if (j > 0) { parent.appendChild(document.createElement("br")); }
          parent.appendChild(document.createTextNode(line));
        });
      }
    });
  }

  // Runs a change to the DOM; when it disabled or hid the control that had the focus,
  // the focus moves to the input instead of falling to the page body.
  function keepFocus(change) {
    var before = document.activeElement;
    change();
    if (!before || before === document.body || before === input) { return; }
    var gone = before.disabled || !document.contains(before) || !before.getClientRects().length;
    if (gone || document.activeElement === document.body) { input.focus(); }
  }

  function answered(index) {
    for (var i = index + 1; i < state.messages.length; i++) {
      if (state.messages[i].from === "user") { return true; }
    }
    return false;
  }

  function closeSuggestions(chosen) {
    // once the citizen has answered, older suggestion buttons no longer apply
    Array.prototype.forEach.call(list.querySelectorAll(".buttons button:not([disabled])"), function (b) {
      b.disabled = true;
      if (chosen && b.textContent === chosen) { b.className = "chosen"; b.setAttribute("aria-describedby", "chat-chosen"); }
    });
  }

  function render(msg, live, done) {
    var li = document.createElement("li");
    li.className = "msg " + msg.from + (live ? " new" : "");
    if (msg.lang && msg.lang !== pageLang) { li.setAttribute("lang", msg.lang); }
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = msg.from === "user" ? "Sie: " : (msg.from === "staff" ? "Mitarbeiter/in der Stadt: " : (msg.from === "receipt" ? "Zustellung: " : "Assistent: "));
    li.appendChild(who);
    if (msg.text) { appendText(li, msg.text); }
    if (msg.buttons && msg.buttons.length) {
      var group = document.createElement("div");
      group.className = "buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Antwortvorschläge");
      msg.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.disabled = !!done;
        btn.addEventListener("click", function () { if (!btn.disabled) { send(b.payload, b.title); } });
        group.appendChild(btn);
      });
      li.appendChild(group);
    }
    list.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function add(msg) {
    msg.id = state.seq = (state.seq || 0) + 1;
    state.messages.push(msg); save();
    keepFocus(function () {
      if (msg.from === "user") { closeSuggestions(msg.text); }
      render(msg, true, false);
      showFeedback();
    });
  }

  // --- feedback on the latest answer ---------------------------------------------------
  var feedback = buildFeedback();
  var rating = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function buildFeedback() {
    var box = el("div", { id: "chat-feedback", "class": "feedback", role: "group", "aria-labelledby": "chat-feedback-q", hidden: "" });
    box.appendChild(el("span", { id: "chat-feedback-q", "class": "feedback-q" }, "War diese Antwort hilfreich?"));
    [["1", "Ja, die Antwort war hilfreich", "Ja"], ["-1", "Nein, die Antwort war nicht hilfreich", "Nein"]].forEach(function (t) {
      var b = el("button", { type: "button", "class": "thumb", "data-rating": t[0], "aria-label": t[1], "aria-pressed": "false" });
      b.appendChild(thumbIcon(t[0] === "-1"));
      b.appendChild(el("span", {}, t[2]));
      b.addEventListener("click", function () { rate(parseInt(t[0], 10)); });
      box.appendChild(b);
    });
    var f = el("form", { "class": "feedback-comment", hidden: "" });
    f.appendChild(el("label", { "for": "chat-feedback-text" }, "Was hat Ihnen gefehlt? (freiwillig, bitte ohne persönliche Daten)"));
    var text = el("textarea", { id: "chat-feedback-text", maxlength: "500", rows: "2" });
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { f.hidden = true; rating = null; pressed(null); box.querySelector(".thumb[data-rating='-1']").focus(); }
    });
    f.appendChild(text);
    f.appendChild(el("button", { type: "submit" }, "Rückmeldung senden"));
    f.addEventListener("submit", function (ev) { ev.preventDefault(); submitRating(text.value); });
    box.appendChild(f);
    box.appendChild(el("p", { id: "chat-feedback-status", "class": "feedback-status", role: "status", "aria-live": "polite" }));
    log.parentNode.insertBefore(box, log.nextSibling);
    return box;
  }

  function thumbIcon(down) {
    // an SVG thumb (Material Icons "thumb_up", Apache-2.0): emoji fonts are not everywhere
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z");
    if (down) { path.setAttribute("transform", "rotate(180 12 12)"); }
    svg.appendChild(path);
    return svg;
  }

  function latestAnswer() {
    // id of the latest message when it is the assistant's answer to a citizen's message
    var last = state.messages.length - 1;
    if (last < 1 || state.messages[last].from !== "bot" || !state.messages[last].id) { return -1; }
    for (var i = last - 1; i >= 0; i--) {
      if (state.messages[i].from === "user") { return state.messages[last].id; }
    }
    return -1;
  }

  function pressed(value) {
    Array.prototype.forEach.call(feedback.querySelectorAll(".thumb"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-rating") === String(value)));
    });
    enable(true);
  }

  var pending = false;
  function enable(on) {
    // aria-disabled instead of disabled: a disabled button would drop the keyboard focus
    pending = !on;
    Array.prototype.forEach.call(feedback.querySelectorAll("button"), function (b) { b.setAttribute("aria-disabled", String(!on)); });
  }

  function showFeedback() {
    var idx = latestAnswer();
    rating = null;
    pressed(null);
    feedback.querySelector(".feedback-comment").hidden = true;
    feedback.querySelector("#chat-feedback-text").value = "";
    feedback.querySelector(".feedback-status").textContent = "";
    Array.prototype.forEach.call(feedback.querySelectorAll(".thumb, .feedback-q"), function (n) { n.hidden = false; });
    feedback.hidden = idx < 0 || state.rated === idx;
  }

  function rate(value) {
    if (pending) { return; }
    rating = value;
    pressed(value);
    if (value > 0) { submitRating(""); return; }
    var f = feedback.querySelector(".feedback-comment");
    f.hidden = false;
    f.querySelector("textarea").focus();
  }

  function submitRating(comment) {
    if (rating === null || !state.session || pending) { return; }
    var idx = latestAnswer();
    var status = feedback.querySelector(".feedback-status");
    var value = rating;
    var body = { sender_id: state.session, rating: value };
    if (comment && comment.trim()) { body.comment = comment.trim().slice(0, 500); }
    rating = null;
    enable(false);
    fetch("/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.status === 201) { state.rated = idx; save(); }
      if (latestAnswer() !== idx) { return; }  // the conversation has moved on meanwhile
      if (resp.status === 201) {
        keepFocus(function () {
          feedback.querySelector(".feedback-comment").hidden = true;
          Array.prototype.forEach.call(feedback.querySelectorAll(".thumb, .feedback-q"), function (n) { n.hidden = true; });
        });
        enable(true);
        status.textContent = "Vielen Dank für Ihre Rückmeldung.";
      } else {
        status.textContent = resp.status === 429
          ? "Sie haben gerade schon mehrere Bewertungen abgegeben. Bitte versuchen Sie es später noch einmal."
          : "Ihre Rückmeldung konnte nicht gespeichert werden.";
        rating = value; enable(true);
      }
    }).catch(function () {
      if (latestAnswer() !== idx) { return; }
      status.textContent = "Ihre Rückmeldung konnte nicht gesendet werden. Bitte versuchen Sie es später noch einmal.";
      rating = value; enable(true);
    });
  }

  var socket = io(rasaUrl, { path: "/socket.io", transports: ["websocket"], reconnection: true });

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: state.session });
    status.textContent = "";
  });
  socket.on("connect_error", function () {
    status.textContent = "Keine Verbindung zum Assistenten. Es wird erneut versucht …";
  });
  socket.on("session_confirm", function (data) {
    var id = (data && data.session_id) ? data.session_id : data;
    var fresh = !state.session;
    state.session = id; save();
    // ?fortsetzen=<token>: a messenger case continues here. The token is single-use: it is
    // sent once and removed from the address bar (and so from the browser history).
    var params = new URLSearchParams(window.location.search);
    var token = (params.get("fortsetzen") || "").replace(/[^A-Za-z0-9_-]/g, "");
    if (token) {
      emit('/resume_case{"resume_token":"' + token + '"}');
      params.delete("fortsetzen");
      var rest = params.toString();
      history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    } else if (fresh && !state.messages.length) {
      emit("/greet");
    }
  });
  // The server asks for an acknowledgement of staff replies: only a reply that reached
  // this page (and is shown) counts as delivered in the staff inbox.
  socket.on("bot_uttered", function (data, ack) {
    if (waiting) { clearTimeout(waiting); waiting = null; }
    status.textContent = "";
    if (data.custom && typeof data.custom.case_noted === "string") {
      // a message during an open case that needs no answer: a receipt under it
      add({ from: "receipt", text: data.custom.case_noted });
      return;
    }
    if (data.custom && typeof data.custom.report_photo === "string") {
      photoButton(data.custom.report_photo);
      return;
    }
    var quick = (data.quick_replies || []).map(function (q) { return { title: q.title, payload: q.payload }; });
    var buttons = (data.buttons || []).concat(quick);
    var meta = data.metadata || {};
    var msg = { from: meta.staff ? "staff" : "bot", text: data.text || "", buttons: buttons };
    var lang = meta.language || meta.lang;
    if (typeof lang === "string" && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(lang)) { msg.lang = lang; }
    if (msg.from === "bot") { state.lang = msg.lang || pageLang; }
    add(msg);
    showLanguage();
    if (typeof ack === "function") { ack({ shown: true }); }
  });

  // "Foto anhängen" under a report (bot/dialogue/report.py): the photo goes to the web app
  // with this chat's session id, shrunk in the browser when it is larger than the limit.
  var PHOTO_MAX_BYTES = 900000;
  function photoButton(reference) {
    if (!/^[A-Z0-9-]{9,20}$/.test(reference)) { return; }
    var wrap = el("div", { "class": "photo-upload" });
    var id = "photo-" + reference;
    var label = el("label", { "for": id, "class": "photo-label" }, "Foto anhängen");
    var file = el("input", { type: "file", id: id, accept: "image/jpeg,image/png" });
    var note = el("p", { "class": "photo-status", role: "status", "aria-live": "polite" });
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      if (!chosen) { return; }
      note.textContent = "Das Foto wird gesendet …";
      shrink(chosen).then(function (blob) {
        var body = new FormData();
        body.append("session", state.session || "");
        body.append("photo", blob, "foto");
        return fetch("/meldung/" + encodeURIComponent(reference) + "/foto", { method: "POST", body: body, credentials: "same-origin" });
      }).then(function (resp) {
        return resp.json().then(function (data) {
          note.textContent = data.ok ? "Danke, das Foto ist bei Ihrer Meldung " + reference + "." : (data.error || "Das Foto konnte nicht gespeichert werden.");
        });
      }).catch(function () { note.textContent = "Das Foto konnte nicht gesendet werden. Bitte versuchen Sie es später noch einmal."; });
    });
    wrap.appendChild(label);
    wrap.appendChild(file);
    wrap.appendChild(note);
    log.parentNode.insertBefore(wrap, form);
  }

  function shrink(blob) {
    if (blob.size <= PHOTO_MAX_BYTES || !window.createImageBitmap) { return Promise.resolve(blob); }
    return createImageBitmap(blob).then(function (img) {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", 0.82); });
    });
  }

  function emit(payload) {
    socket.emit("user_uttered", { message: payload, session_id: state.session, customData: { language: "de" } });
    if (waiting) { clearTimeout(waiting); }
    waiting = setTimeout(function () { status.textContent = ""; waiting = null; }, 15000);
    status.textContent = "Der Assistent schreibt …";
  }

  function send(payload, shown, lang) {
    if (!socket.connected || !state.session) {
      status.textContent = "Keine Verbindung. Bitte versuchen Sie es gleich noch einmal.";
      return;
    }
    if (rating !== null) { submitRating(""); }  // thumbs down chosen, comment not sent: keep the vote
    var mine = { from: "user", text: shown || payload };
    if (lang) { mine.lang = lang; }
    add(mine);
    emit(payload);
  }

  // "Chat beenden": forget the session id and the history in this browser, start afresh.
  var end = el("button", { type: "button", id: "chat-end", "class": "chat-end" }, "Chat beenden");
  end.addEventListener("click", function () {
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
    state = { session: null, messages: [] };
    while (list.firstChild) { list.removeChild(list.firstChild); }
    showFeedback();
    showLanguage();
    socket.disconnect();
    socket.connect();
    input.focus();
  });
  form.parentNode.insertBefore(end, form.nextSibling);

  // The language switch: the other language, named in itself and marked with its lang.
  var LANGUAGES = {
    en: { name: "English", label: "Chat in English" },
    de: { name: "Deutsch", label: "Chat auf Deutsch" }
  };
  var language = el("button", { type: "button", id: "chat-language", "class": "chat-language" });
  function otherLanguage() { return (state.lang || pageLang) === "en" ? "de" : "en"; }
  function showLanguage() {
    var to = otherLanguage();
    language.textContent = LANGUAGES[to].name;
    language.setAttribute("lang", to);
    language.setAttribute("aria-label", LANGUAGES[to].label);
    language.setAttribute("data-language", to);
  }
  language.addEventListener("click", function () {
    var to = otherLanguage();
    send('/switch_language{"language":"' + to + '"}', LANGUAGES[to].name, to);
  });
  end.parentNode.insertBefore(language, end.nextSibling);
  showLanguage();

  // the stored history is rendered at once, not announced message by message
  log.setAttribute("aria-busy", "true");
  state.messages.forEach(function (m, i) { render(m, false, answered(i)); });
  log.removeAttribute("aria-busy");
  showFeedback();

  // open / close the chat (a disclosure: the button says what it does, aria-expanded the state)
  function setOpen(open, focusInput) {
    body.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Chat schließen" : "Chat öffnen";
    if (open && focusInput) { input.focus(); }
  }
  if (toggle && body) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () { setOpen(body.hidden, true); });
  }
  var skip = document.getElementById("skip-chat");
  if (skip) {
    skip.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (toggle && body && body.hidden) { setOpen(true); }
      input.focus();
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
