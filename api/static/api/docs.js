// The API's documentation page: Swagger UI over the schema, from the app's own files.
// A signed-in person tries requests with their sign-in (writes carry the CSRF token), or
// with a personal access token through "Authorize".
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  const csrfToken = root.dataset.csrfToken;
  SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    requestInterceptor: function (request) {
      if (request.method && request.method !== "GET" && csrfToken) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
