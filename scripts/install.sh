#!/usr/bin/env bash
# Installs charnn (make install runs it with the release binary):
#
#   scripts/install.sh BIN DEST MANPAGE
#
#   DEST/bin/charnn                                   BIN
#   DEST/share/charnn/checkpoints/shakespeare-lstm/   the shipped model (where `charnn repl` finds it)
#   DEST/share/bash-completion/completions/charnn     shell completions, written by BIN itself
#   DEST/share/zsh/site-functions/_charnn             (--generate-completion-script)
#   DEST/share/fish/vendor_completions.d/charnn.fish
#   DEST/share/man/man1/charnn.1                      MANPAGE (make install: swift-argument-parser's
#                                                     generate-manual plugin, from the release binary)
#
# DEST is $(DESTDIR)$(PREFIX): with DESTDIR set, files are staged for a package, and the installed
# binary still finds its model relative to itself.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: scripts/install.sh BIN DEST MANPAGE" >&2; exit 2; }
bin=$1 dest=$2 manpage=$3
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin" ] || { echo "error: no charnn binary at $bin (make build)" >&2; exit 1; }
[ -f "$manpage" ] || { echo "error: no man page at $manpage (swift package plugin generate-manual)" >&2; exit 1; }
model=checkpoints/shakespeare-lstm

install -d "$dest/bin" "$dest/share/charnn/$model" "$dest/share/bash-completion/completions" \
  "$dest/share/zsh/site-functions" "$dest/share/fish/vendor_completions.d" "$dest/share/man/man1"
install -m 755 "$bin" "$dest/bin/charnn"
install -m 644 "$root/$model"/* "$dest/share/charnn/$model/"
"$bin" --generate-completion-script bash > "$dest/share/bash-completion/completions/charnn"
"$bin" --generate-completion-script zsh > "$dest/share/zsh/site-functions/_charnn"
"$bin" --generate-completion-script fish > "$dest/share/fish/vendor_completions.d/charnn.fish"
chmod 644 "$dest/share/bash-completion/completions/charnn" "$dest/share/zsh/site-functions/_charnn" \
  "$dest/share/fish/vendor_completions.d/charnn.fish"
install -m 644 "$manpage" "$dest/share/man/man1/charnn.1"
echo "charnn: installed $("$dest/bin/charnn" --version | head -1) in $dest"
