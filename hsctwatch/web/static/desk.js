// Keyboard shortcuts of the review desk. The pages work without this file; it only adds keys.
// Queue: j/k move the selection, o or Enter opens, a approves, r rejects, / searches.
// Item:  j/k next/previous item, a approves, r rejects, u back to the queue.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function queue() {
    var table = document.querySelector("table.queue");
    var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
    var current = table ? Math.min(parseInt(table.dataset.selected || "0", 10) || 0, rows.length - 1) : -1;

    function select(i) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(i, rows.length - 1));
      rows.forEach(function (row, n) { row.classList.toggle("selected", n === current); });
      rows[current].scrollIntoView({ block: "nearest" });
    }
    select(current);

    return function (key) {
      var row = rows[current];
      switch (key) {
        case "j": select(current + 1); return true;
        case "k": select(current - 1); return true;
        case "o": case "Enter": if (row) window.location.href = row.dataset.href; return !!row;
        case "a": if (row) submit(row.querySelector("form.approve")); return !!row;
        case "r": if (row) submit(row.querySelector("form.reject")); return !!row;
      }
      return false;
    };
  }

  function item() {
    function go(id) {
      var link = document.getElementById(id);
      if (link) window.location.href = link.href;
      return !!link;
    }
    return function (key) {
      switch (key) {
        case "j": return go("next");
        case "k": return go("prev");
        case "u": return go("back");
        case "a": submit(document.getElementById("approve-form")); return true;
        case "r": submit(document.getElementById("reject-form")); return true;
      }
      return false;
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.dataset.page;
    var handle = page === "queue" ? queue() : page === "item" ? item() : null;
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      if (event.key === "/") {
        var search = document.getElementById("search");
        if (search) { search.focus(); event.preventDefault(); }
        return;
      }
      if (handle && handle(event.key)) event.preventDefault();
    });
  });
})();
