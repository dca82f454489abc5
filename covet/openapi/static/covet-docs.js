// Starts Swagger UI on the CovetPy docs page. The page passes its settings as JSON in
// <script id="covet-docs-config"> so that no inline script is needed (a strict CSP can stay on).
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("covet-docs-config").textContent);
  window.ui = SwaggerUIBundle({
    url: config.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    oauth2RedirectUrl: window.location.origin + config.oauth2RedirectUrl,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
});
