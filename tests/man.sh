#!/usr/bin/env bash
# The man pages: lint clean with groff, and every example command (a line
# "$ sigprop ..." inside .EX/.EE) runs and succeeds; "$ mpirun OPTIONS
# sigprop ..." runs under $MPIRUN when the program is built with MPI (a
# skip otherwise).  Lines that follow an
# example in the same block, up to the next "$ " line or .EE, are its output
# as printed: they must match what the command prints (numbers to a
# relative 1e-6, other words exactly; blank lines ignored).  Prints TAP.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
MAN=${SIGPROP_MAN:?}

# same EXPECTED ACTUAL: token-wise comparison, numbers with a tolerance.
same() {
  awk '
    function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[,;:)]*$/ }
    function val(s) { sub(/[,;:)]+$/, "", s); return s + 0 }
    function eq(a, b,   x, y, d, m) {
      if (isnum(a) && isnum(b)) {
        x = val(a); y = val(b); d = x - y; if (d < 0) d = -d
        m = x < 0 ? -x : x; if ((y < 0 ? -y : y) > m) m = (y < 0 ? -y : y)
        return d <= 1e-6 * m + 1e-12
      }
      return a == b
    }
    FNR == 1 { f++ }
    NF == 0 { next }
    f == 1 { want[++nw] = $0; next }
    { got[++ng] = $0 }
    END {
      for (i = 1; i <= (nw > ng ? nw : ng); i++) {
        nw1 = split(want[i], w); ng1 = split(got[i], g); bad = nw1 != ng1
        for (j = 1; j <= nw1 && !bad; j++) if (!eq(w[j], g[j])) bad = 1
        if (bad) { printf "#   want: %s\n#   got:  %s\n", want[i], got[i]; exit 1 }
      }
    }' "$1" "$2"
}

