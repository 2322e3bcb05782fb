#!/usr/bin/env bash
# Builds the board packages, smsgate_<version>-1_arm64.deb and ..._armhf.deb, with cargo-deb
# (metadata: Cargo.toml [package.metadata.deb]; maintainer scripts: debian/). Extra arguments
# go to every `cargo deb`, e.g. --output DIR. Needs the cross toolchains (README, "Cross builds
# and packages") and `cargo install cargo-deb`.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  # --no-strip: the release profile already strips (strip = true), and the host's strip
  # cannot read a foreign-architecture binary.
  cargo deb --target "$target" --no-strip "$@"
done
