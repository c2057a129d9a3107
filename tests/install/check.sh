#!/bin/bash
# `cmake --install` puts the binary, systems/ and templates/ under a prefix,
# and the installed binary finds its catalogue there (not in the source
# tree), also when the source tree is gone from its view.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
fail=0
for f in bin/mlsub share/mlsub/systems/lumi.yaml share/mlsub/systems/puhti.yaml \
         share/mlsub/templates/python.sbatch.mustache share/mlsub/templates/srun.sbatch.mustache \
         share/mlsub/templates/torchrun.sbatch.mustache share/bash-completion/completions/mlsub \
         share/zsh/vendor-completions/_mlsub share/fish/vendor_completions.d/mlsub.fish; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f was not installed"; fail=1; }
done
# The installed catalogue is the one in use.
where=$("$prefix/bin/mlsub" show lumi | sed -n 's/^  catalogue: *//p')
if [ "$where" != "$prefix/share/mlsub/systems/lumi.yaml" ]; then
  echo "FAIL: installed mlsub reads $where, not $prefix/share/mlsub/systems/lumi.yaml"
  fail=1
fi
# The installed completion is the one the binary prints.
"$prefix/bin/mlsub" completion bash | cmp -s - "$prefix/share/bash-completion/completions/mlsub" ||
  { echo "FAIL: installed completion differs from mlsub completion bash"; fail=1; }
"$prefix/bin/mlsub" completion zsh | cmp -s - "$prefix/share/zsh/vendor-completions/_mlsub" ||
  { echo "FAIL: installed completion differs from mlsub completion zsh"; fail=1; }
"$prefix/bin/mlsub" completion fish | cmp -s - "$prefix/share/fish/vendor_completions.d/mlsub.fish" ||
  { echo "FAIL: installed completion differs from mlsub completion fish"; fail=1; }
# A change to the installed template shows up in the installed binary's output.
echo "# installed template" >>"$prefix/share/mlsub/templates/python.sbatch.mustache"
if ! "$prefix/bin/mlsub" plan --system lumi --gpus 1 train.py 2>/dev/null | grep -q "^# installed template"; then
  echo "FAIL: installed mlsub does not render the installed templates"
  fail=1
fi
# The same binary, copied elsewhere with the tree, still finds it (relocatable).
mv "$prefix" "$prefix.moved" && mkdir "$prefix"
trap 'rm -rf "$prefix" "$prefix.moved"' EXIT
"$prefix.moved/bin/mlsub" plan --system lumi --gpus 1 train.py >/dev/null 2>&1 ||
  { echo "FAIL: a moved install cannot plan"; fail=1; }
where=$("$prefix.moved/bin/mlsub" show lumi | sed -n 's/^  catalogue: *//p')
[ "$where" = "$prefix.moved/share/mlsub/systems/lumi.yaml" ] ||
  { echo "FAIL: moved install reads $where"; fail=1; }
# man mlsub: installed, a man page of every command, and it renders.
page=$prefix.moved/share/man/man1/mlsub.1
if grep -q '^MLSUB_MAN:BOOL=OFF' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "install: the man page is off (-DMLSUB_MAN=OFF), not checked"
elif [ ! -e "$page" ]; then
  echo "FAIL: share/man/man1/mlsub.1 was not installed"; fail=1
else
  grep -q '^\.TH MLSUB "1"' "$page" || { echo "FAIL: mlsub.1 has no .TH line"; fail=1; }
  rendered=$(man -l "$page" 2>/dev/null || groff -man -Tutf8 "$page")
  for want in NAME SYNOPSIS "EXIT STATUS" "mlsub plan" "mlsub check" "mlsub submit"; do
    grep -q "$want" <<<"$rendered" || { echo "FAIL: the man page lacks $want"; fail=1; }
  done
fi
[ "$fail" -eq 0 ] && echo "install: ok"
exit "$fail"
