// The OpenAPI 3 document of serve's API: serve/openapi.json, compiled in (CMake embeds it)
// and served at GET /api/v1/openapi.json. A test keeps it and the routes of api.cpp equal.
#pragma once

namespace runbook {

const char* OpenApiDocument();

}  // namespace runbook
