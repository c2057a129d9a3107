# Helpers for the end-to-end suites: run the real mlsub binary, then assert
# on its exit code, stdout and stderr. Sourced by tests/cli/*.sh.
set -u
: "${MLSUB:?MLSUB must name the mlsub binary}"
: "${MLSUB_SOURCE_DIR:?}"
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/stdout
err=$work/stderr
rc=0

# run ARGS...: runs mlsub; sets $rc, fills $out and $err.
run() {
  "$MLSUB" "$@" >"$out" 2>"$err"
  rc=$?
  last_command="mlsub $*"
}

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $last_command"
  echo "  $1"
  echo "  --- stdout:"; sed 's/^/  | /' "$out" | head -20
  echo "  --- stderr:"; sed 's/^/  | /' "$err" | head -20
}

expect_rc() { if [ "$rc" -eq "$1" ]; then ok; else bad "exit code $rc, expected $1"; fi; }
# The whole of stderr must be exactly this text.
expect_stderr() {
  if [ "$(cat "$err")" = "$1" ]; then ok; else bad "stderr is not: $1"; fi
}
expect_stderr_has() { if grep -qF -- "$1" "$err"; then ok; else bad "stderr lacks: $1"; fi; }
expect_stdout_has() { if grep -qF -- "$1" "$out"; then ok; else bad "stdout lacks: $1"; fi; }
expect_stdout_lacks() { if grep -qF -- "$1" "$out"; then bad "stdout has: $1"; else ok; fi; }
expect_stdout_empty() { if [ -s "$out" ]; then bad "stdout is not empty"; else ok; fi; }
expect_stderr_lines() {
  local n
  n=$(wc -l <"$err")
  if [ "$n" -eq "$1" ]; then ok; else bad "stderr has $n lines, expected $1"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
