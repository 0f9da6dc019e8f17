// Starts Swagger UI on /api/docs/ (a file, not an inline script: the page's CSP allows
// only same-origin scripts). The document URL comes from the page.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
