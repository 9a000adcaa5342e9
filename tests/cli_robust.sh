#!/usr/bin/env bash
# Command-line tests of robustness (issue 12): outputs all-or-nothing across
# every command, signals (a real SIGINT/SIGTERM/SIGHUP to a running diagram),
# symbolic links, permission bits, devices, a full disk (/dev/full), errors on
# one line whatever the arguments hold, bytes that are not UTF-8 in titles and
# paths, the grid cap and the figure limits.  Prints TAP.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PYTHON" -c "$@"; }

# A fresh, empty work directory holding only the directory adir.png.
fresh() { rm -rf "$tmp/w"; mkdir -p "$tmp/w/adir.png"; cd "$tmp/w" || exit 1; }
# Nothing but the listed names (and adir.png) is left in the work directory.
only() {
  local want have
  want=$(printf '%s\n' adir.png "$@" | sort | tr '\n' ' ')
  have=$(ls -A | sort | tr '\n' ' ')
  [ "$have" = "$want" ] || { echo "# left: $have (expected $want)"; return 1; }
}
# fails WANT PATTERN ARGS...: exit WANT, one stderr line matching PATTERN.
fails() {
  local want=$1 pat=$2; shift 2
  "$SP" "$@" >out.txt 2>err.txt </dev/null
  local st=$? lines; lines=$(wc -l <err.txt)
  rm -f out.txt
  if [ "$st" = "$want" ] && [ "$lines" = 1 ] && grep -q "^sigprop: .*$pat" err.txt; then
    rm -f err.txt; return 0
  fi
  echo "# status $st, stderr: $(head -c 300 err.txt)"; rm -f err.txt; return 1
}

small="--width 16 --seeds 2 --tokens 8 --depth 2 --threads 1 --quiet"
dg="--x beta:0.1:2:4 --y alpha-sa:0.1:2:4 --depth 3 --quiet"

# --- all-or-nothing: an output that is a directory leaves nothing ----------------
fresh; fails 1 "adir.png: cannot write: Is a directory" diagram $dg -o grid.csv -o adir.png
ok $? "diagram -o grid.csv -o adir.png fails"; only; ok $? "diagram leaves no grid.csv"
fresh; fails 1 "Is a directory" diagram $dg -o grid.csv --curves adir.png.csv -o adir.png
ok $? "diagram --curves fails"; only; ok $? "diagram --curves leaves nothing"
fresh; ln -s /dev/full full.csv
fails 1 "full.csv: cannot write: No space left on device" diagram $dg -o d.svg -o g.tsv --curves full.csv
ok $? "diagram --curves on a full disk fails"; rm -f full.csv; only; ok $? "diagram --curves failing at close leaves no figure or grid"
fresh; fails 1 "Is a directory" attention --lambda 0:2:3 --tokens 8 -o t.csv -o adir.png
ok $? "attention fails"; only; ok $? "attention leaves no t.csv"
fresh; fails 1 "Is a directory" mlp --x var-w:1:2:3 --y var-b:0:0.1:3 -o t.csv -o adir.png
ok $? "mlp fails"; only; ok $? "mlp leaves no t.csv"
fresh; fails 1 "Is a directory" validate $small -o t.csv -o adir.png
ok $? "validate -o t.csv -o adir.png fails"; only; ok $? "validate leaves no t.csv"
fresh; fails 1 "Is a directory" propagate --depth 3 -o t.csv -o adir.png
ok $? "propagate -o t.csv -o adir.png fails"; only; ok $? "propagate leaves no t.csv"
fresh; mkdir adir.png/x.csv; fails 1 "Is a directory" presets -o adir.png/x.csv
ok $? "presets -o a directory fails"; only; ok $? "presets leaves nothing"

# --- standard output failing leaves no figure -------------------------------------
fresh; "$SP" propagate --depth 3 -o f.png -o - >/dev/full 2>err.txt; st=$?
[ "$st" = 1 ] && grep -q "^sigprop: standard output: No space left on device$" err.txt
ok $? "propagate -o f.png -o - > /dev/full: exit 1, the reason"; rm -f err.txt
only; ok $? "propagate leaves no figure when standard output fails"
fresh; "$SP" attention --lambda 0:2:3 --tokens 8 -o f.svg >/dev/full 2>/dev/null
[ $? = 0 ]; ok $? "attention -o f.svg writes nothing on stdout (exit 0 with stdout full)"
fresh; "$SP" validate $small -o f.svg -o - >/dev/full 2>err.txt; st=$?
[ "$st" = 1 ] && grep -q "No space left on device" err.txt; ok $? "validate -o f.svg -o - > /dev/full fails"
rm -f err.txt; only; ok $? "validate leaves no figure when standard output fails"

