// Loads a runbook file: YAML with locations -> model, checking everything that can be
// checked before anything runs (keys, types, durations, step types and their parameters,
// needs and cycles, expressions and their references). Every mistake is reported, all
// together, as a located diagnostic. Thread-safe (no shared state).
#pragma once

#include <memory>
#include <string>

#include "engine/model.h"
#include "engine/plugin/registry.h"
#include "engine/source/diagnostics.h"

namespace runbook {

// Reads and validates `path`. Returns the runbook when there are no errors (warnings may
// be present in `diags`); nullptr otherwise.
std::unique_ptr<Runbook> LoadRunbookFile(const std::string& path, const StepRegistry& registry,
                                         Diagnostics& diags);

// Reads a runbook file, bounded by the size limit (a larger file is read only past the
// limit, then refused by the loader). False with a diagnostic when it cannot be read.
bool ReadRunbookSource(const std::string& path, SourceText& out, Diagnostics& diags);

// The same for text already in memory (tests, fuzzing); `path` is used in messages.
// `rejected`, when given, receives what could be read of a runbook that has errors (nullptr
// when nothing could): its `secrets:` mask the text of the errors shown about it (break24a S3).
std::unique_ptr<Runbook> LoadRunbookText(const std::string& path, std::string text,
                                         const StepRegistry& registry, Diagnostics& diags,
                                         std::unique_ptr<Runbook>* rejected = nullptr);

}  // namespace runbook
