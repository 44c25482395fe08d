#include "serve/ui_routes.h"

#include <httplib.h>

#include "serve/ui_assets.h"

namespace runbook {
namespace {

void Secure(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                 "base-uri 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
}

void Serve(const std::string& name, httplib::Response& res) {
  Secure(res);
  UiAssets ui = EmbeddedUi();
  if (!ui.built) {
    res.status = 503;
    res.set_content(
        "runbook's web UI was not built into this binary: run scripts/setup.sh (it builds web/ "
        "with npm), then build runbook again.\n",
        "text/plain; charset=utf-8");
    return;
  }
  for (size_t i = 0; i < ui.count; ++i) {
    if (ui.files[i].path == name) {
      res.set_content(std::string(ui.files[i].bytes), std::string(ui.files[i].content_type));
      return;
    }
  }
  res.status = 404;
  res.set_content("no such file\n", "text/plain; charset=utf-8");
}

}  // namespace

bool IsUiPath(const std::string& path) { return path == "/" || path.rfind("/ui/", 0) == 0; }

void InstallUiRoutes(httplib::Server& s) {
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    Secure(res);
    res.set_redirect("/ui/");
  });
  s.Get("/ui/", [](const httplib::Request&, httplib::Response& res) { Serve("index.html", res); });
  s.Get(R"(/ui/(app\.js|app\.css))",
        [](const httplib::Request& req, httplib::Response& res) { Serve(req.matches[1], res); });
}

}  // namespace runbook
