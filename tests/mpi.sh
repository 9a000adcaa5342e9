#!/bin/sh
# MPI runs (registered when the program is built with -Dmpi): diagram,
# simulate, validate (both modes) and train --grid-x on two ranks write the
# same files as one process, byte for byte (validate's and simulate's
# tables differ only in their timing lines, seconds and gflops); the failure
# paths end the job with one line, a non-zero status and no file: bad input
# on every rank, an output rank 0 cannot write, a rank that fails in the
# middle of the work (SIGPROP_MPI_FAIL), a run-time failure of the work
# itself, a command that does not spread.  The program started without a
# launcher is one process whatever the environment says.  TAP output.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
MPIRUN=${MPIRUN:?MPIRUN must name mpirun}

# Open MPI: no notices of its own (-q), two ranks on any machine, as root
# in containers and CI.  Its own allocations are still held at exit: no
# leak report from AddressSanitizer under mpirun (the single-process runs
# check ours).
flags="-n 2"
if "$MPIRUN" --version 2>/dev/null | grep -q "Open MPI"; then
  flags="-q -n 2 --oversubscribe --allow-run-as-root"
fi
# Containers often forbid the cross-memory copies of Open MPI's shared-memory
# transport: plain copies instead, unless the environment chose.
printf '#!/bin/sh\nexport ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\n%s\nexec "%s" %s "%s" "$@"\n' \
  'export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}' \
  "$MPIRUN" "$flags" "$SP" >"$tmp/mpi2"
chmod +x "$tmp/mpi2"
ONE=$SP
TWO=$tmp/mpi2

# run DIR PROGRAM ARGS...: in $tmp/DIR (created), stderr to $tmp/DIR.err
run() {
  _d=$tmp/$1 _p=$2
  shift 2
  mkdir -p "$_d"
  (cd "$_d" && "$_p" "$@" 2>"$_d.err" </dev/null)
}

# same NAME FILES...: the files of $tmp/one-NAME and $tmp/two-NAME agree
# byte for byte, the timing lines left out
same() {
  _name=$1
  shift
  for _f in "$@"; do
    for _w in one two; do
      case $_f in
        *.csv | *.json) grep -a -v -e '^# seconds: ' -e '^# gflops: ' -e '"seconds": ' \
                          -e '"gflops": ' "$tmp/$_w-$_name/$_f" ;;
        *) cat "$tmp/$_w-$_name/$_f" ;;
      esac >"$tmp/$_w" 2>/dev/null
    done
    if [ -s "$tmp/one" ] && cmp -s "$tmp/one" "$tmp/two"; then
      ok 0 "$_name: $_f identical on one and two ranks"
    else
      ok 1 "$_name: $_f differs: $(cmp "$tmp/one" "$tmp/two" 2>&1 | head -1)"
    fi
  done
}

# both NAME ARGS...: one process and two ranks, each in its own folder
both() {
  _name=$1
  shift
  run "one-$_name" "$ONE" "$@" --quiet
  _s1=$?
  run "two-$_name" "$TWO" "$@" --quiet
  _s2=$?
  [ "$_s1" = 0 ] && [ "$_s2" = 0 ] && [ ! -s "$tmp/two-$_name.err" ]
  ok $? "$_name: one process (status $_s1) and two ranks (status $_s2, stderr '$(head -c 200 "$tmp/two-$_name.err")')"
}

# ---- the same results (--quiet: no progress lines) ---------------------------------

both diagram diagram --x beta:0.13:3.7:23 --y alpha-sa:0.21:2.9:19 --depth 17 --threads 2 \
  --overlay-gradient 0.013 --curves c.csv -o d.csv -o d.json -o d.png -o d.svg
same diagram c.csv d.csv d.json d.png d.svg
# An axis the workspace tables depend on: one workspace per row.
both diagram-tables diagram --x beta:0.31:2.3:7 --y var-w:0.37:1.9:13 --activation gelu --depth 9 \
  -o d.csv -o d.png
same diagram-tables d.csv d.png
both simulate simulate --width 24 --tokens 9 --depth 5 --seeds 7 --seed 311 --jacobian \
  -o s.csv -o s.json
same simulate s.csv s.json
both validate validate --width 24 --tokens 9 --depth 5 --seeds 5 --seed 17 --beta 0.83 \
  -o v.csv -o v.json -o v.png
same validate v.csv v.json v.png
both gradient validate --gradient --width 24 --tokens 9 --seeds 3 --beta-range 0.11:2.3:3 \
  --block 2 -o g.csv -o g.png
same gradient g.csv g.png
both train train --width 16 --heads 2 --vocab 7 --batch 3 --tokens 10 --depth 2 --steps 6 \
  --eval-every 4 --threads 2 --grid-x beta:0.37:2.9:3 --grid-y alpha-sa:0.29:1.3:2 \
  --grid-seeds 2 -o t.csv -o t.json -o t.svg
