/* postgate's compose page: the channel sections become tabs (WAI-ARIA tabs pattern). Without script they
   stay sections one after another, and everything still works. */
(function () {
  "use strict";
  var remembered = null;

  function enhance() {
    var box = document.querySelector("[data-tabs]");
    if (!box || box.getAttribute("data-enhanced")) return;
    var panels = Array.prototype.slice.call(box.children).filter(function (el) {
      return el.classList.contains("channel-panel");
    });
    if (panels.length < 2) return;
    box.setAttribute("data-enhanced", "1");
    var list = document.createElement("div");
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-labelledby", box.getAttribute("aria-labelledby"));
    list.className = "tablist";
    var tabs = panels.map(function (panel) {
      var heading = panel.querySelector(".tab-title");
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tab";
      tab.id = "tab-" + panel.id;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panel.id);
      tab.textContent = heading ? heading.firstChild.textContent.trim() : panel.id;
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      list.appendChild(tab);
      return tab;
    });
    box.insertBefore(list, panels[0]);

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panels[i].hidden = !on;
      });
      remembered = panels[index].id;
      if (focus) tabs[index].focus();
    }

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next !== null) { event.preventDefault(); select(next, true); }
      });
    });

    // A channel ticked in the list opens its tab.
    Array.prototype.forEach.call(document.querySelectorAll("input[name='channel'][type='checkbox']"), function (box) {
      box.addEventListener("change", function () {
        var panel = document.getElementById("panel-" + box.value);
        if (!panel) return;
        panel.setAttribute("data-chosen", box.checked ? "yes" : "no");
        if (box.checked) select(panels.indexOf(panel), false);
      });
    });

    function chosen(p) { return p.getAttribute("data-chosen") === "yes"; }
    var start = panels.findIndex(function (p) { return p.querySelector("[aria-invalid='true'], [autofocus]"); });
    if (start < 0) start = panels.findIndex(function (p) { return p.id === remembered && chosen(p); });
    if (start < 0) start = Math.max(0, panels.findIndex(chosen));
    select(start, false);
  }

  document.addEventListener("DOMContentLoaded", enhance);
  document.addEventListener("htmx:afterSwap", enhance);
})();
