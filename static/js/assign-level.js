/*
 * Assign level: the suggested job title follows the level picked, and the title box reads
 * as applied only while "Change their job title too" is ticked.
 *
 * When another level is chosen, the title box gets that level's suggestion if it still
 * holds the suggestion for the level before (nobody typed their own title), and the
 * hidden "title_for" field records which level the box's suggestion is for. Picking a
 * level never ticks or unticks the box: that is the person's choice.
 *
 * Unticked, the title box is read-only and muted, and its help says it is not applied;
 * ticked, it is editable and its help says it is saved. The server sends both help texts;
 * the stylesheet shows the one that applies (also without this script), the script hides
 * the other as well, for browsers without :has().
 *
 * Without JavaScript the server follows the level on saving and ignores the title when
 * the box is unticked, so the page works either way.
 */
(function () {
  "use strict";

  var title = document.querySelector("input[name='job_title'][data-titles]");
  if (!title || !title.form) {
    return;
  }
  var form = title.form;
  var placement = form.elements.namedItem("placement");
  var titleFor = form.elements.namedItem("title_for");
  var update = form.elements.namedItem("update_title");
  if (!placement || !titleFor) {
    return;
  }

  function showState() {
    if (!update) {
      return;
    }
    var applied = update.checked;
    title.readOnly = !applied;
    title.classList.toggle("is-not-applied", !applied);
    var helps = form.querySelectorAll("[data-title-help]");
    for (var i = 0; i < helps.length; i++) {
      var forApplied = helps[i].getAttribute("data-title-help") === "applied";
      helps[i].hidden = forApplied !== applied;
    }
  }

  if (update) {
    update.addEventListener("change", showState);
    // Also after the browser restores a box ticked or unticked before a reload.
    window.addEventListener("pageshow", showState);
    showState();
  }

  var titles;
  try {
    titles = JSON.parse(title.getAttribute("data-titles"));
  } catch (error) {
    return;
  }

  placement.addEventListener("change", function () {
    var shown = titles[titleFor.value];
    var suggestion = titles[placement.value];
    if (suggestion === undefined || title.value.trim() !== (shown || "").trim()) {
      return; // someone's own title: keep it
    }
    title.value = suggestion;
    titleFor.value = placement.value;
  });
})();
