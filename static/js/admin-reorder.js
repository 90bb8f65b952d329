/*
 * Move up / move down for ordered rows in the admin's inlines (levels, tracks, categories,
 * expectations, track levels, promotion guidance, FAQ). Each row with a "position" box gets
 * two buttons; moving a row swaps it with its neighbour (in the same category, for
 * expectations), and their position numbers, so
 * Save stores the new order and no other row changes. A row added with "Add another"
 * gets the next number. Without JavaScript the position boxes
 * still work: lower numbers come first.
 */
(function () {
  "use strict";

  function rowsOf(group) {
    // Saved and newly added rows, in the order shown; not the hidden template row.
    return Array.from(
      // Tabular rows, or stacked forms (a tabular inline's wrapper is not a row).
      group.querySelectorAll("tr.form-row, div.inline-related:not(.tabular)")
    ).filter(function (row) {
      return !row.classList.contains("empty-form") && positionInput(row) !== null;
    });
  }

  function section(row) {
    // Rows are ordered within their category (expectations): a row moves among the rows
    // of its own category only.
    var category = row.querySelector('select[name$="-category"]');
    return category ? category.value : "";
  }

  function neighbours(group, row) {
    return rowsOf(group).filter(function (each) {
      return section(each) === section(row);
    });
  }

  function positionInput(row) {
    return row.querySelector('input[name$="-position"]');
  }

  function label(row) {
    var original = row.querySelector("td.original p, h3 b, h3");
    var name = row.querySelector('input[name$="-name"], input[name$="-question"], textarea[name$="-text"], select[name$="-level"]');
    if (name && name.tagName === "SELECT" && name.selectedIndex >= 0) {
      return name.options[name.selectedIndex].text;
    }
    if (name && name.value) {
      return name.value.length > 60 ? name.value.slice(0, 57) + "…" : name.value;
    }
    return original ? original.textContent.trim() : "this row";
  }

  function setPosition(row, value) {
    var input = positionInput(row);
    if (String(input.value) !== String(value)) {
      input.value = value;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function refresh(group) {
    // Which buttons can move, and what they say, after any change.
    rowsOf(group).forEach(function (row) {
      var buttons = row.querySelectorAll(".reorder-buttons button");
      if (buttons.length !== 2) {
        return;
      }
      var rows = neighbours(group, row);
      var index = rows.indexOf(row);
      buttons[0].disabled = index === 0;
      buttons[1].disabled = index === rows.length - 1;
      buttons[0].setAttribute("aria-label", "Move " + label(row) + " up");
      buttons[1].setAttribute("aria-label", "Move " + label(row) + " down");
    });
  }

  function move(group, row, step, status) {
    var rows = neighbours(group, row);
    var index = rows.indexOf(row);
    var target = rows[index + step];
    if (!target) {
      return;
    }
    var mine = positionInput(row).value;
    var theirs = positionInput(target).value;
    if (step < 0) {
      target.parentNode.insertBefore(row, target);
    } else {
      target.parentNode.insertBefore(target, row);
    }
    if (mine !== "" && theirs !== "" && mine !== theirs) {
      // Swap the two numbers: only these two rows change.
      setPosition(row, theirs);
      setPosition(target, mine);
    } else {
      // Equal or missing numbers: number the rows in the order shown.
      neighbours(group, row).forEach(function (each, place) {
        setPosition(each, place);
      });
    }
    refresh(group);
    rows = neighbours(group, row);
    rows.forEach(function (other) {
      other.classList.remove("just-moved");
    });
    row.classList.add("just-moved");
    var button = row.querySelectorAll(".reorder-buttons button")[step < 0 ? 0 : 1];
    (button.disabled ? row.querySelector(".reorder-buttons button:not(:disabled)") : button).focus();
    status.textContent =
      label(row) + " is now " + (rows.indexOf(row) + 1) + " of " + rows.length +
      ". Save to keep the new order.";
  }

  function placeLast(group, row) {
    // A new row goes after the others: one more than the highest number so far.
    var highest = -1;
    neighbours(group, row).forEach(function (each) {
      var value = parseInt(positionInput(each).value, 10);
      if (each !== row && !isNaN(value) && value > highest) {
        highest = value;
      }
    });
    setPosition(row, highest + 1);
  }

  function button(text, title) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.title = title;
    return element;
  }

  function enhance(group) {
    // Groups with position boxes, also ones that start empty (rows may be added).
    if (group.dataset.reorder === "on" || !group.querySelector('input[name$="-position"]')) {
      return;
    }
    group.dataset.reorder = "on";
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    group.appendChild(status);
    rowsOf(group).forEach(function (row) {
      addButtons(group, row, status);
    });
    refresh(group);
    // Rows added with "Add another" get buttons too, and go last.
    document.addEventListener("formset:added", function (event) {
      var row = event.target;
      if (group.contains(row) && positionInput(row) && !row.querySelector(".reorder-buttons")) {
        addButtons(group, row, status);
        placeLast(group, row);
        refresh(group);
      }
    });
    // Buttons say the row's current name, also after it is edited; a row moved to
    // another category goes last in it.
    group.addEventListener("input", function () {
      refresh(group);
    });
    group.addEventListener("change", function (event) {
      var row = event.target.closest("tr.form-row, div.inline-related");
      if (row && event.target.matches('select[name$="-category"]')) {
        placeLast(group, row);
        refresh(group);
      }
    });
  }

  function addButtons(group, row, status) {
    var input = positionInput(row);
    var wrap = document.createElement("span");
    wrap.className = "reorder-buttons";
    var up = button("↑", "Move up");
    var down = button("↓", "Move down");
    up.addEventListener("click", function () {
      move(group, row, -1, status);
    });
    down.addEventListener("click", function () {
      move(group, row, 1, status);
    });
    wrap.appendChild(up);
    wrap.appendChild(down);
    input.insertAdjacentElement("afterend", wrap);
  }

  function formIndex(row) {
    var match = /-(\d+)$/.exec(row.id || "");
    return match ? parseInt(match[1], 10) : Number.MAX_SAFE_INTEGER;
  }

  function placeKey(row) {
    var category = row.querySelector('select[name$="-category"]');
    var position = parseInt(positionInput(row).value, 10);
    return [category ? category.selectedIndex : 0, isNaN(position) ? Infinity : position];
  }

  function arrange(group, compare) {
    var rows = rowsOf(group);
    var anchor = group.querySelector(".empty-form");
    rows.slice().sort(function (a, b) {
      return compare(a, b) || formIndex(a) - formIndex(b);
    }).forEach(function (row) {
      if (anchor && anchor.parentNode === row.parentNode) {
        row.parentNode.insertBefore(row, anchor);
      } else {
        row.parentNode.appendChild(row);
      }
    });
  }

  function start() {
    document.querySelectorAll(".inline-group").forEach(enhance);
    // Django renumbers the forms by their place on the page when an added row is
    // removed: put the rows back in form order first, then in position order again.
    document.addEventListener(
      "click",
      function (event) {
        var link = event.target.closest ? event.target.closest(".inline-deletelink") : null;
        var group = link && link.closest(".inline-group");
        if (group && group.dataset.reorder === "on") {
          arrange(group, function () {
            return 0;
          });
        }
      },
      true
    );
    document.addEventListener("formset:removed", function () {
      // Django renumbers right after this event: re-sort once it is done.
      window.setTimeout(function () {
        document.querySelectorAll('.inline-group[data-reorder="on"]').forEach(function (group) {
          arrange(group, function (a, b) {
            var x = placeKey(a);
            var y = placeKey(b);
            return x[0] - y[0] || (x[1] === y[1] ? 0 : x[1] < y[1] ? -1 : 1);
          });
          refresh(group);
        });
      }, 0);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