same train t.csv t.json t.svg
# Standard output: the table once, from rank 0.
run one-stdout "$ONE" diagram --x beta:0.5:2:5 --y alpha-sa:0.5:2:4 --depth 7 -o - >"$tmp/one.out"
run two-stdout "$TWO" diagram --x beta:0.5:2:5 --y alpha-sa:0.5:2:4 --depth 7 -o - >"$tmp/two.out"
[ -s "$tmp/one.out" ] && cmp -s "$tmp/one.out" "$tmp/two.out"
ok $? "diagram -o -: the same CSV once on standard output"
# mpirun -n 1 is one process.
run n1 "$MPIRUN" -n 1 --allow-run-as-root "$SP" diagram --x beta:0.5:2:5 --y alpha-sa:0.5:2:4 \
  --depth 7 -o - >"$tmp/n1.out" 2>/dev/null
cmp -s "$tmp/one.out" "$tmp/n1.out"
ok $? "diagram on one rank: the same CSV"

# Progress from rank 0 only: standard error is a pipe under mpirun, so a line at every
# tenth of the work, the last one 100%.
run two-progress "$TWO" diagram --x beta:0.5:2:9 --y alpha-sa:0.5:2:40 --depth 7 -o d.csv
st=$?
bad=$(grep -v -c -E '^sigprop: diagram: [1-9]0?0?%$' "$tmp/two-progress.err")
[ $st = 0 ] && [ "$bad" = 0 ] && [ "$(tail -1 "$tmp/two-progress.err")" = "sigprop: diagram: 100%" ] \
  && [ "$(grep -c . "$tmp/two-progress.err")" -le 10 ]
ok $? "progress: at most ten lines from rank 0, the last 100% ($(tr '\n' ' ' <"$tmp/two-progress.err"))"

# ---- failures: one line, a status, no file (--quiet: no progress lines before it) ----

SP=$TWO
small="--x beta:0.5:2:30 --y alpha-sa:0.5:2:40 --depth 11 --quiet -o d.csv -o d.png"
expect_error 2 "'x' is not a number" "bad input, caught on every rank" -- diagram --x beta:1:2:x
expect_error 1 "nowhere/d.csv: cannot write" "an output rank 0 cannot write" -- \
  diagram $small -o nowhere/d.csv
SIGPROP_MPI_FAIL=1
export SIGPROP_MPI_FAIL
expect_error 1 "diagram: rank 1: failure injected" "rank 1 fails in the work" -- diagram $small
expect_error 1 "validate: rank 1: failure injected" "rank 1 fails in validate" -- \
  validate --width 24 --tokens 9 --depth 5 --seeds 6 --quiet -o v.csv -o v.png
SIGPROP_MPI_FAIL=0
expect_error 1 "diagram: rank 0: failure injected" "rank 0 fails in the work" -- diagram $small
expect_error 1 "train --grid: rank 0: failure injected" "rank 0 fails in train --grid-x" -- \
  train --width 16 --heads 2 --vocab 7 --batch 3 --tokens 10 --depth 2 --steps 6 \
  --grid-x beta:0.37:2.9:3 --grid-y alpha-sa:0.29:1.3:2 --quiet -o t.csv
SIGPROP_MPI_FAIL=1:before
expect_error 1 "diagram: rank 1: failure injected by SIGPROP_MPI_FAIL before the work" \
  "rank 1 fails before the work (a file it cannot read)" -- diagram $small
SIGPROP_MPI_FAIL=0:before
expect_error 1 "validate: rank 0: failure injected by SIGPROP_MPI_FAIL before the work" \
  "rank 0 fails before the work of validate --gradient" -- validate --gradient --width 24 \
  --tokens 9 --seeds 3 --beta-range 0.11:2.3:3 --quiet -o g.csv
unset SIGPROP_MPI_FAIL
expect_error 1 "nowhere/g.csv: cannot write" "validate --gradient: an output rank 0 cannot \
write" -- validate --gradient --width 24 --tokens 9 --seeds 3 --beta-range 0.11:2.3:3 \
  -o nowhere/g.csv
expect_error 1 "validate: seed [0-9]*, block 5: the squared norm q overflowed" \
  "a network that overflows, on whichever rank" -- validate --width 32 --seeds 4 --tokens 8 \
  --depth 40 --norm none --alpha-sa 1000 --alpha-mlp 1000 --quiet -o v.csv
expect_error 2 "propagate: runs in one process" "a command that does not spread" -- \
  propagate --depth 3
expect_error 2 "train without --grid-x: runs in one process" "train of one network" -- \
  train --width 16 --steps 2

# Without a launcher the program is one process, whatever the environment.
SIGPROP_MPI_FAIL=0 "$ONE" diagram --x beta:0.5:2:5 --y alpha-sa:0.5:2:4 --depth 7 -o - \
  >"$tmp/single.out" 2>/dev/null
cmp -s "$tmp/one.out" "$tmp/single.out"
ok $? "no launcher: one process (SIGPROP_MPI_FAIL=0 ignored), the same CSV"

tap_done
