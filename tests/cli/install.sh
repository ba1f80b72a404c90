#!/usr/bin/env bash
# make install puts the binaries, the man pages and the bash completion in
# place; the man pages render without warnings; --version and --help of
# every command answer; the completion completes commands and options.
. "$(dirname "$0")/tap.bash"
O=$(dirname "$KVMEXITSTAT")
D=$TMP/root
if make --no-print-directory -s install O="$O" DESTDIR="$D" PREFIX=/usr >"$TMP/log" 2>&1; then ok "make install (DESTDIR)"
else not_ok "make install" "$(tail -5 "$TMP/log")"; fi
for f in usr/bin/kvmexitstat usr/bin/kvmexitgen usr/share/man/man1/kvmexitstat.1 usr/share/man/man1/kvmexitgen.1 \
	usr/share/bash-completion/completions/kvmexitstat usr/share/bash-completion/completions/kvmexitgen; do
	if [ -e "$D/$f" ]; then ok "installed /$f"; else not_ok "installed /$f"; fi
done
for m in kvmexitstat kvmexitgen; do
	w=$(groff -man -ww -z "$D/usr/share/man/man1/$m.1" 2>&1)
	if [ -z "$w" ]; then ok "$m.1 renders without warnings"; else not_ok "$m.1 renders" "$w"; fi
done
run "kvmexitstat --version" 0 "$D/usr/bin/kvmexitstat" --version
expect_in "kvmexitstat --version says its version" "$TMP/out" "kvmexitstat 0.1.0"
run "kvmexitgen --version" 0 "$D/usr/bin/kvmexitgen" --version
for c in report record plot top serve reasons; do
	run "kvmexitstat $c --help" 0 "$D/usr/bin/kvmexitstat" "$c" --help
	expect_in "kvmexitstat $c --help has a usage line" "$TMP/out" "Usage: kvmexitstat $c"
	expect_in "the man page has $c" "$D/usr/share/man/man1/kvmexitstat.1" ".SS $c"
	expect_in "kvmexitstat --help names $c" <("$D/usr/bin/kvmexitstat" --help) "  $c "
done
# every long option a --help shows is in the man page
missing=
for c in "" report record plot top serve reasons; do
	for o in $("$D/usr/bin/kvmexitstat" $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$D/usr/share/man/man1/kvmexitstat.1" || missing="$missing $c$o"
	done
done
for o in $("$D/usr/bin/kvmexitgen" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$D/usr/share/man/man1/kvmexitgen.1" || missing="$missing kvmexitgen$o"
done
if [ -z "$missing" ]; then ok "every option of the --help texts is in the man pages"; else not_ok "options missing from the man pages:$missing"; fi
complete_of() { # words...: what the completion offers for the last one
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kvmexitstat; echo "${COMPREPLY[*]}"' _ \
		"$D/usr/share/bash-completion/completions/kvmexitstat" "$@"
}
has_all() { # "words offered" word...: each word is offered
	local got=" $1 " w
	shift
	for w in "$@"; do [[ $got == *" $w "* ]] || return 1; done
}
got=$(complete_of kvmexitstat re)
if has_all "$got" report record reasons; then ok "completion: kvmexitstat re<TAB> offers report, record, reasons"
else not_ok "completion of re: '$got'"; fi
got=$(complete_of kvmexitstat report --s)
if has_all "$got" --sort --strict; then ok "completion: report --s<TAB> offers --sort, --strict"
else not_ok "completion report --s: '$got'"; fi
got=$(complete_of kvmexitstat --source "")
if has_all "$got" auto tracepoint stats; then ok "completion: --source <TAB> offers the sources"; else not_ok "completion --source: '$got'"; fi
got=$(complete_of kvmexitstat -s "")
if has_all "$got" count time avg; then ok "completion: -s <TAB> offers the sort keys"; else not_ok "completion -s: '$got'"; fi
