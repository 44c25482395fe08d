#include "support/paths.h"

namespace runbook::test {

const char* SourceDirPath() { return RUNBOOK_TEST_SOURCE_DIR; }
const char* BinaryPath() { return RUNBOOK_TEST_BINARY; }
const char* PdfModulePath() { return RUNBOOK_TEST_PDF_MODULE; }
const char* FailRenamePath() { return RUNBOOK_TEST_FAIL_RENAME; }
const char* ArtifactsPath() { return RUNBOOK_TEST_ARTIFACTS_DIR; }

}  // namespace runbook::test
