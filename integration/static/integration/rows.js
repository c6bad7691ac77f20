// Repeatable rows of a Django formset (the IFS parts): "Add a part" copies the empty row of the <template>, and
// ticking Remove greys the row out until the form is saved. Without this script one empty row is always there and
// Remove still works on saving. No inline scripts (CSP).
(function () {
  "use strict";

  document.querySelectorAll("[data-add-row]").forEach(function (button) { button.hidden = false; });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var rows = document.getElementById(prefix + "-rows");
    var template = document.getElementById(prefix + "-row-template");
    var index = Number(total.value);
    if (max && index >= Number(max.value)) return;
    rows.insertAdjacentHTML(
      "beforeend",
      template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1))
    );
    total.value = String(index + 1);
    var first = rows.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-row] input[name$='-DELETE']")) return;
    box.closest("[data-row]").classList.toggle("row--removed", box.checked);
  });
})();
