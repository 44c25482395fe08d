// The web UI's files (web/, built by `npm run build` at setup into web/dist/), embedded in
// the binary by CMake so serve needs nothing beside it and loads nothing from the internet.
// When web/dist/ was not built before CMake ran, `built` is false and serve answers /ui/ with
// how to build it.
#pragma once

#include <cstddef>
#include <string_view>

namespace runbook {

struct UiAsset {
  std::string_view path;          // "index.html", "app.js", "app.css"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view bytes;
};

struct UiAssets {
  bool built = false;
  const UiAsset* files = nullptr;
  size_t count = 0;
};

UiAssets EmbeddedUi();

}  // namespace runbook
