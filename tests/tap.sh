# TAP helpers for the shell tests, sourced by each one:
#     . "$(dirname "$0")/tap.sh"
# Sets SP (the program under test, from $SIGPROP) and tmp (a fresh folder,
# removed at exit), and defines:
#   ok STATUS DESCRIPTION   one test: passes when STATUS is 0
#   skip REASON             one skipped test
#   expect_error STATUS PATTERN [DESCRIPTION --] ARGS...
#                           run "$SP ARGS..." in an empty folder ($tmp/e):
#                           passes when it exits with STATUS, prints exactly one
#                           stderr line "sigprop: ...PATTERN" and nothing on
#                           stdout, and leaves no file in $tmp/e (nor in
#                           $TAP_OUTDIR when that is set)
#   expect_columns FILE COLUMNS DESCRIPTION
#                           one test: the first line of FILE that is not a
#                           '#' line matches the case pattern COLUMNS
#   tap_done                print the plan and exit 0 only if every test passed
# POSIX sh (the tests run under dash and bash).
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?SIGPROP must name the sigprop program}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigprop-test.XXXXXX") || exit 99
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
n=0
failed=0

ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=$((failed + 1))
  fi
}

skip() {
  n=$((n + 1))
  echo "ok $n - # SKIP $1"
}

expect_error() {
  _want=$1 _pat=$2
  shift 2
  _what=""
  if [ $# -ge 2 ] && [ "$2" = "--" ]; then
    _what="$1: "
    shift 2
  fi
  rm -rf "$tmp/e"
  mkdir "$tmp/e"
  [ -n "${TAP_OUTDIR:-}" ] && mkdir -p "$TAP_OUTDIR"
  (cd "$tmp/e" && "$SP" "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null)
  _st=$?
  _args=$(printf '%s' "$*" | tr '\001-\037' '?') # one TAP line whatever the arguments hold
  _lines=$(wc -l <"$tmp/stderr")
  _left=$(ls -A "$tmp/e")
  [ -n "${TAP_OUTDIR:-}" ] && _left="$_left$(ls -A "$TAP_OUTDIR")"
  if [ "$_st" = "$_want" ] && [ "$_lines" = 1 ] && grep -q "^sigprop: .*$_pat" "$tmp/stderr" \
     && [ ! -s "$tmp/stdout" ] && [ -z "$_left" ]; then
    ok 0 "${_what}error ($_want): $_args -> $(cat "$tmp/stderr")"
  else
    ok 1 "${_what}error ($_want): $_args -> status $_st, files '$_left', stderr: $(head -c 300 "$tmp/stderr" | tr '\001-\037' '?')"
  fi
  [ -n "${TAP_OUTDIR:-}" ] && rm -rf "$TAP_OUTDIR"
  return 0
}

expect_columns() {
  _head=$(grep -v '^#' "$1" | head -1)
  # shellcheck disable=SC2254 # $2 is a pattern
  case "$_head" in
    $2) ok 0 "$3" ;;
    *) ok 1 "$3: $_head" ;;
  esac
}

tap_done() {
  echo "1..$n"
  [ "$failed" = 0 ]
  exit $?
}
