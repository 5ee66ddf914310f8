// Chat widget of the city's service page, on Rasa's socket.io channel (the protocol
// rasa-webchat uses: session_request / session_confirm, user_uttered / bot_uttered).
// The session id and the messages are kept in localStorage, so the conversation
// survives a reload and staff replies pushed during a handoff arrive live.
// Content is always inserted as text nodes (never innerHTML): it is untrusted.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || typeof io === "undefined") { return; }
  var rasaUrl = root.getAttribute("data-rasa-url");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var status = document.getElementById("chat-status");
  var KEY = "buergerservice-chat-v1";
  var state = load();
  var waiting = null;

  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || "null");
      if (s && Array.isArray(s.messages)) { return s; }
    } catch (e) { /* corrupt storage: start fresh */ }
    return { session: null, messages: [] };
  }
  function save() {
    state.messages = state.messages.slice(-200);
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
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

  function render(msg) {
    var li = document.createElement("li");
    li.className = "msg " + msg.from;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = msg.from === "user" ? "Sie: " : (msg.from === "staff" ? "Mitarbeiter/in der Stadt: " : "Assistent: ");
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
    log.scrollTop = log.scrollHeight;
  }

  function add(msg) { state.messages.push(msg); save(); render(msg); }

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
    var ref = new URLSearchParams(window.location.search).get("vorgang");
    if (ref && state.resumed !== ref) {
      state.resumed = ref; save();
      emit('/resume_case{"reference":"' + ref.replace(/[^A-Za-z0-9-]/g, "") + '"}');
    } else if (fresh && !state.messages.length) {
      emit("/greet");
    }
  });
  socket.on("bot_uttered", function (data) {
    if (waiting) { clearTimeout(waiting); waiting = null; }
    status.textContent = "";
    var quick = (data.quick_replies || []).map(function (q) { return { title: q.title, payload: q.payload }; });
    var buttons = (data.buttons || []).concat(quick);
    var staff = data.metadata && data.metadata.staff;
    add({ from: staff ? "staff" : "bot", text: data.text || "", buttons: buttons });
  });

  function emit(payload) {
    socket.emit("user_uttered", { message: payload, session_id: state.session, customData: { language: "de" } });
    if (waiting) { clearTimeout(waiting); }
    waiting = setTimeout(function () { status.textContent = ""; waiting = null; }, 15000);
    status.textContent = "Der Assistent schreibt …";
  }

  function send(payload, shown) {
    if (!socket.connected || !state.session) {
      status.textContent = "Keine Verbindung. Bitte versuchen Sie es gleich noch einmal.";
      return;
    }
    add({ from: "user", text: shown || payload });
    emit(payload);
  }

  state.messages.forEach(render);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
