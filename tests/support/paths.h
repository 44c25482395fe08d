// Where the build put what the tests run, and where the sources are: absolute paths, fixed
// when the tests were configured. Functions in one file (paths.cpp, the only one compiled
// with them as -D definitions), so that a new build folder changes one object, not every
// test file's: the others hit ccache in a fresh clone (CI), ~150 s of its build.
#pragma once

namespace runbook::test {

const char* SourceDirPath();   // the repository's root
const char* BinaryPath();      // the runbook binary under test
const char* PdfModulePath();   // runbook_pdf.so
const char* FailRenamePath();  // the fault seam preloaded into serve (tests/seams)
const char* ArtifactsPath();   // where tests leave screenshots and reports to look at

}  // namespace runbook::test

// The names the tests have always used.
#define RUNBOOK_SOURCE_DIR (::runbook::test::SourceDirPath())
#define RUNBOOK_BINARY (::runbook::test::BinaryPath())
#define RUNBOOK_PDF_MODULE (::runbook::test::PdfModulePath())
#define RUNBOOK_FAIL_RENAME (::runbook::test::FailRenamePath())
#define RUNBOOK_ARTIFACTS_DIR (::runbook::test::ArtifactsPath())
