// Reads YAML text into the located tree (SNode). The only file that includes yaml-cpp.
// Bounded: input size, nesting depth and alias expansion (node count and bytes of text) are
// limited so a hostile file is an error in milliseconds, never a crash or runaway memory.
// Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <optional>

#include "engine/source/diagnostics.h"
#include "engine/source/location.h"

namespace runbook {

struct YamlLimits {
  size_t max_bytes = 16u << 20;  // larger files are refused before parsing
  size_t max_nodes = 2'000'000;  // nodes after alias expansion
  // Bytes of scalar text (keys and values) after alias expansion: four times the largest
  // file, so only aliases can reach it; the tree takes a few times this in memory.
  size_t max_text_bytes = 64u << 20;
  int max_depth = 256;  // nesting after alias expansion
};

// Errors (syntax, encoding, limits, duplicate keys, a second document) go to `diags` located
// in `source`.
// Returns the root, or nullopt when the document could not be read at all.
std::optional<SNode> ReadYaml(const SourceText& source, Diagnostics& diags,
                              const YamlLimits& limits = {});

}  // namespace runbook
