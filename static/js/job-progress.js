/*
 * A background task's page: ask the server how far the task has got every second and
 * move the progress bar; when the task has finished, load the page again to show its
 * outcome. Without JavaScript the page reloads itself every few seconds instead.
 */
(function () {
  "use strict";

  var page = document.querySelector("[data-status-url]");
  if (!page) {
    return;
  }
  var bar = document.getElementById("job-bar");
  var state = document.getElementById("job-state");

  function follow() {
    fetch(page.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.reload();
          return;
        }
        if (status.percent === null) {
          bar.removeAttribute("value");
        } else {
          bar.value = status.percent;
          bar.textContent = status.percent + "%";
        }
        if (state.textContent !== status.text) {
          state.textContent = status.text;
        }
        window.setTimeout(follow, 1000);
      })
      .catch(function () {
        // The server did not answer: try again a little later.
        window.setTimeout(follow, 3000);
      });
  }

  window.setTimeout(follow, 500);
})();
