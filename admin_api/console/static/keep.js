// No lost work: what staff type into a kept text box (data-keep) stays in this tab's
// sessionStorage, keyed by the form's address (the case and the form), until the form
// is saved. A session that ended mid-reply sends the person to sign in and back to the
// same case (see sign_in_url); the text comes back here. Nothing leaves the browser.
(function () {
  "use strict";
  var PREFIX = "holos-keep:";

  function keyOf(box) {
    var form = box.form;
    var action = form ? new URL(form.action, location.href).pathname : location.pathname;
    return PREFIX + action + ":" + box.name;
  }

  function store(key, value) {
    try {
      if (value.trim()) {
        sessionStorage.setItem(key, value);
      } else {
        sessionStorage.removeItem(key);
      }
    } catch (e) {
      // Storage full or refused (private mode): the form still works, only unkept.
    }
  }

  function read(key) {
    try {
      return sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function forget(key) {
    try {
      sessionStorage.removeItem(key);
      sessionStorage.removeItem(key + ":sent");
    } catch (e) {
      // Nothing kept, nothing to forget.
    }
  }

  function keep(box) {
    var key = keyOf(box);
    var form = box.form;
    var saved = form && form.getAttribute("data-saved");
    // A form that was sent and came back to its own place (the address the server goes
    // to after saving) was saved: what was kept for it is done with.
    if (read(key + ":sent") && saved && location.hash === "#" + saved) {
      forget(key);
    } else {
      var kept = read(key);
      if (kept && kept !== box.value) {
        box.value = kept;
        var note = document.getElementById(box.id + "-restored");
        if (note) {
          note.hidden = false;
        }
      }
      try {
        sessionStorage.removeItem(key + ":sent");
      } catch (e) {
        // As above.
      }
    }
    box.addEventListener("input", function () {
      store(key, box.value);
    });
    if (form) {
      form.addEventListener("submit", function () {
        store(key, box.value);
        try {
          sessionStorage.setItem(key + ":sent", "1");
        } catch (e) {
          // As above.
        }
      });
    }
  }

  function forgetAll() {
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) {
          sessionStorage.removeItem(key);
        }
      }
    } catch (e) {
      // Nothing kept.
    }
  }

  function start() {
    var boxes = document.querySelectorAll("textarea[data-keep]");
    for (var i = 0; i < boxes.length; i++) {
      keep(boxes[i]);
    }
    // Signing out on purpose leaves nothing typed behind in this tab.
    var outs = document.querySelectorAll("form[data-sign-out]");
    for (var j = 0; j < outs.length; j++) {
      outs[j].addEventListener("submit", forgetAll);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
