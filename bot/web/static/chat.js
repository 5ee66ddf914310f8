// Chat widget of the city's service page. Talks to Rasa's REST channel; the
// conversation (id and messages) is kept in localStorage so it survives a reload.
// Text is always inserted as text nodes (never innerHTML): bot and user content is untrusted.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) { return; }
  var rasaUrl = root.getAttribute("data-rasa-url");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var status = document.getElementById("chat-status");
  var KEY = "buergerservice-chat";
  var state = load();

  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || "null");
      if (s && s.sender && Array.isArray(s.messages)) { return s; }
    } catch (e) { /* corrupt storage: start fresh */ }
    var id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    return { sender: "web-" + id, messages: [] };
  }
  function save() {
    state.messages = state.messages.slice(-200);
    localStorage.setItem(KEY, JSON.stringify(state));
  }

  function appendText(parent, text) {
    // Makes http(s) links clickable without interpreting any markup.
    var parts = String(text).split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = document.createElement("a");
        a.href = part; a.textContent = part; a.rel = "noopener"; a.target = "_blank";
        parent.appendChild(a);
      } else {
        var lines = part.split("\n");
        lines.forEach(function (line, j) {
          if (j > 0) { parent.appendChild(document.createElement("br")); }
          parent.appendChild(document.createTextNode(line));
        });
      }
    });
  }

  function render(msg) {
    var li = document.createElement("li");
    li.className = "msg " + msg.from;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = msg.from === "user" ? "Sie: " : (msg.from === "staff" ? "Mitarbeiter/in: " : "Assistent: ");
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
        btn.addEventListener("click", function () { send(b.payload, b.title); });
        group.appendChild(btn);
      });
      li.appendChild(group);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function add(msg) { state.messages.push(msg); save(); render(msg); }

  function send(payload, shown) {
    add({ from: "user", text: shown || payload });
    status.textContent = "Der Assistent schreibt …";
    fetch(rasaUrl + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: payload, metadata: { channel: "website" } })
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (replies) {
      status.textContent = "";
      replies.forEach(function (r) { add({ from: "bot", text: r.text || "", buttons: r.buttons || [] }); });
    }).catch(function () {
      status.textContent = "Die Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es erneut.";
    });
  }

  state.messages.forEach(render);
  if (!state.messages.length) {
    render({ from: "bot", text: "Guten Tag! Ich bin der digitale Assistent der Stadt Musterstadt. Fragen Sie mich nach Öffnungszeiten, Zuständigkeiten oder Straßensperrungen." });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
