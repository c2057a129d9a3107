#!/bin/bash
# --help and the man page say what mlsub does: counts show as numbers (N),
# not TEXT; lists (launchers) come from mlsub's own tables; the README names
# every flag; the man page's examples are one a line and its ENVIRONMENT
# names every variable mlsub (or the script it writes) reads.
. "$(dirname "$0")/lib.sh"

commands=$("$MLSUB" completion --list commands | cut -f1)
for cmd in $commands; do
  run "$cmd" --help
  expect_rc 0
  if grep -q 'TEXT' "$out"; then bad "mlsub $cmd --help shows TEXT: $(grep TEXT "$out" | head -3)"; else ok; fi
done

run plan --help
for flag in --gpus --nodes --gpus-per-node; do
  grep -qE -- "^ *(-[a-zA-Z],)?$flag N " "$out" && ok || bad "$flag is not shown as a number (N)"
done
expect_stdout_has "MM:SS"
expect_stdout_has "1:30 is 90 seconds"
# Every launcher mlsub has is in --launcher's help, and in the README's.
help_text=$(tr -s ' \n' ' ' <"$out")
for launcher in $("$MLSUB" completion --list launchers | cut -f1); do
  last_command="mlsub plan --help: --launcher $launcher"
  grep -qF -- "$launcher (" <<<"$help_text" && ok || bad "--launcher's help lacks $launcher"
  grep -qE -- "--launcher [a-z|]*$launcher" "$MLSUB_SOURCE_DIR/README.md" && ok ||
    bad "README's --launcher lacks $launcher"
done

# The README names every flag of plan and submit.
for cmd in plan submit; do
  run "$cmd" --help
  for flag in $(grep -oE -- '^ +(-[a-zA-Z],)?--[a-z][a-z-]+' "$out" | sed 's/.*,//; s/^ *//' | sort -u); do
    last_command="README.md: mlsub $cmd $flag"
    grep -qF -- "$flag" "$MLSUB_SOURCE_DIR/README.md" && ok || bad "README.md does not mention $flag"
  done
done

# The man page, made as the build makes it.
if ! command -v help2man >/dev/null; then
  echo "SKIP: help2man is not installed (scripts/deps.sh)"
  exit 77
fi
last_command="cmake/mlsub_man.sh"
bash "$MLSUB_SOURCE_DIR/cmake/mlsub_man.sh" help2man "$MLSUB" "$work/mlsub.1" && ok || bad "mlsub_man.sh failed"
MANWIDTH=200 man -l "$work/mlsub.1" 2>/dev/null >"$work/man.txt"
# A section's lines, unindented: headings are the lines that start a line.
section() { sed -n "/^$1\$/,/^[A-Z]/p" "$work/man.txt" | sed 's/^ *//'; }
# COMMANDS: every command's own --help.
for cmd in $commands; do
  last_command="man mlsub: COMMANDS: mlsub $cmd"
  grep -qx "   mlsub $cmd" "$work/man.txt" && ok || bad "the man page has no section for mlsub $cmd"
done
# EXAMPLES: each of --help's examples on a line of its own.
"$MLSUB" --help | sed -n '/^Examples:$/,/^$/s/^  //p' >"$work/examples"
[ -s "$work/examples" ] && ok || bad "mlsub --help has no examples"
section EXAMPLES >"$work/man-examples"
while IFS= read -r example; do
  last_command="man mlsub: EXAMPLES: $example"
  grep -qxF -- "$example" "$work/man-examples" && ok || bad "not a line of its own in EXAMPLES"
done <"$work/examples"
# ENVIRONMENT: every variable read in the source (getenv) and every MLSUB_
# variable the templates read.
section ENVIRONMENT >"$work/man-env"
vars=$( (grep -rhoE 'getenv\("[A-Z_]+"\)' "$MLSUB_SOURCE_DIR/src" | sed -E 's/getenv\("([A-Z_]+)"\)/\1/'
  grep -rhoE '\$\{?MLSUB_[A-Z_]+' "$MLSUB_SOURCE_DIR/templates" | tr -d '${'
  grep -rhoE '"(MLSUB|SBATCH)_[A-Z_]+"' "$MLSUB_SOURCE_DIR/src/cli/request_options.cpp" | tr -d '"') | sort -u)
[ -n "$vars" ] && ok || bad "no variables found in the source"
for var in $vars; do
  last_command="man mlsub: ENVIRONMENT: $var"
  grep -qE -- "^$var( |\$)" "$work/man-env" && ok || bad "ENVIRONMENT does not list $var"
done
finish
