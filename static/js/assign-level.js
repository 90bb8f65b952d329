/*
 * Assign level: the suggested job title follows the level picked. When another level is
 * chosen, the title box gets that level's suggestion if it still holds the suggestion for
 * the level before (nobody typed their own title), and the hidden "title_for" field
 * records which level the box's suggestion is for. Without JavaScript the server does
 * the same on saving, so the page works either way.
 */
(function () {
  "use strict";

  var title = document.querySelector("input[name='job_title'][data-titles]");
  if (!title || !title.form) {
    return;
  }
  var placement = title.form.elements.namedItem("placement");
  var titleFor = title.form.elements.namedItem("title_for");
  if (!placement || !titleFor) {
    return;
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
