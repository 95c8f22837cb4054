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
command -v dpkg-shlibdeps >/dev/null 2>&1 || need="$need dpkg-dev"
# Kerberos (#17): a KDC of the tests' own, kinit, and what the gssapi feature builds with.
for pkg in krb5-kdc krb5-admin-server krb5-user libkrb5-dev libclang-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi
command -v cargo >/dev/null 2>&1 || { echo "tests/run.sh: needs a Rust toolchain (https://rustup.rs)" >&2; exit 1; }

# The suite runs on a build with Kerberos (the gssapi feature); the Debian package and the
# lints cover the default build too.
features="--features gssapi"

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets $features -- -D warnings

# The Debian package, for tests/package.rs (skipped, saying so, when there is none).
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --locked cargo-deb ||
        echo "tests/run.sh: cargo-deb did not install; the package test will be skipped" >&2
fi
if cargo deb --version >/dev/null 2>&1; then
    rm -f target/debian/zklock_*.deb
    cargo deb --quiet
fi

cargo test --all-targets $features
