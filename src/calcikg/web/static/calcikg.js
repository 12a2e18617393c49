// CalciKG browser enhancements: term suggestions (a combobox over /api/terms) and sortable tables.
// The pages work without this script: the forms submit, the tables are in a sensible order.
(function () {
  "use strict";
  var n = 0;
  function suggest(input) {
    var kind = input.getAttribute("data-suggest") || "";
    var list = document.createElement("ul");
    var id = "suggest-" + (++n), active = -1, items = [], timer = null;
    list.id = id; list.className = "suggestions"; list.setAttribute("role", "listbox"); list.hidden = true;
    input.setAttribute("role", "combobox"); input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id); input.setAttribute("aria-expanded", "false");
    input.parentNode.appendChild(list);
    function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
    function choose(i) {
      var hit = items[i];
      if (!hit) return;
      if (input.getAttribute("data-fill") === "label" || !hit.in_graph) { input.value = hit.label; close(); return; }
      window.location.href = "/term/" + encodeURIComponent(hit.curie).replace("%3A", ":");
    }
    function mark(i) {
      var lis = list.querySelectorAll("li");
      for (var k = 0; k < lis.length; k++) lis[k].setAttribute("aria-selected", k === i ? "true" : "false");
      active = i;
      if (lis[i]) input.setAttribute("aria-activedescendant", lis[i].id);
    }
    function show(hits) {
      items = hits; list.textContent = "";
      hits.forEach(function (h, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
        li.textContent = h.label + " (" + h.curie + ")" + (h.in_graph ? "" : " — not in the graph");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = hits.length === 0; input.setAttribute("aria-expanded", hits.length ? "true" : "false"); active = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      timer = setTimeout(function () {
        fetch("/api/terms?limit=8&q=" + encodeURIComponent(text) + (kind ? "&kind=" + encodeURIComponent(kind) : ""))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (hits) { if (input.value.trim() === text) show(hits); })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  function sortable(table) {
    var buttons = table.querySelectorAll("th button.sort");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentNode, col = +button.getAttribute("data-col");
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (x) { x.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-sort") || a.cells[col].textContent.trim().toLowerCase();
          var y = b.cells[col].getAttribute("data-sort") || b.cells[col].textContent.trim().toLowerCase();
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.querySelectorAll("input[data-suggest]").forEach(suggest);
  document.querySelectorAll("table.sortable").forEach(sortable);
}());
