/*
 * People boxes of the round form: suggestions as one types, from the people lookup.
 *
 * An input with data-people-lookup (the lookup's address, with its "for") and a datalist
 * (its list attribute) gets the people whose name or email starts with what was typed:
 * the browser shows them under the box, and picking one puts their email in it. With
 * data-several the box holds several emails separated by commas: only the last one is
 * looked up, and a suggestion keeps those before it.
 *
 * Without JavaScript, or while the lookup does not answer, the boxes are plain text boxes
 * that take emails, so the page works either way.
 */
(function () {
  "use strict";

  var DELAY = 200; // ms after the last key before asking
  var SHORTEST = 2; // characters typed before asking

  function attach(input) {
    var list = input.list;
    var address = input.getAttribute("data-people-lookup");
    if (!list || !address || !window.fetch) {
      return;
    }
    var several = input.hasAttribute("data-several");
    var timer = null;
    var asked = "";

    function parts() {
      var value = input.value;
      if (!several) {
        return { head: "", last: value.trim() };
      }
      var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
      var head = cut < 0 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " ");
      return { head: head, last: value.slice(cut + 1).trim() };
    }

    function fill(head, results) {
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      results.forEach(function (result) {
        var option = document.createElement("option");
        option.value = head + result.email;
        option.textContent = result.label;
        list.appendChild(option);
      });
    }

    function lookUp() {
      var typed = parts();
      if (typed.last.length < SHORTEST || typed.last === asked) {
        return;
      }
      asked = typed.last;
      var separator = address.indexOf("?") < 0 ? "?" : "&";
      fetch(address + separator + "q=" + encodeURIComponent(typed.last), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (asked === typed.last) {
            fill(typed.head, data.results || []);
          }
        })
        .catch(function () {
          // No suggestions: the box still takes emails typed in full.
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, DELAY);
    });
  }

  var inputs = document.querySelectorAll("input[data-people-lookup]");
  for (var i = 0; i < inputs.length; i++) {
    attach(inputs[i]);
  }
})();
