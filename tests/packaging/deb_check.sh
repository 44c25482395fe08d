#!/usr/bin/env bash
# Issue 14 item 18: the .deb installs and runs. Runs cpack in the build folder, installs the
# package with dpkg -i (system-wide: CI runs as root on a throwaway machine; the other tests
# run the build's binary by its path, never /usr/bin/runbook), then checks the installed
# binary (--version, validate on every shipped runbook, a PDF report through the typesetter
# module), the schema and docs, the man page
# (man -l renders it), the bash completion (loads, completes) and the zsh one (when zsh is
# there), and removes the package. Exit 77 (skipped) without root or dpkg, or when a runbook
# package is already installed (the test never replaces one). Usage: deb_check.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
[ "$(id -u)" = 0 ] || { echo "skipped: dpkg -i needs root"; exit 77; }
command -v dpkg > /dev/null || { echo "skipped: no dpkg"; exit 77; }
if dpkg-query -W -f='${Status}' runbook 2> /dev/null | grep -q 'ok installed'; then
  echo "skipped: a runbook package is installed already"
  exit 77
fi
work="$(mktemp -d)"
trap 'dpkg -r runbook > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
step() { printf '%s: %s s\n' "$1" "$((SECONDS - start))"; }
fail() { echo "FAIL: $*"; exit 1; }
start=$SECONDS

if ! (cd "$build" && cpack -G DEB -B "$work" > "$work/cpack.log" 2>&1); then
  cat "$work/cpack.log"
  fail "cpack"
fi
deb="$(ls "$work"/runbook_*.deb)"
step "cpack ($(du -h "$deb" | cut -f1))"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for need in libc6 libsqlite3 libcurl sqlite3; do
  grep -q "$need" <<< "$depends" || fail "Depends lacks $need"
done

dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
step "dpkg -i"
version="$(dpkg-deb -f "$deb" Version)"
[ "$(/usr/bin/runbook --version)" = "runbook $version" ] || fail "runbook --version"
file -L /usr/bin/runbook | grep -q ', stripped' || fail "the installed binary is not stripped"
/usr/bin/runbook validate /usr/share/runbook/runbooks/*.yaml || fail "validate shipped runbooks"
[ -s /usr/share/runbook/schemas/runbook.schema.json ] || fail "no schema"
[ -s /usr/share/doc/runbook/operator.md ] || fail "no docs"

man_text="$(MANWIDTH=100 man -l /usr/share/man/man1/runbook.1.gz 2> "$work/man.err")"
grep -q '^NAME' <<< "$man_text" || fail "man page has no NAME section"
subcommands="$(/usr/bin/runbook --help \
  | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')"
for sub in $subcommands; do
  grep -q "runbook $sub\$" <<< "$man_text" || fail "man page has no section for '$sub'"
done
[ ! -s "$work/man.err" ] || { cat "$work/man.err"; fail "man -l wrote errors"; }

bash_file=/usr/share/bash-completion/completions/runbook
bash -c "source $bash_file && complete -p runbook" | grep -q -- '-F _runbook' \
  || fail "the bash completion does not register"
offered="$(bash -c "source $bash_file; COMP_WORDS=(runbook vali); COMP_CWORD=1; _runbook
  echo \"\${COMPREPLY[*]}\"")"
[ "$offered" = validate ] || fail "bash completes 'vali' to '$offered'"
zsh_file=/usr/share/zsh/vendor-completions/_runbook
[ -s "$zsh_file" ] || fail "no zsh completion"
if command -v zsh > /dev/null; then zsh -n "$zsh_file" || fail "zsh completion syntax"; fi
# The PDF report: the typesetter module installed where the binary looks (../lib/runbook/).
printf 'version: 1\nname: d\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n' > "$work/d.yaml"
/usr/bin/runbook run "$work/d.yaml" --audit-db "$work/a.db" > /dev/null 2>&1 || fail "run d.yaml"
run_id="$(/usr/bin/runbook history --format json --audit-db "$work/a.db" 2> /dev/null \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')"
/usr/bin/runbook report "$run_id" --output "$work/r.pdf" --audit-db "$work/a.db" \
  || fail "the installed runbook makes no PDF report"
[ "$(head -c 5 "$work/r.pdf")" = "%PDF-" ] || fail "the PDF report is not a PDF"
grep -q "libpango" <<< "$depends" || fail "Depends lacks the PDF typesetter's libpango"
step "checks"

dpkg -r runbook > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/runbook ] || fail "dpkg -r left /usr/bin/runbook"
step "dpkg -r"
