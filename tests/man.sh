#!/usr/bin/env bash
# The man pages: lint clean with groff, and every example command
# (a line "$ sigprop ..." inside .EX/.EE) runs and succeeds.  Prints TAP.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?}
MAN=${SIGPROP_MAN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

for page in "$MAN"/*.[1-8]; do
  name=$(basename "$page")
  if command -v groff >/dev/null; then
    out=$(groff -man -ww -z "$page" 2>&1)
    [ -z "$out" ]; ok $? "$name lints clean${out:+: $out}"
  fi
  # Examples: unescape roff's \- and run in a scratch folder.
  sed -n '/^\.EX/,/^\.EE/p' "$page" | grep '^\$ sigprop' | sed 's/\\-/-/g; s/^\$ sigprop //' >"$tmp/ex"
  while IFS= read -r line; do
    (cd "$tmp" && eval "\"$SP\" $line" >/dev/null 2>"$tmp/err")
    st=$?
    [ $st = 0 ]; ok $? "$name example: sigprop $line$( [ $st = 0 ] || echo " -> $(head -c 200 "$tmp/err")")"
  done <"$tmp/ex"
done
# The library page's example program compiles against the build and runs.
if [ -n "${SIGPROP_CC:-}" ] && [ -f "$MAN/sigprop.3" ]; then
  sed -n '/^\.EX/,/^\.EE/p' "$MAN/sigprop.3" | sed '1d;$d' | sed 's/\\e/\\/g; s/\\-/-/g' >"$tmp/ex.c"
  if $SIGPROP_CC "$tmp/ex.c" -o "$tmp/ex" $SIGPROP_CFLAGS 2>"$tmp/cc.err"; then
    "$tmp/ex" >"$tmp/ex.out" 2>&1; st=$?
    [ $st = 0 ] && grep -q '^alpha_c = ' "$tmp/ex.out"; ok $? "sigprop.3 example runs: $(tr '\n' ' ' <"$tmp/ex.out")"
  else
    ok 1 "sigprop.3 example compiles: $(head -c 300 "$tmp/cc.err")"
  fi
fi
echo "1..$n"
[ "$failed" = 0 ]