# --- a full disk, devices, --help ---------------------------------------------------
fresh
ln -s /dev/full full.csv
fails 1 "full.csv: cannot write: No space left on device" propagate --depth 3 -o full.csv
ok $? "a table on a full disk: 'No space left on device'"
[ -L full.csv ]; ok $? "the link to /dev/full stays"; rm -f full.csv
ln -s /dev/null null.svg; ln -s /dev/null null.csv
"$SP" propagate --depth 3 -o null.svg -o null.csv; ok $? "devices are written directly"
[ -L null.svg ] && [ -c /dev/null ]; ok $? "/dev/null stays a device"; rm -f null.svg null.csv
"$SP" --help >/dev/full 2>err.txt; st=$?
[ "$st" = 1 ] && grep -q "No space left on device" err.txt; ok $? "sigprop --help > /dev/full exits 1"
"$SP" --version >/dev/full 2>/dev/null; [ $? = 1 ]; ok $? "sigprop --version > /dev/full exits 1"
"$SP" propagate --help >/dev/full 2>/dev/null; [ $? = 1 ]; ok $? "propagate --help > /dev/full exits 1"
"$SP" --help >/dev/null; ok $? "sigprop --help exits 0"; rm -f err.txt

# --- symbolic links and permission bits ----------------------------------------------
fresh; mkdir real; echo old >real/t.csv; chmod 640 real/t.csv; ln -s real/t.csv link.csv
"$SP" propagate --depth 3 -o link.csv; ok $? "write through a symlink"
[ -L link.csv ] && [ "$(readlink link.csv)" = real/t.csv ]; ok $? "the link stays"
grep -q '^layer,' real/t.csv; ok $? "the target is replaced"
[ "$(stat -c %a real/t.csv)" = 640 ]; ok $? "the target keeps mode 640"
[ -z "$(ls -A real | grep -v '^t.csv$')" ]; ok $? "no temporary file next to the target"
ln -s real/u.csv dangling.csv
"$SP" propagate --depth 3 -o dangling.csv && [ -f real/u.csv ] && [ -L dangling.csv ]
ok $? "a dangling link creates its target"
echo x >m.json; chmod 604 m.json; "$SP" presets -o m.json
[ "$(stat -c %a m.json)" = 604 ]; ok $? "an existing file keeps mode 604"
umask 022; "$SP" presets -o new.csv; [ "$(stat -c %a new.csv)" = 644 ]; ok $? "a new file is 0666 & ~umask"
ln -s loop1.csv loop2.csv; ln -s loop2.csv loop1.csv
fails 1 "loop1.csv: cannot write: Too many levels of symbolic links" presets -o loop1.csv
ok $? "a symlink loop is refused"
fails 1 "nodir/t.csv: cannot write: No such file or directory" presets -o nodir/t.csv
ok $? "a missing directory is refused with the reason"

# --- one-line errors ---------------------------------------------------------------------
fresh; "$SP" propagate --depth $'3\nx' 2>err.txt; st=$?
[ "$st" = 2 ] && [ "$(wc -l <err.txt)" = 1 ] && grep -qF "'3\\nx'" err.txt
ok $? "a newline in an argument is escaped: $(cat err.txt)"
"$SP" propagate --activation $'re\tl\033u' 2>err.txt; [ "$(wc -l <err.txt)" = 1 ] && grep -qF '\t' err.txt && grep -qF '\x1b' err.txt
ok $? "tab and escape are escaped: $(cat err.txt)"
"$SP" propagate --depth 3 -o $'nodir\xff/t.csv' 2>err.txt; st=$?
[ "$st" = 1 ] && grep -qF 'nodir\xff/t.csv' err.txt; ok $? "a byte that is not UTF-8 is escaped: $(cat err.txt)"
rm -f err.txt

# --- not UTF-8 in titles and paths -----------------------------------------------------
fresh
"$SP" propagate --depth 3 --title $'bad \xff\xfe title \xc3' -o $'p\xe9.svg' -o $'t\xe9.json'
ok $? "non-UTF-8 title and paths: exit 0"
py '
import glob, json, sys, xml.dom.minidom
svg = glob.glob("p*.svg"); js = glob.glob("t*.json")
doc = xml.dom.minidom.parse(svg[0])
title = doc.getElementsByTagName("title")[0].firstChild.data
assert title == "bad \ufffd\ufffd title \ufffd", repr(title)
with open(js[0], "rb") as f:
    data = json.loads(f.read().decode("utf-8"))
