#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one release, its release notes:
#   scripts/release-notes.sh v1.2.0 [CHANGELOG.md]
# prints what stands under "## [1.2.0] - <date>" up to the next section. It
# fails when there is no such section or it is empty, so that no tag is
# released without its changelog entry.
set -euo pipefail
tag=${1:?usage: release-notes.sh vX.Y.Z [CHANGELOG.md]}
changelog=${2:-CHANGELOG.md}
version=${tag#v}
notes=$(awk -v head="## [$version]" '
  index($0, "## [") == 1 || /^\[[^]]+\]: / { if (found) exit }
  index($0, head) == 1 { found = 1; next }
  found { print }
' "$changelog")
if [ -z "${notes//[[:space:]]/}" ]; then
  echo "release-notes: $changelog has no \"## [$version]\" section; move the Unreleased lines under one before tagging $tag" >&2
  exit 1
fi
printf '%s\n' "$notes"
