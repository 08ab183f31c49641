#!/usr/bin/env bash
# Build lindera 6.2.0's IPADIC cache from Debian's `mecab-ipadic` source package contents.
# Needs: dpkg-deb, iconv, cargo. Network only for `apt-get download`; on an air-gapped
# machine copy the .deb over and point MECAB_IPADIC_DEB at it.
set -euo pipefail
cd "$(dirname "$0")/.."

work="target/ipadic-src"
dest=".lindera-cache/6.2.0-fmt2/lindera-ipadic"
rm -rf "$work" && mkdir -p "$work/utf8"

deb="${MECAB_IPADIC_DEB:-}"
if [[ -z "$deb" ]]; then
  (cd "$work" && apt-get download mecab-ipadic >&2)
  deb="$(ls "$work"/mecab-ipadic_*.deb | head -n 1)"
fi
echo "dictionary: building IPADIC from $deb" >&2
dpkg-deb -x "$deb" "$work/pkg"
src="$work/pkg/usr/share/mecab/dic/ipadic"
for f in "$src"/*.csv "$src"/*.def; do
  iconv -f EUC-JP -t UTF-8 "$f" > "$work/utf8/$(basename "$f")"
done

rm -rf ".lindera-cache/6.2.0-fmt2"
mkdir -p "$dest"
cargo run --quiet --release --locked --manifest-path tools/ipadic-cache/Cargo.toml -- "$work/utf8" "$dest"
