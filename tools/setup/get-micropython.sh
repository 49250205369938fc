#!/usr/bin/env bash
# Obtain MicroPython's source tree and print its absolute path on stdout.
#
#   tools/setup/get-micropython.sh DESTDIR
#
# - If MICROPY_DIR is set, that checkout is used as is (it must look like a
#   MicroPython tree, version >= 1.25); nothing is downloaded.
# - Otherwise Debian's `micropython` source package is fetched at a pinned
#   version with `apt-get source --download-only` and its upstream tarball is
#   unpacked into DESTDIR/micropython-<version>.  The deb-src entry that needs
#   is derived from the machine's own Debian sources (same mirror URI and keyring),
#   so no mirror address is written anywhere in this repository.
#
# Idempotent: once DESTDIR/micropython-<version>/.eerom-complete exists, this only
# prints the path.  Progress goes to stderr so callers can capture stdout.
set -euo pipefail

# Preferred first.  1.26.1 is in Debian unstable; 1.25.0 is in Debian 13 "trixie"
# (stable), kept as the fallback for when unstable has moved on.
PINNED=("1.26.1+ds-1:sid" "1.25.0+ds-1:trixie")
SRC_LIST=/etc/apt/sources.list.d/eerom-micropython-src.sources

log() { echo "get-micropython: $*" >&2; }
die() { echo "get-micropython: error: $*" >&2; exit 1; }

dest=${1:?usage: get-micropython.sh DESTDIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

check_tree() {
    local d=$1
    [ -f "$d/py/mpconfig.h" ] && [ -f "$d/extmod/vfs_rom.c" ] && [ -f "$d/lib/uzlib/tinflate.c" ] \
        || die "$d is not a MicroPython >= 1.25 source tree (need py/mpconfig.h, extmod/vfs_rom.c, lib/uzlib/tinflate.c)"
}

if [ -n "${MICROPY_DIR:-}" ]; then
    d=$(cd "$MICROPY_DIR" && pwd) || die "MICROPY_DIR=$MICROPY_DIR does not exist"
    check_tree "$d"
    echo "$d"
    exit 0
fi

for entry in "${PINNED[@]}"; do
    ver=${entry%%:*}
    upstream=${ver%%+*}
    if [ -f "$dest/micropython-$upstream/.eerom-complete" ]; then
        echo "$dest/micropython-$upstream"
        exit 0
    fi
done

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
    else die "need root (or sudo) to run: $*"; fi
}

# The URI of the machine's main Debian archive, from deb822 .sources or a one-line
# sources.list.  Security and backports archives are skipped.
debian_uri() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
        uri=$(awk '
            /^URIs:/ { u=$2 } /^Suites:/ { s=$0 }
            /^$/ { if (u ~ /debian\/?$/ && s !~ /security/) { print u; exit } u=""; s="" }
            END { if (u ~ /debian\/?$/ && s !~ /security/) print u }' "$f" | head -n1)
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1 == "deb" && $0 !~ /security|backports/ {
                   for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f" | head -n1)
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$SRC_LIST" ]; then
    uri=$(debian_uri)
    [ -n "$uri" ] || die "found no Debian archive in /etc/apt/sources*; set MICROPY_DIR to a MicroPython checkout instead"
    suites=$(printf '%s\n' "${PINNED[@]}" | cut -d: -f2 | sort -u | tr '\n' ' ')
    log "adding deb-src entry for $uri ($suites) as $SRC_LIST"
    as_root tee "$SRC_LIST" >/dev/null <<EOF
# Written by eerom's tools/setup/get-micropython.sh: source packages only, used to
# fetch MicroPython's source.  Safe to delete.
Types: deb-src
URIs: $uri
Suites: $suites
Components: main
Signed-By: $keyring
EOF
    as_root apt-get update -o Dir::Etc::sourcelist="$SRC_LIST" -o Dir::Etc::sourceparts=- \
        -o APT::Get::List-Cleanup=0 >&2 || die "apt-get update failed for $SRC_LIST"
fi

work=$(mktemp -d "$dest/.apt-source.XXXXXX")
trap 'rm -rf "$work"' EXIT
for entry in "${PINNED[@]}"; do
    ver=${entry%%:*}
    upstream=${ver%%+*}
    log "fetching Debian source package micropython=$ver"
    if (cd "$work" && apt-get source --download-only "micropython=$ver" >&2 2>"$work/err"); then
        tarball=$(ls "$work"/micropython_*.orig.tar.* | head -n1)
        log "unpacking $(basename "$tarball")"
        rm -rf "$dest/micropython-$upstream"
        tar -xf "$tarball" -C "$dest"
        [ -d "$dest/micropython-$upstream" ] || die "tarball did not contain micropython-$upstream/"
        check_tree "$dest/micropython-$upstream"
        echo "$ver" > "$dest/micropython-$upstream/.eerom-complete"
        echo "$dest/micropython-$upstream"
        exit 0
    fi
    log "micropython=$ver not available: $(tail -n1 "$work/err")"
done
die "none of the pinned MicroPython versions (${PINNED[*]}) could be fetched; set MICROPY_DIR to a MicroPython >= 1.25 checkout"
