// The browsable API page (/api/docs): Swagger UI (vendored, see
// ui/vendor/VERSIONS.txt) over this server's own OpenAPI document. "Try it
// out" sends requests to this server only, with the token given under
// "Authorize"; no validator or other site is called.
window.SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#api-docs",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
});
