#!/bin/sh
# The shared library exports exactly the functions that the public headers
# declare: every dynamic symbol of libsigprop.so is declared in include/, and
# every function declared there is exported.  TAP output.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
lib=$1
inc=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..3"
if nm -D --defined-only "$lib" >"$tmp/nm" 2>"$tmp/err"; then
  echo "ok 1 - nm reads $lib"
else
  echo "not ok 1 - nm reads $lib: $(head -n 1 "$tmp/err")"
  exit 0
fi
awk '$2 ~ /^[TDBR]$/ {print $3}' "$tmp/nm" | grep -v '^_' | sort -u >"$tmp/exported"
# Function declarations: an sp_ name followed by '(' in a header.
cat "$inc"/sigprop.h "$inc"/sigprop/*.h | grep -oE '\bsp_[A-Za-z0-9_]+[[:space:]]*\(' |
  sed 's/[[:space:]]*($//' | sort -u >"$tmp/declared"
extra=$(comm -23 "$tmp/exported" "$tmp/declared" | tr '\n' ' ')
if [ -z "$extra" ]; then
  echo "ok 2 - every exported symbol is declared in include/ ($(wc -l <"$tmp/exported") symbols)"
else
  echo "not ok 2 - exported but not declared in include/: $extra"
fi
# Names in comments (e.g. "see sp_foo()") also match; only report names that
# are declared as functions, i.e. followed by '(' right after a type.
missing=""
for f in $(comm -13 "$tmp/exported" "$tmp/declared"); do
  if cat "$inc"/sigprop.h "$inc"/sigprop/*.h | grep -qE "^[A-Za-z_][A-Za-z0-9_ \*]*[ \*]$f[[:space:]]*\("; then
    missing="$missing $f"
  fi
done
if [ -z "$missing" ]; then
  echo "ok 3 - every function the headers declare is exported"
else
  echo "not ok 3 - declared in include/ but not exported:$missing"
fi
