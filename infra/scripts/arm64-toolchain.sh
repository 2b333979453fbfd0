#!/usr/bin/env bash
# Makes sure a Rust compiler with the standard library for aarch64-unknown-linux-gnu is available,
# then prints the environment `build-lambdas.sh` should use (`RUSTC=... CARGO=...` lines).
#
# Why two paths: on a developer machine `rustup target add aarch64-unknown-linux-gnu` is all it
# takes. Where rustup cannot download (closed networks that reach only package registries, like
# this project's CI machine), Debian's `rustc-web` compiler (bookworm-security ships 1.96) has its
# aarch64 standard library as the multi-arch package `libstd-rust-web-dev:arm64`, which apt can
# install next to the amd64 compiler. Standard-library rlibs only work with the exact compiler that
# built them, so that path uses Debian's rustc and cargo for the whole Lambda build.
set -euo pipefail

target=aarch64-unknown-linux-gnu

if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    # Bounded: on a closed network the download hangs instead of failing.
    timeout 300 rustup target add "$target" >&2 || true
  fi
fi
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "# rustup toolchain has $target"
  echo "RUSTC=$(rustup which rustc)"
  echo "CARGO=$(rustup which cargo)"
  exit 0
fi

debian_rustc=/usr/bin/rustc-web
debian_cargo=/usr/bin/cargo-web
if [ ! -x "$debian_rustc" ] || ! "$debian_rustc" --print sysroot >/dev/null 2>&1 ||
  [ ! -d "$("$debian_rustc" --print sysroot)/lib/rustlib/$target/lib" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "arm64-toolchain: need root to install Debian's rustc-web and libstd-rust-web-dev:arm64" >&2
    exit 1
  fi
  echo "# installing Debian rustc-web with the arm64 standard library" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    rustc-web cargo-web "libstd-rust-web-dev:arm64" >&2
fi

sysroot=$("$debian_rustc" --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/$target/lib" ]; then
  echo "arm64-toolchain: $sysroot/lib/rustlib/$target/lib is missing after install" >&2
  exit 1
fi
echo "# Debian rustc-web $("$debian_rustc" --version) with $target"
echo "RUSTC=$debian_rustc"
echo "CARGO=$debian_cargo"
