# Install rules and the Debian package. `cmake --install BUILD [--prefix P] [--strip]` puts:
#   bin/runbook
#   share/runbook/schemas/runbook.schema.json, share/runbook/runbooks/*.yaml (the shipped
#     runbooks; their `$schema=../schemas/...` line resolves there)
#   share/doc/runbook/ (README.md and docs/)
#   share/man/man1/runbook.1.gz (help2man on the built binary, packaging/man.sh)
#   share/bash-completion/completions/runbook, share/zsh/vendor-completions/_runbook
#     (`runbook completion bash|zsh`, generated from the CLI11 definitions)
# The man page and completions are made at build time by running the built binary.
# `cpack` (in the build folder) makes runbook_VERSION_ARCH.deb; docs/install.md.
include(GNUInstallDirs)

set(RUNBOOK_GEN ${CMAKE_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${RUNBOOK_GEN}/runbook.bash ${RUNBOOK_GEN}/_runbook
  COMMAND ${CMAKE_COMMAND} -E make_directory ${RUNBOOK_GEN}
  COMMAND sh -c "\"$1\" completion bash > \"$2\"" sh $<TARGET_FILE:runbook>
          ${RUNBOOK_GEN}/runbook.bash
  COMMAND sh -c "\"$1\" completion zsh > \"$2\"" sh $<TARGET_FILE:runbook> ${RUNBOOK_GEN}/_runbook
  DEPENDS runbook
  COMMENT "Generating the bash and zsh completions"
  VERBATIM)
set(RUNBOOK_GENERATED_FILES ${RUNBOOK_GEN}/runbook.bash ${RUNBOOK_GEN}/_runbook)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  add_custom_command(
    OUTPUT ${RUNBOOK_GEN}/runbook.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${RUNBOOK_GEN}
    COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/man.sh $<TARGET_FILE:runbook>
            ${RUNBOOK_GEN}/runbook.1.gz
    DEPENDS runbook ${PROJECT_SOURCE_DIR}/packaging/man.sh
    COMMENT "Generating the man page (help2man)"
    VERBATIM)
  list(APPEND RUNBOOK_GENERATED_FILES ${RUNBOOK_GEN}/runbook.1.gz)
  install(FILES ${RUNBOOK_GEN}/runbook.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: the man page is not built or installed "
                  "(apt-get install help2man)")
endif()
add_custom_target(runbook_generated ALL DEPENDS ${RUNBOOK_GENERATED_FILES})

# The report's Graphviz plugins are linked in from libdir/graphviz (CMakeLists.txt), which is
# not on the loader's path: the installed binary keeps that folder as its runpath, and
# dpkg-shlibdeps is told to look there (the libraries belong to Debian's libgvc6).
# The build tree's binary is linked with that same runpath: CMake's own build runpath for it
# ended in an empty entry ("graphviz:"), which the loader reads as the current directory, so
# `runbook` run from a folder holding a libssl.so.3 would load it (and every library lookup
# tried a dozen relative paths first).
set_target_properties(runbook PROPERTIES INSTALL_RPATH "${GRAPHVIZ_LIBDIR}/graphviz"
                                         BUILD_WITH_INSTALL_RPATH TRUE)
install(TARGETS runbook RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The PDF typesetter: runbook looks for it at ../lib/runbook/ from its binary
# (engine/audit/report_pdf.cpp), so not under the multiarch libdir.
install(TARGETS runbook_pdf LIBRARY DESTINATION lib/runbook)
install(FILES schemas/runbook.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/runbook/schemas)
install(DIRECTORY runbooks/ DESTINATION ${CMAKE_INSTALL_DATADIR}/runbook/runbooks
        FILES_MATCHING PATTERN "*.yaml")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${RUNBOOK_GEN}/runbook.bash RENAME runbook
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${RUNBOOK_GEN}/_runbook DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

# The .deb: library dependencies from dpkg-shlibdeps (dpkg-dev); the tools that shipped
# runbooks and steps call are listed by hand (drill-local.yaml runs sqlite3; canary-check.yaml
# curl; integrity-check's postgres mode psql, pg_restore, pg_amcheck; backup's pg_dump; npm-run
# npm); the PDF report sets its text in DejaVu Sans (fonts-dejavu-core, recommended: any sans
# serif fontconfig finds does otherwise).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME runbook)
set(CPACK_PACKAGE_CONTACT "runbook maintainers <runbook@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "declarative runbooks for backup and disaster recovery")
string(CONCAT CPACK_PACKAGE_DESCRIPTION "Validates, plans and runs YAML runbooks (a DAG of "
       "typed steps) and records every run in a tamper-evident audit store.")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${GRAPHVIZ_LIBDIR}/graphviz")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl, fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client, npm")
include(CPack)
