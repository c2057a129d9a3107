#!/bin/bash
# Packs the built mlsub (stripped) and any shared libraries it needs beyond
# glibc (none when it is linked statically, as the default build is) into
# build/device/ (bin/mlsub, lib/), for a GPU machine that has no network and
# no Debian packages of ours. Then, with the device tool:
#   run(carry=["build/device"], command="tests/gpu/real_nvidia_smi.sh")
# (docs/development/testing.md, "On a real GPU").
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$src/build/mlsub}
dest=$src/build/device
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib"
strip -o "$dest/bin/mlsub" "$bin"
ldd "$bin" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
  case $(basename "$lib") in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
    *) cp -L "$lib" "$dest/lib/" ;;
  esac
done
du -sh "$dest"
