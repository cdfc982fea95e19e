(function () {
  "use strict";
  var table = document.getElementById("orders");
  var search = document.getElementById("search");
  var counter = document.getElementById("visible-count");
  var noMatch = document.getElementById("no-match");
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  var ruleFilter = document.getElementById("rule-filter");
  var ruleName = document.getElementById("rule-filter-name");
  var state = { severity: "all", status: "all", query: "", rule: "" };

  function hasRule(row) {
    return (" " + row.getAttribute("data-rules") + " ").indexOf(" " + state.rule + " ") !== -1;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = (state.severity === "all" || row.getAttribute("data-severity") === state.severity) &&
        (state.status === "all" || row.getAttribute("data-status") === state.status) &&
        (state.query === "" || texts[i].indexOf(state.query) !== -1) &&
        (state.rule === "" || hasRule(row));
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    if (counter) { counter.textContent = "Showing " + shown + " of " + rows.length + " rows"; }
    if (noMatch) { noMatch.hidden = shown !== 0 || rows.length === 0; }
  }

  if (search) {
    search.addEventListener("input", function () {
      state.query = search.value.trim().toLowerCase();
      apply();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-filter]"), function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-filter");
      state[kind] = button.getAttribute("data-value");
      Array.prototype.forEach.call(
        document.querySelectorAll('button[data-filter="' + kind + '"]'),
        function (other) { other.setAttribute("aria-pressed", other === button ? "true" : "false"); }
      );
      apply();
    });
  });

  function key(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell.getAttribute("data-sort");
    if (value === null) { value = cell.textContent.trim(); }
    return numeric ? Number(value) : value.toLowerCase();
  }

  if (table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    Array.prototype.forEach.call(table.querySelectorAll("th button[data-col]"), function (button) {
      button.addEventListener("click", function () {
        var column = Number(button.getAttribute("data-col"));
        var numeric = button.getAttribute("data-type") === "number";
        var header = button.parentNode;
        var current = header.getAttribute("aria-sort");
        var direction = current === "ascending" ? "descending" :
          current === "descending" ? "ascending" : (numeric && column > 0 ? "descending" : "ascending");
        headers.forEach(function (th) { th.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", direction);
        var sign = direction === "ascending" ? 1 : -1;
        var record = function (row) { return Number(row.getAttribute("data-record")); };
        var sorted = rows.slice().sort(function (a, b) {
          var x = key(a, column, numeric);
          var y = key(b, column, numeric);
          var order = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
          return order !== 0 ? sign * order : record(a) - record(b);
        });
        var body = table.tBodies[0];
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function showRule(rule) {
    state.rule = rule;
    if (ruleFilter) { ruleFilter.hidden = rule === ""; }
    if (ruleName) { ruleName.textContent = rule; }
    apply();
  }

  var clear = document.getElementById("rule-filter-clear");
  if (clear) { clear.addEventListener("click", function () { showRule(""); }); }

  Array.prototype.forEach.call(document.querySelectorAll(".rule-chart .bar"), function (bar) {
    bar.addEventListener("click", function () {
      if (!table) { return; }
      showRule(bar.getAttribute("data-rule"));
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