for page in "$MAN"/*.[1-8]; do
  name=$(basename "$page")
  if command -v groff >/dev/null; then
    out=$(groff -man -ww -z "$page" 2>&1)
    [ -z "$out" ]; ok $? "$name lints clean${out:+: $out}"
  fi
  # Split the examples into $tmp/ex.N (command) and $tmp/ex.N.out (output
  # as printed), unescaping roff's \- \e \(aq \&.
  rm -f "$tmp"/ex.*
  awk -v dir="$tmp" '
    function unroff(s) { gsub(/\\-/, "-", s); gsub(/\\\(aq/, "\047", s); gsub(/\\&/, "", s);
                         gsub(/\\e/, "\\", s); return s }
    /^\.EX/ { inside = 1; cur = ""; next }
    /^\.EE/ { inside = 0; cur = ""; next }
    inside && /^\$ sigprop / { k++; cur = dir "/ex." k; sub(/^\$ sigprop /, "");
                               print unroff($0) > cur; printf "" > (cur ".out"); next }
    inside && /^\$ mpirun .* sigprop / { k++; cur = dir "/ex." k; sub(/^\$ mpirun /, "");
                               i = index($0, " sigprop "); print unroff(substr($0, 1, i - 1)) > (cur ".mpi");
                               print unroff(substr($0, i + 9)) > cur; printf "" > (cur ".out"); next }
    inside && /^\$ / { cur = ""; next }
    inside && cur != "" && !/^\./ { print unroff($0) >> (cur ".out") }
  ' "$page"
  k=1
  while [ -e "$tmp/ex.$k" ]; do
    line=$(cat "$tmp/ex.$k")
    pre=""
    [ -e "$tmp/ex.$k.mpi" ] && pre="mpirun $(cat "$tmp/ex.$k.mpi") "
    if [ -e "$tmp/ex.$k.mpi" ] && [ -z "${MPIRUN:-}" ]; then
      skip "$name example: mpirun ... sigprop $line (the program is built without MPI)"
      k=$((k + 1))
      continue
    elif [ -e "$tmp/ex.$k.mpi" ]; then
      # Open MPI's flags for any machine, as root too, without its notices;
      # no leak report for Open MPI's allocations held at exit (ASan).
      # (tests/mpi.sh says why the shared-memory copies are plain ones).
      launch="ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0"
      launch="$launch OMPI_MCA_btl_vader_single_copy_mechanism=\${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
      launch="$launch \"$MPIRUN\" $(cat "$tmp/ex.$k.mpi")"
      "$MPIRUN" --version 2>/dev/null | grep -q "Open MPI" \
        && launch="$launch -q --oversubscribe --allow-run-as-root"
      (cd "$tmp" && eval "$launch \"$SP\" $line" >"$tmp/got" 2>"$tmp/err")
    else
      (cd "$tmp" && eval "\"$SP\" $line" >"$tmp/got" 2>"$tmp/err")
    fi
    st=$?
    [ $st = 0 ]; ok $? "$name example: ${pre}sigprop $line$( [ $st = 0 ] || echo " -> $(head -c 200 "$tmp/err")")"
    if [ $st = 0 ] && [ -s "$tmp/ex.$k.out" ]; then
      msg=$(same "$tmp/ex.$k.out" "$tmp/got"); r=$?
      ok $r "$name example output as printed: ${pre}sigprop $line"
      [ $r = 0 ] || echo "$msg"
    fi
    k=$((k + 1))
  done
done
# The library page's example program compiles against the build and runs.
if [ -n "${SIGPROP_CC:-}" ] && [ -f "$MAN/sigprop.3" ]; then
  sed -n '/^\.EX/,/^\.EE/p' "$MAN/sigprop.3" | sed '1d;$d' | sed 's/\\e/\\/g; s/\\-/-/g' >"$tmp/ex.c"
  # Libraries from pkg-config (sigprop-uninstalled.pc of the build) when
  # the build says where its .pc is, as a program using the library would.
  libs="-lsigprop -lgsl -lgslcblas -lm"
  if [ -n "${SIGPROP_PKG_CONFIG_PATH:-}" ]; then
    libs=$(PKG_CONFIG_PATH="$SIGPROP_PKG_CONFIG_PATH" pkg-config --libs sigprop-uninstalled)
    ok $? "pkg-config --libs sigprop: $libs"
  fi
  if $SIGPROP_CC "$tmp/ex.c" -o "$tmp/ex" $SIGPROP_CFLAGS $libs 2>"$tmp/cc.err"; then
    "$tmp/ex" >"$tmp/ex.out" 2>&1; st=$?
    [ $st = 0 ] && grep -q '^alpha_c = ' "$tmp/ex.out"; ok $? "sigprop.3 example runs: $(tr '\n' ' ' <"$tmp/ex.out")"
  else
    ok 1 "sigprop.3 example compiles: $(head -c 300 "$tmp/cc.err")"
  fi
fi
# The Python page's example runs on the build's package and prints what the
# page says it prints (numbers to a relative 1e-6).
if [ -f "$MAN/sigprop-python.3" ]; then
  if [ -n "${SIGPROP_PYTHON:-}" ]; then
    unroff='s/\\e/\\/g; s/\\-/-/g; s/\\(aq/'"'"'/g; s/\\&//g'
    sed -n '/^\.EX/,/^\.EE/p' "$MAN/sigprop-python.3" | sed '1d;$d' | sed "$unroff" >"$tmp/ex.py"
    awk '/^prints$/ { p = 1; next } p && /^\.nf/ { q = 1; next } q && /^\.fi/ { exit }
         q { print }' "$MAN/sigprop-python.3" | sed "$unroff" >"$tmp/ex.py.out"
    (cd "$tmp" && env PYTHONPATH="${SIGPROP_PYTHONPATH:-}" LD_PRELOAD="${SIGPROP_PYTHON_PRELOAD:-}" \
       ASAN_OPTIONS=detect_leaks=0 "$SIGPROP_PYTHON" ex.py >"$tmp/got" 2>"$tmp/err")
    st=$?
    [ $st = 0 ]; ok $? "sigprop-python.3 example runs$( [ $st = 0 ] || echo ": $(head -c 300 "$tmp/err")")"
    msg=$(same "$tmp/ex.py.out" "$tmp/got"); r=$?
    ok $r "sigprop-python.3 example output as printed"
    [ $r = 0 ] || echo "$msg"
  else
    skip "sigprop-python.3 example: no python3 with numpy"
  fi
fi
tap_done
