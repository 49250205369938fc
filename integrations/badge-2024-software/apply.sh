#!/bin/sh
# Put eerom into a checkout of the Tildagon badge's repository (emfcamp/badge-2024-software):
# apply this folder's patch series with `git am`, in name order, and copy eerom's C module
# to drivers/eerom, where the patched drivers/micropython.cmake looks for it.  Then build
# the badge's way: ./scripts/firstTime.sh, and its container (see README.md here).
#
#   integrations/badge-2024-software/apply.sh BADGE_CHECKOUT
#
# The series is written against the commit in README.md; `git am` stops with a clear
# message at the first patch that does not apply (resolve it, or `git am --abort`).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BADGE_CHECKOUT (a git checkout of emfcamp/badge-2024-software)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
eerom=$(cd "$here/../.." && pwd)
badge=$1
git -C "$badge" rev-parse --git-dir >/dev/null 2>&1 || { echo "$0: $badge is not a git checkout" >&2; exit 2; }
# A committer for `git am` on machines (CI) that have none configured.
git -C "$badge" -c user.name="${GIT_COMMITTER_NAME:-eerom}" -c user.email="${GIT_COMMITTER_EMAIL:-eerom@localhost}" \
    am --quiet "$here"/*.patch
# A copy, not a link: the badge's build container sees only the checkout.
rm -rf "$badge/drivers/eerom"
mkdir -p "$badge/drivers/eerom"
cp -R "$eerom/micropython.cmake" "$eerom/usermod" "$badge/drivers/eerom/"
echo "eerom: $(ls "$here"/*.patch | wc -l) patches applied to $badge; eerom's C module is at drivers/eerom"
