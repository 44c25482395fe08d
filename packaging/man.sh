#!/usr/bin/env bash
# Writes runbook's man page (gzipped) from its own --help output with help2man: the top-level
# help, then every subcommand's help (found in the "Subcommands:" lists, recursively), so the
# page follows the CLI11 definitions in cli/main.cpp. Usage: man.sh RUNBOOK_BINARY OUT.1.gz
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
out="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Run as plain `runbook` (on PATH) so the usage lines name it, not the build folder.
mkdir "$work/bin"
ln -s "$binary" "$work/bin/runbook"
export PATH="$work/bin:$PATH"

# Roff-safe verbatim lines: backslashes escaped, a leading . or ' neutralised.
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# The names listed under "Subcommands:" in one help text.
subcommands() { awk '/^Subcommands:/ {on = 1; next} /^[^ ]/ {on = 0} on && /^  [a-z]/ {print $1}'; }

describe() {  # describe "audit verify": its help as a subsection, then its subcommands'
  local path="$1" help sub
  # shellcheck disable=SC2086 # the path is words
  help="$(runbook $path --help)"
  printf '.SS "runbook %s"\n.nf\n' "$path"
  printf '%s\n' "$help" | roff
  printf '.fi\n'
  for sub in $(printf '%s\n' "$help" | subcommands); do describe "$path $sub"; done
}

{
  printf '[COMMANDS]\n'
  for sub in $(runbook --help | subcommands); do describe "$sub"; done
  printf '[FILES]\n'
  printf 'Under the installation prefix (/usr for the Debian package, /usr/local by default):\n'
  printf '.TP\nshare/runbook/schemas/runbook.schema.json\n'
  printf 'the JSON Schema of runbook files (editors: yaml-language-server)\n'
  printf '.TP\nshare/runbook/runbooks/\nthe shipped runbooks\n'
  printf '[SEE ALSO]\n'
  printf 'The guides in share/doc/runbook/ (operator.md, authoring.md, cli.md, steps.md).\n'
} > "$work/include.h2m"

help2man --no-info --no-discard-stderr --section 1 \
  --name "declarative runbooks for backup and disaster recovery" \
  --include "$work/include.h2m" --output "$work/runbook.1" runbook
gzip -9 -n -c "$work/runbook.1" > "$out"
