#!/usr/bin/env bash
# Make sure lindera 6.2.0 finds a compiled IPADIC in .lindera-cache/, so `cargo build`
# never downloads it (lindera's build script would fetch it from the internet otherwise).
#
# Order of preference:
#   1. .lindera-cache already holds it                      -> nothing to do
#   2. $NIMO_LINDERA_CACHE or ../shared/lindera-cache holds it -> link to it
#   3. build it from Debian's mecab-ipadic package (about a minute, offline-capable:
#      set MECAB_IPADIC_DEB=/path/to/mecab-ipadic_*.deb on an air-gapped machine)
set -euo pipefail
cd "$(dirname "$0")/.."

version_dir="6.2.0-fmt2"
target=".lindera-cache/$version_dir/lindera-ipadic"

if [[ -f "$target/metadata.json" && -f "$target/dict.words" ]]; then
  exit 0
fi

for candidate in "${NIMO_LINDERA_CACHE:-}" "../shared/lindera-cache"; do
  if [[ -n "$candidate" && -f "$candidate/$version_dir/lindera-ipadic/dict.words" ]]; then
    mkdir -p ".lindera-cache"
    rm -rf ".lindera-cache/$version_dir"
    ln -s "$(cd "$candidate/$version_dir" && pwd)" ".lindera-cache/$version_dir"
    echo "dictionary: using prebuilt IPADIC from $candidate" >&2
    exit 0
  fi
done

exec scripts/build-dictionary-from-debian.sh
