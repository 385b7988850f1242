/* The console's keyboard and small comforts, for pages that work without it too.
   No inline script (the CSP forbids it); nothing here talks to the server except by
   clicking the page's own links, buttons and forms.

   Worklist: j/k choose the next/previous row, Enter opens it, x selects it, a acknowledges
   the selected rows (or the chosen one); the compact view is remembered in a cookie.
   Case page: j opens the next case of the list it came from, a acknowledges, r goes to
   the reply box; a reply template is inserted where the cursor is.
   Everywhere: ? shows the shortcuts, Escape hides them. */
(function () {
  "use strict";

  var COMPACT_COOKIE = "holos_compact";

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // The help overlay -------------------------------------------------------------------

  var overlay = $("#shortcuts");
  var lastFocus = null;

  function showHelp() {
    if (!overlay) {
      return;
    }
    lastFocus = document.activeElement;
    overlay.hidden = false;
    var close = $(".help-close", overlay);
    if (close) {
      close.focus();
    }
  }

  function hideHelp() {
    if (!overlay || overlay.hidden) {
      return;
    }
    overlay.hidden = true;
    if (lastFocus && lastFocus.focus) {
      lastFocus.focus();
    }
  }

  if (overlay) {
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay || event.target.closest(".help-close")) {
        hideHelp();
      }
    });
    $all(".help-open").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", showHelp);
    });
  }

  // Worklist rows ----------------------------------------------------------------------

  var list = $("#rows");

  function rows() {
    return list ? $all(".case-row", list) : [];
  }

  function current() {
    return list ? $(".case-row.is-current", list) : null;
  }

  function choose(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var index = all.indexOf(current());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : index + step;
    next = Math.max(0, Math.min(all.length - 1, next));
    all.forEach(function (row) {
      row.classList.remove("is-current");
    });
    var row = all[next];
    row.classList.add("is-current");
    var link = $("a.ref", row);
    if (link) {
      link.focus();
    }
  }

  function toggleCurrent() {
    var row = current();
    var box = row ? $("input.pick", row) : null;
    if (box) {
      box.checked = !box.checked;
      showBulkForm();
    }
  }

  function acknowledgeSelected() {
    var form = $("#bulk");
    if (!form) {
      return;
    }
    var picked = $all("input.pick:checked");
    if (!picked.length) {
      var row = current();
      var box = row ? $("input.pick", row) : null;
      if (!box) {
        return;
      }
      box.checked = true;
    }
    $("#bulk-action", form).value = "acknowledge";
    showBulkFields();
    form.requestSubmit();
  }

  // Only the field the chosen bulk action needs is shown.
  function showBulkFields() {
    var action = $("#bulk-action");
    if (!action) {
      return;
    }
    $all(".bulk [data-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-for") !== action.value;
    });
  }

  var bulkAction = $("#bulk-action");
  if (bulkAction) {
    bulkAction.addEventListener("change", showBulkFields);
    showBulkFields();
  }

  // The bulk form shows once a row is selected (without this script it always shows).
  var bulkForm = $("#bulk");
  function showBulkForm() {
    if (bulkForm) {
      bulkForm.hidden = !$all("input.pick:checked").length && !$("#bulk-result");
    }
  }
  if (list) {
    list.addEventListener("change", showBulkForm);
    showBulkForm();
  }

  // The list refreshes itself every minute (worklist_poller.html): the rows are drawn
  // anew, so the ticked ones and the highlighted one are ticked and highlighted again.
  if (list) {
    var kept = null;
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target !== list) return;
      var row = current();
      kept = {
        picked: $all("input.pick:checked", list).map(function (box) {
          return box.closest(".case-row").dataset.ref;
        }),
        current: row ? row.dataset.ref : null,
      };
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list || !kept) return;
      $all(".case-row", list).forEach(function (row) {
        var box = $("input.pick", row);
        if (box && kept.picked.indexOf(row.dataset.ref) !== -1) box.checked = true;
        if (row.dataset.ref === kept.current) row.classList.add("is-current");
      });
      kept = null;
      showBulkForm();
    });
  }

  var pickAll = $("#pick-all");
  if (pickAll) {
    pickAll.closest("label").hidden = false;
    pickAll.addEventListener("change", function () {
      $all("input.pick").forEach(function (box) {
        box.checked = pickAll.checked;
      });
      showBulkForm();
    });
  }

  var compact = $("#compact-toggle");
  if (compact && list) {
    compact.hidden = false;
    compact.addEventListener("click", function () {
      var on = !list.classList.contains("compact");
      list.classList.toggle("compact", on);
      compact.setAttribute("aria-pressed", on ? "true" : "false");
      document.cookie = COMPACT_COOKIE + "=" + (on ? "1" : "0") +
        "; path=/console; max-age=31536000; SameSite=Strict";
    });
  }

  // The case page ----------------------------------------------------------------------

  var reply = $("#reply-text");
  var picker = $("#template-pick");
  var warning = $("#template-warning");

  if (picker && reply) {
    picker.addEventListener("submit", function (event) {
      var option = $("#template", picker).selectedOptions[0];
      if (!option) {
        return;
      }
      event.preventDefault();
      var text = option.getAttribute("data-body") || "";
      var start = reply.selectionStart || 0;
      var end = reply.selectionEnd || 0;
      var before = reply.value.slice(0, start);
      var after = reply.value.slice(end);
      var gap = before && !/\s$/.test(before) ? "\n\n" : "";
      reply.value = before + gap + text + after;
      var caret = (before + gap + text).length;
      reply.focus();
      reply.setSelectionRange(caret, caret);
      if (warning) {
        warning.hidden = !option.hasAttribute("data-fallback");
      }
    });
  }

  function acknowledgeCase() {
    var button = $("button[name='status'][value='acknowledged']");
    if (button) {
      button.click();
    }
  }

  // Keys -------------------------------------------------------------------------------

  // The keys by their place on the keyboard too: with a Ukrainian or Russian layout the
  // key marked J types "о", and the shortcut still works.
  var BY_PLACE = { KeyJ: "j", KeyK: "k", KeyA: "a", KeyR: "r", KeyX: "x" };

  function shortcut(event) {
    var key = event.key;
    if (/^[a-z?]$/.test(key) || key === "Escape") {
      return key;
    }
    if (key && key.length === 1 && !event.shiftKey && BY_PLACE[event.code]) {
      return BY_PLACE[event.code];
    }
    if (event.code === "Slash" && event.shiftKey) {
      return "?";
    }
    return key;
  }

  document.addEventListener("keydown", function (event) {
    var key = shortcut(event);
    if (key === "Escape") {
      hideHelp();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (overlay && !overlay.hidden && key !== "?") {
      return;
    }
    var next = $("#next-case");
    switch (key) {
      case "?":
        if (overlay && overlay.hidden) {
          showHelp();
        } else {
          hideHelp();
        }
        break;
      case "j":
        if (list) {
          choose(1);
        } else if (next) {
          next.click();
        } else {
          return;
        }
        break;
      case "k":
        if (list) {
          choose(-1);
        } else {
          return;
        }
        break;
      case "x":
        if (!list) {
          return;
        }
        toggleCurrent();
        break;
      case "a":
        if (list) {
          acknowledgeSelected();
        } else {
          acknowledgeCase();
        }
        break;
      case "r":
        if (!reply) {
          return;
        }
        reply.focus();
        reply.scrollIntoView({ block: "center" });
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
