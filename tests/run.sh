#!/bin/sh
# Installs what the tests need (Debian packages, as root) and runs the whole suite:
# formatting, lints, unit tests and the end-to-end tests against real ZooKeeper servers.
set -eu
cd "$(dirname "$0")/.."

need=""
for pkg in zookeeper python3-kazoo libcurator-recipes-java; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
command -v javac >/dev/null 2>&1 || need="$need default-jdk-headless"
command -v man >/dev/null 2>&1 || need="$need man-db"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v faketime >/dev/null 2>&1 || need="$need faketime"
if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi
command -v cargo >/dev/null 2>&1 || { echo "tests/run.sh: needs a Rust toolchain (https://rustup.rs)" >&2; exit 1; }

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
