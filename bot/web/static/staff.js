// Staff pages. Case page: a chosen Textbaustein fills the reply field (editable before
// sending), the list of Textbausteine can be searched, and a warning appears when another
// caseworker opens the case. Inbox: new cases and citizen messages appear without reload
// (polling /staff/inbox.json), with the unread count in the page title and, if the
// caseworker allows it, a browser notification.
(function () {
  "use strict";
  var POLL_MS = parseInt(document.body.getAttribute("data-poll-ms") || "5000", 10);

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status === 200) {
        try { done(JSON.parse(xhr.responseText)); } catch (e) { /* ignore a broken answer */ }
      }
    };
    xhr.send();
  }

  // --- case page: Textbausteine -------------------------------------------------------
  var select = document.getElementById("canned");
  if (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.getAttribute("data-target"));
      if (target && select.value) { target.value = select.value; target.focus(); }
    });
    var search = document.getElementById("canned-search");
    if (search) {
      search.addEventListener("input", function () {
        var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
        Array.prototype.forEach.call(select.options, function (opt) {
          if (!opt.value) { return; }
          var hay = opt.getAttribute("data-search") || "";
          var show = words.every(function (w) { return hay.indexOf(w) !== -1; });
          opt.hidden = !show;
          opt.disabled = !show;
        });
      });
    }
  }

  // --- case page: who else is working on it ---------------------------------------------
  var collision = document.getElementById("collision");
  if (collision) {
    var me = collision.getAttribute("data-me");
    var text = document.getElementById("collision-text");
    var pollPresence = function () {
      getJSON(collision.getAttribute("data-presence"), function (data) {
        var parts = [];
        if (data.assignee && data.assignee !== me && data.status !== "erledigt") {
          parts.push(data.assignee + " bearbeitet diesen Vorgang.");
        }
        if (data.others && data.others.length) {
          parts.push("Gerade geöffnet von: " + data.others.join(", ") + ".");
        }
        if (parts.length) {
          text.textContent = parts.join(" ");
          collision.hidden = false;
        }
      });
    };
    window.setInterval(pollPresence, POLL_MS);
  }

  // --- inbox: live updates ----------------------------------------------------------------
  var table = document.getElementById("tickets");
  if (!table) { return; }
  var rows = document.getElementById("ticket-rows");
  var empty = document.getElementById("empty");
  var status = document.getElementById("live-status");
  var notifyButton = document.getElementById("notify");
  var baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  var known = {};
  var unreadKnown = {};
  Array.prototype.forEach.call(rows.querySelectorAll("tr[data-reference]"), function (tr) {
    known[tr.getAttribute("data-reference")] = true;
    if (tr.getAttribute("data-unread")) { unreadKnown[tr.getAttribute("data-reference")] = true; }
  });

  var canNotify = "Notification" in window;
  if (canNotify && Notification.permission === "default" && notifyButton) {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }
  function notify(message) {
    if (canNotify && Notification.permission === "granted" && document.hidden) {
      try { new Notification("Bürgerservice – Posteingang", { body: message }); } catch (e) { /* some browsers refuse */ }
    }
  }

  function apply(data) {
    var fresh = data.references.filter(function (r) { return !known[r]; });
    var newlyUnread = data.unread_references.filter(function (r) { return !unreadKnown[r]; });
    rows.innerHTML = data.rows_html;  // rendered and escaped by the server
    table.hidden = data.references.length === 0;
    empty.hidden = data.references.length !== 0;
    known = {}; unreadKnown = {};
    data.references.forEach(function (r) { known[r] = true; });
    data.unread_references.forEach(function (r) { unreadKnown[r] = true; });
    document.title = (data.unread ? "(" + data.unread + ") " : "") + baseTitle;
    status.textContent = data.total + " Vorgänge" + (data.unread ? ", " + data.unread + " mit neuer Nachricht" : "");
    if (fresh.length) { notify(fresh.length === 1 ? "Neuer Vorgang " + fresh[0] : fresh.length + " neue Vorgänge"); }
    else if (newlyUnread.length) { notify("Neue Nachricht in " + newlyUnread.join(", ")); }
  }
  window.setInterval(function () { getJSON(table.getAttribute("data-live"), apply); }, POLL_MS);
})();
