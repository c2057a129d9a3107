# Debian 12 packages mlsub needs to build, test and check its scripts.
# Sourced by scripts/quickstart and scripts/test; installs only what is
# missing, so a second run is quick and needs no network.
mlsub_packages=(
  cmake g++ make pkg-config
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev libspdlog-dev
  catch2 libkainjow-mustache-dev libexpected-dev libre2-dev libhowardhinnant-date-dev
  shellcheck python3 python3-yaml help2man librsvg2-bin
  # the Slurm lab's site emulation (tests/slurm/site/): Lmod for the sites'
  # modules, spank.h for the uenv stand-in, PMIx for srun --mpi=pmix (Alps's
  # Container Engine jobs); python3-torch: installed by the suites that train
  lmod libslurm-dev libpmix2 libpmix-dev
  # tests/cli/completion.sh runs the zsh and fish completion in the real shells
  zsh fish
  # the fuzz targets (scripts/fuzz): clang with libFuzzer and its sanitizer
  # runtimes, and llvm-symbolizer for readable stacks
  clang-14 libclang-rt-14-dev llvm-14
)

mlsub_install_deps() {
  local missing=() pkg
  for pkg in "${mlsub_packages[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# mlsub_build DIR [CMAKE ARGS...]: configure (once) and build in DIR.
mlsub_build() {
  local dir=$1
  shift
  echo "==> building in $dir"
  mkdir -p "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log"; return 1; }
  cmake --build "$dir" -j "$(nproc)"
}
