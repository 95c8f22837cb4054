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
# Where it runs (tests/portable.rs, packaging/build): the static builds (musl-tools, the
# aarch64 cross gcc), qemu-user, a Debian 11 root (debootstrap), a seccomp filter like
# Docker's (python3-seccomp), and rpm to inspect the RPM.
for pkg in krb5-kdc krb5-admin-server krb5-user libkrb5-dev libclang-dev \
    musl-tools gcc-aarch64-linux-gnu qemu-user debootstrap python3-seccomp rpm; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
# Monitoring (#34): promtool checks `ls --prometheus` and README's alert rule; GNU time
# measures peak memory.
command -v promtool >/dev/null 2>&1 || need="$need prometheus"
command -v /usr/bin/time >/dev/null 2>&1 || need="$need time"
if [ -n "$need" ]; then
    apt-get update -qq
    # The prometheus package would start a server listening on every address: tests use
    # only promtool, and only loopback, so no service starts while installing.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
    if [ -n "$policy" ]; then rm -f "$policy"; fi
fi
command -v cargo >/dev/null 2>&1 || { echo "tests/run.sh: needs a Rust toolchain (https://rustup.rs)" >&2; exit 1; }

# The suite runs on a build with Kerberos (the gssapi feature); the Debian package and the
# lints cover the default build too.
features="--features gssapi,test-hooks"

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets $features -- -D warnings

# The tools that make the packages.
for tool in deb generate-rpm; do
    cargo $tool --version >/dev/null 2>&1 || cargo install --locked --quiet cargo-$tool
done
rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl

# A Debian 11 root (glibc 2.31), and zklock built inside it as a user there would build it
# (tests/portable.rs): `cargo build --release`, with the release profile's link arguments and
# build script, but without LTO and with parallel codegen (what differs is only how the code
# is optimised, not what glibc it needs; LTO's single-threaded link would add minutes to CI).
# Made once; the build uses this host's toolchain and crates.
root=target/debian11/root
if [ ! -e "$root/etc/debian_version" ]; then
    rm -rf "$root.new"
    mkdir -p target/debian11
    debootstrap --variant=minbase --include=gcc,libc6-dev bullseye "$root.new" \
        http://deb.debian.org/debian >target/debian11/debootstrap.log
    mv "$root.new" "$root"
fi
mkdir -p "$root/src" "$root/root/.cargo" "$root/root/.rustup"
# The static binaries and every package of both architectures (tests/package.rs,
# tests/portable.rs), made meanwhile: each build has a long single-threaded link (LTO).
rm -rf target/packages
sh packaging/build >target/packages.log 2>&1 &
packaging=$!
unshare --mount --propagation private sh -c '
    root=$1
    mount --bind . "$root/src"
    mount --bind "${CARGO_HOME:-$HOME/.cargo}" "$root/root/.cargo"
    mount --bind "${RUSTUP_HOME:-$HOME/.rustup}" "$root/root/.rustup"
    mount -t proc proc "$root/proc"
    exec chroot "$root" /usr/bin/env HOME=/root PATH=/root/.cargo/bin:/usr/bin:/bin \
        CARGO_HOME=/root/.cargo RUSTUP_HOME=/root/.rustup CARGO_TARGET_DIR=/src/target/debian11/build \
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        /bin/sh -c "cd /src && cargo build --release --locked --offline --quiet"
' sh "$root"
wait $packaging || { cat target/packages.log >&2; exit 1; }

# zklock cgroups there before the suite (a developer's killed runs) are not the suite's.
before=$(find /sys/fs/cgroup -name 'zklock-*' -type d 2>/dev/null | sort)
cargo test --all-targets $features

# The safety tests again on the paths a container, an old kernel and one CPU leave zklock
# (tests/support/confine): clone3 refused by seccomp and no writable cgroup; uname saying
# 2.6 (no cgroup.kill) with clone3 and close_range refused; a single CPU.
ZKLOCK_TEST_CONFINE=container cargo test $features --test safety
confined="sigkill stopped oom watchdog setsid cgroup"
ZKLOCK_TEST_CONFINE=old-kernel cargo test $features --test safety -- $confined
ZKLOCK_TEST_CONFINE=one-cpu cargo test $features --test safety -- $confined

# Nothing left behind by the whole suite: no cgroup of a zklock's command (a watchdog removes
# its zklock's once the command's processes are gone; give the last ones a moment).
for _ in 1 2 3 4 5 6 7 8 9 10; do
    left=""
    for dir in $(find /sys/fs/cgroup -name 'zklock-*' -type d 2>/dev/null); do
        case "
$before
" in
            *"
$dir
"*) ;;
            *) left="$left $dir" ;;
        esac
    done
    [ -z "$left" ] && break
    sleep 1
done
if [ -n "$left" ]; then
    echo "tests/run.sh: cgroups left behind: $left" >&2
    exit 1
fi