assert "\ufffd.svg" in data["meta"]["command"], data["meta"]["command"]
'; ok $? "the SVG is well-formed with U+FFFD in its title, the JSON is valid UTF-8"
"$SP" propagate --depth 3 --title $'<&"\'> \xff' -o amp.svg >/dev/null; ok $? "markup characters in a title"
py 'import xml.dom.minidom as m; d = m.parse("amp.svg"); t = d.getElementsByTagName("title")[0].firstChild.data; assert t.startswith("<&\"'"'"'>"), t'
ok $? "& < > \" are escaped in the SVG"
"$SP" diagram $dg --title $'\xff\xfe' -o d.pdf -o d.csv; ok $? "diagram renders a PDF with a non-UTF-8 title"
head -c 5 d.pdf | grep -q '%PDF-'; ok $? "the PDF is a PDF"
if command -v pdftoppm >/dev/null; then
  pdftoppm -r 20 -png d.pdf page >/dev/null 2>&1 && [ -s page-1.png ]; ok $? "pdftoppm renders it"
else
  echo "ok $((n += 1)) # SKIP pdftoppm not installed"
fi
cp "${SIGPROP_TEST_DATA:?}/../../data/presets/bert-base.preset" $'b\xff.preset'
"$SP" recommend --format json --preset ./$'b\xff.preset' --norm pre >rec.json
ok $? "recommend --format json with a non-UTF-8 preset path"
py 'import json; d = json.loads(open("rec.json", "rb").read().decode("utf-8")); assert "b\ufffd.preset" in d["command"], d["command"]'
ok $? "recommend's JSON is valid UTF-8 (U+FFFD in the command)"
printf 'name = bad\xffname\ntitle = x\n' >bad.preset
"$SP" propagate --preset ./bad.preset -o x.json 2>err.txt
[ "$(wc -l <err.txt)" -le 1 ]; ok $? "a preset with a bad byte: at most one line"
rm -f err.txt

# --- caps -------------------------------------------------------------------------------
fresh
fails 2 "5000 x 4000 = 20000000 points is over the limit of 16000000" diagram --x beta:0:1:5000 --y alpha-sa:0:1:4000 -o g.csv
ok $? "the grid cap is a cap (exit 2) with the number and the limit"; only; ok $? "nothing written"
fails 2 "60000 x 60000 pixels at 600 dpi; the limit is 32767" propagate --depth 2 -o big.png --size 7200,7200 --dpi 600
ok $? "a PNG over 32767 pixels a side is refused with both numbers"; only; ok $? "nothing written"
# Memory: under ulimit -v (not with AddressSanitizer, which needs its shadow).
if (ulimit -v 2000000; "$SP" --version) >/dev/null 2>&1; then
  (ulimit -v 2000000; fails 1 "needs 3600 MB of memory, more than the 2048 MB available" \
    propagate --depth 2 -o big.png --size 7200,7200 --dpi 300)
  ok $? "a figure needing more memory than allowed is refused with both numbers"
else
  echo "ok $((n += 1)) # SKIP ulimit -v unusable here (sanitizer build)"
fi
only; ok $? "nothing written"

# --- signals: a real SIGINT, SIGTERM, SIGHUP to a running diagram ----------------------
for sig in INT TERM HUP; do
  fresh
  # A shell starts background jobs with SIGINT ignored: env restores the default.
  env --default-signal="$sig" "$SP" diagram --x beta:0:5:1500 --y alpha-sa:0:5:1500 --depth 60 \
    --threads 1 --quiet -o g.csv -o g.png 2>err.txt &
  pid=$!
  for _ in $(seq 200); do ls -A | grep -q '^\.g\.png\.tmp' && break; sleep 0.05; done
  sleep 0.3
  running=0; kill -0 "$pid" 2>/dev/null && running=1
  kill -s "$sig" "$pid"; wait "$pid"; st=$?
  want=$((128 + $(kill -l "$sig")))
  [ "$running" = 1 ] && [ "$st" = "$want" ]; ok $? "SIG$sig during a diagram: exit $st (want $want)"
  rm -f err.txt; only; ok $? "SIG$sig leaves no temporary file"
done

# --- a closed pipe: SIGPIPE (or EPIPE when ignored) leaves no figure ------------------
fresh
"$SP" propagate --depth 20000 --mlp none --plot f.png | head -c 10 >/dev/null
st=${PIPESTATUS[0]}; [ "$st" = 141 ]; ok $? "a closed pipe: exit 141 (got $st)"
only; ok $? "a closed pipe leaves no figure"
(trap '' PIPE; "$SP" propagate --depth 20000 --mlp none --plot f.png 2>err.txt | head -c 10 >/dev/null
 st=${PIPESTATUS[0]}; [ "$st" = 1 ] && grep -q "^sigprop: standard output: Broken pipe$" err.txt)
ok $? "SIGPIPE ignored: exit 1, 'Broken pipe'"; rm -f err.txt
only; ok $? "and no figure"

tap_done
