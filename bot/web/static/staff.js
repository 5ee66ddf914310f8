// Staff inbox: a chosen Textbaustein fills the reply field (editable before sending).
(function () {
  "use strict";
  var select = document.getElementById("canned");
  if (!select) { return; }
  select.addEventListener("change", function () {
    var target = document.getElementById(select.getAttribute("data-target"));
    if (target && select.value) { target.value = select.value; target.focus(); }
  });
})();
