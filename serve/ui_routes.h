// The web UI's routes on serve's HTTP server: GET / redirects to /ui/, GET /ui/ is the page,
// GET /ui/app.js and /ui/app.css its code and style (serve/ui_assets.h). They hold no data
// and need no token; the page reads the API, which does. Every answer carries a Content
// Security Policy that allows only serve's own origin (nothing from the internet).
#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace runbook {

void InstallUiRoutes(httplib::Server& server);

// Whether `path` is one of the UI's routes (they need no token).
bool IsUiPath(const std::string& path);

}  // namespace runbook
