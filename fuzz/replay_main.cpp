// A main for the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput once on each
// file named, or on each regular file of each folder named (sorted, not recursive). What
// libFuzzer does when given files instead of a corpus folder (its "reproduce" mode), and what
// OSS-Fuzz's "regression" builds do: CI replays the checked-in corpus and every crash found
// (fuzz/corpus/), compiled by the project's own compiler, in the main build.
//
// Takes: paths (files or folders). Returns: exit 0 after every input ran; 2 when a path cannot
// be read or no input was found. A failing input aborts inside the target (the target's own
// std::abort, or a sanitizer in a sanitized build), so the input's name is printed first.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> Inputs(int argc, char** argv, bool& ok) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path path(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      inputs.push_back(path);
    } else {
      std::fprintf(stderr, "fuzz replay: %s: not a file or folder\n", argv[i]);
      ok = false;
    }
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  bool ok = true;
  std::vector<std::filesystem::path> inputs = Inputs(argc, argv, ok);
  if (!ok) return 2;
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz replay: no input\n");
    return 2;
  }
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "fuzz replay: %s: cannot be read\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "fuzz replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("fuzz replay: %zu inputs, no failure\n", inputs.size());
  return 0;
}
