/* postgate's own script for the approver's queue and review page (no library, nothing vendored).
   Queue: j / k next / previous post, a approve, r request changes, ? the list of shortcuts.
   None fires while a text field, select or editable element has the focus, or with Ctrl, Alt or Meta.
   Review page: #approve focuses the approve button, #request-changes the comment field.
   Everything works without this script: it only saves keystrokes. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]"));
  }

  function select(list, index) {
    list.forEach(function (row, i) {
      if (i === index) row.setAttribute("data-selected", "");
      else row.removeAttribute("data-selected");
    });
    var link = list[index].querySelector("a");
    if (link) link.focus();
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].contains(document.activeElement) || list[i].hasAttribute("data-selected")) return i;
    }
    return -1;
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-open-shortcuts]")) openShortcuts();
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return; /* the dialog closes with Escape or its button */
    if (event.key === "?") {
      if (dialog) {
        event.preventDefault();
        openShortcuts();
      }
      return;
    }
    var list = rows();
    if (!list.length) return;
    var index = current(list);
    if (event.key === "j") {
      event.preventDefault();
      select(list, Math.min(index + 1, list.length - 1));
    } else if (event.key === "k") {
      event.preventDefault();
      select(list, Math.max(index - 1, 0));
    } else if ((event.key === "a" || event.key === "r") && index >= 0) {
      event.preventDefault();
      var target = list[index].getAttribute("data-review");
      window.location.assign(target + (event.key === "a" ? "#approve" : "#request-changes"));
    }
  });

  function focusFromHash() {
    var id = { "#approve": "approve-button", "#request-changes": "decision-comment" }[window.location.hash];
    var element = id && document.getElementById(id);
    if (element) {
      element.scrollIntoView({ block: "center" });
      element.focus();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFromHash);
  else focusFromHash();
})();
