#!/usr/bin/env bash
# The command-line contract common to every command: --help lists exactly
# the options its man page documents (the model options in sigprop(1), the
# simulation options in sigprop-simulate(1) or the command's own page);
# --help and --version succeed, and fail with one line when standard output
# cannot be written; errors stay on one line whatever the arguments hold;
# the command line recorded in a table can be pasted back into a shell.
# Prints TAP.  $SIGPROP is the program, $SIGPROP_MAN the man page folder.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
MAN=${SIGPROP_MAN:?}
commands="propagate critical mlp recommend presets attention diagram simulate validate inspect train"

# help_options CMD SECTION: the options of the --help sections whose heading
# starts with SECTION ("" for all), one a line ("-o", "--name").
help_options() {
  "$SP" "$1" --help | awk -v want="$2" '
    /^[A-Z][^ ].*:$/ { sec = $0; next }
    /^  -/ && index(sec, want) == 1 {
      left = substr($0, 3); k = index(left, "  "); if (k) left = substr(left, 1, k - 1)
      n = split(left, w, /[ ,]+/)
      for (i = 1; i <= n; i++) if (w[i] ~ /^--?[a-z]/) print w[i]
    }' | sort -u
}

# man_options PAGE SECTION: the options named in the tags (the line after
# .TP) of the page sections whose name contains SECTION.
man_options() {
  awk -v want="$2" '
    /^\.SH/ { sec = $0; next }
    /^\.T[PQ]/ && index(sec, want) { getline; gsub(/\\-/, "-"); gsub(/\\f[RBIP]/, " ")
      n = split($0, w, /[ ,"]+/)
      for (i = 1; i <= n; i++) if (w[i] ~ /^--?[a-z][a-z0-9-]*$/) print w[i]
    }' "$1" | sort -u
}

man_options "$MAN/sigprop.1" "MODEL OPTIONS" >"$tmp/model.man"
man_options "$MAN/sigprop-simulate.1" "OPTIONS" >"$tmp/sim.man"
[ -s "$tmp/model.man" ] && [ -s "$tmp/sim.man" ]; ok $? "sigprop(1) and sigprop-simulate(1) list options"

for c in $commands; do
  page="$MAN/sigprop-$c.1"
  "$SP" "$c" --help >"$tmp/help" 2>"$tmp/err"
  [ $? = 0 ] && [ -s "$tmp/help" ] && [ ! -s "$tmp/err" ]; ok $? "$c --help exits 0 on stdout"
  "$SP" "$c" -h | cmp -s - "$tmp/help"; ok $? "$c -h is --help"
  man_options "$page" "OPTIONS" >"$tmp/page"
  help_options "$c" "" >"$tmp/all"
  # Every option of --help is documented where its section says.
  missing=""
  for sec in "" "Model options" "Simulation options"; do
    help_options "$c" "$sec" >"$tmp/sec"
    case $sec in
      "") comm -23 "$tmp/sec" <(sort -u "$tmp/page" <(help_options "$c" "Model options") \
                                 <(help_options "$c" "Simulation options")) ;;
      Model*) comm -23 "$tmp/sec" <(sort -u "$tmp/page" "$tmp/model.man") ;;
      Sim*) comm -23 "$tmp/sec" <(sort -u "$tmp/page" "$tmp/sim.man") ;;
    esac >>"$tmp/missing"
  done
  missing=$(sort -u "$tmp/missing" | tr '\n' ' '); rm -f "$tmp/missing"
  [ -z "$missing" ]; ok $? "$c: every --help option is in its man page${missing:+ (missing: $missing)}"
  extra=$(comm -13 "$tmp/all" "$tmp/page" | tr '\n' ' ')
  [ -z "$extra" ]; ok $? "$c: every option of sigprop-$c(1) is in --help${extra:+ (not in --help: $extra)}"
  if [ -e /dev/full ]; then
    "$SP" "$c" --help >/dev/full 2>"$tmp/err"; st=$?
    [ $st = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^sigprop: standard output: ' "$tmp/err"
    ok $? "$c --help to a full disk: exit $st, $(cat "$tmp/err")"
  else
    skip "no /dev/full"
  fi
done

"$SP" propagate --depth 1 --title -h | grep -q '^# title\|^layer'; ok $? "-h as the value of an option is not --help"
"$SP" propagate --depth 1 --beta 2 --help | grep -q '^Usage: sigprop propagate'; ok $? "--help after other options"

# The model options: sigprop(1) and the commands' --help agree.
help_options propagate "Model options" >"$tmp/model.help"
diff=$(comm -3 "$tmp/model.help" "$tmp/model.man" | tr -d '\t' | tr '\n' ' ')
[ -z "$diff" ]; ok $? "sigprop(1) MODEL OPTIONS = the model options of --help${diff:+ (differ: $diff)}"

# sigprop --help and --version.
for a in --help --version; do
  "$SP" $a >"$tmp/out" 2>"$tmp/err"; st=$?
  [ $st = 0 ] && [ -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; ok $? "sigprop $a exits 0"
  if [ -e /dev/full ]; then
    "$SP" $a >/dev/full 2>"$tmp/err"; st=$?
    [ $st = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^sigprop: standard output: ' "$tmp/err"
    ok $? "sigprop $a to a full disk: exit $st, $(cat "$tmp/err")"
  fi
done

# Errors stay on one line: control characters of echoed arguments escaped.
expect_error 2 "unexpected argument 'a\\\\nb'" propagate "$(printf 'a\nb')"
expect_error 2 "unknown option '--x\\\\tz'" propagate "$(printf -- '--x\tz')"
expect_error 2 "'\\\\x1b\\[0m' is not a number" propagate --beta "$(printf '\033[0m')"

# The recorded command line is one line that a shell runs again (it names
# the program sigprop, found on PATH).
spdir=$(cd "$(dirname "$SP")" && pwd)
args=(propagate --depth 2 --title "it's \"quoted\" \$HOME" --variant 'a b=--norm pre')
"$SP" "${args[@]}" -o "$tmp/one.csv"; ok $? "a run with quotes, spaces and a dollar"
line=$(sed -n 's/^# command: //p' "$tmp/one.csv")
[ "$(grep -c '^# command: ' "$tmp/one.csv")" = 1 ]; ok $? "one command line: $line"
grep -v '^# command: ' "$tmp/one.csv" >"$tmp/a"
rm "$tmp/one.csv"
(cd "$tmp" && PATH=$spdir:$PATH && eval "$line"); grep -v '^# command: ' "$tmp/one.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && [ "$(sed -n 's/^# command: //p' "$tmp/one.csv")" = "$line" ]
ok $? "pasted back into a shell, it writes the same table"
"$SP" propagate --depth 1 --title "$(printf 'x\ny')" -o "$tmp/nl.csv"
[ "$(grep -c '^# command: .*x\\x0ay' "$tmp/nl.csv")" = 1 ]; ok $? "a newline in an argument is escaped"
line=$(sed -n 's/^# command: //p' "$tmp/nl.csv"); rm "$tmp/nl.csv"
(cd "$tmp" && PATH=$spdir:$PATH && eval "$line") && [ -s "$tmp/nl.csv" ]; ok $? "and that line runs again"

tap_done
