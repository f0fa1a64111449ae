#!/bin/sh
# compare.sh: tally and Debian's rpki-client 8.2 side by side on a world
# from testdata/worldgen, served on loopback by testdata/serve.
#
#   testdata/bench/compare.sh [-c CAS] [-r ROAS] [-w WORLD] [-n RUNS] [-k]
#
# -c, -r  size of a world to generate (default 40000 CAs, 200000 ROAs)
# -w      use (or generate into) this world directory
# -n      run each warm, memo and offline case RUNS times (default 1) and
#         report the median wall and CPU time (and the largest RSS); on a
#         shared VM one run can be 20% off. The cold case runs once.
# -k      keep the work directory (caches, outputs, logs)
#
# For each validator: a cold run (empty cache, fetch included), a warm
# run (second run, fetch included), an offline run (-n); for tally the
# warm and offline runs verify every signature (--no-memo), and a fourth
# run shows the warm case with the signature memo. Prints one table (wall
# time, CPU time, peak RSS, unique VRPs), the ratios, the floor (the
# signatures a full validation verifies x the cost of one / cores, with
# tally's RSA-2048 verifier and with crypto/rsa's), the time a bare
# transfer of the same bytes takes (RRDP snapshots read and discarded),
# the time rsync alone takes to bring every repository into files, and
# every VRP that tally, rpki-client and the generator's expected set do
# not agree on.
#
# On ext4 without a journal, files created within minutes of deleting
# many others (a previous run's work directory) take several times
# longer (the kernel skips recently freed inodes one by one): start a run
# six minutes or more after the last one ended, or the cold figures are
# off by a factor of two or three.
#
# Needs: go, rsync, rpki-client, /usr/bin/time (apt-get install -y rsync
# rpki-client time). Runs as root (rpki-client drops to _rpki-client).
# Not part of CI: a 40,000-CA world takes minutes to generate and run.
set -eu

cas=40000 roas=200000 world= keep= runs=1
while getopts c:r:w:n:k opt; do
	case $opt in
	c) cas=$OPTARG ;;
	r) roas=$OPTARG ;;
	w) world=$OPTARG ;;
	n) runs=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '2,/^# Not part of CI/p' "$0"; exit 2 ;;
	esac
done
case $runs in
'' | *[!0-9]* | 0) echo "compare.sh: -n wants a positive number" >&2; exit 2 ;;
esac
for tool in go rsync rpki-client /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 1; }
done

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/compare.XXXXXX)
chmod 755 "$work"
serve_pid=
cleanup() {
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
	[ -n "$keep" ] && echo "compare.sh: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "compare.sh: building in $work" >&2
(cd "$root" && go build -o "$work/tally" . && go build -o "$work/worldgen" ./testdata/worldgen &&
	go build -o "$work/serve" ./testdata/serve && go build -o "$work/rawfetch" ./testdata/bench/rawfetch)

world=${world:-$work/world}
if [ ! -f "$world/world.json" ]; then
	echo "compare.sh: generating $cas CAs, $roas ROAs into $world" >&2
	"$work/worldgen" -cas "$cas" -roas "$roas" -now now -validity 720h -out "$world"
fi
chmod -R a+rX "$world"

"$work/serve" -world "$world" -bundle "$work/bundle.pem" -ready "$work/ready" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -f "$work/ready" ] && break; sleep 0.1; done
[ -f "$work/ready" ] || { cat "$work/serve.log" >&2; exit 1; }
export SSL_CERT_FILE="$work/bundle.pem"

tals=
for t in "$world"/tals/*.tal; do tals="$tals -t $t"; done

# measure NAME CMD...: runs CMD under /usr/bin/time -v, once for a cold
# case and $runs times otherwise; run i of NAME is recorded in
# $work/NAME.i.time and .log.
measure() {
	name=$1; shift
	n=$runs
	case $name in *-cold) n=1 ;; esac
	for i in $(seq "$n"); do
		/usr/bin/time -v -o "$work/$name.$i.time" "$@" >"$work/$name.$i.log" 2>&1 || {
			echo "compare.sh: $name failed, see $work/$name.$i.log" >&2; tail -5 "$work/$name.$i.log" >&2; exit 1; }
	done
}
field() { # field RUN LABEL: a line of /usr/bin/time -v
	sed -n "s/^[[:space:]]*$2: //p" "$work/$1.time"
}
runsof() { # the runs of NAME
	for f in "$work/$1".[0-9]*.time; do basename "$f" .time; done
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall1() { # seconds from h:mm:ss or m:ss.ss
	field "$1" 'Elapsed (wall clock) time (h:mm:ss or m:ss)' |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f\n", s }'
}
cpu1() { echo "$(field "$1" 'User time (seconds)') $(field "$1" 'System time (seconds)')" | awk '{ printf "%.2f\n", $1 + $2 }'; }
wall() { for r in $(runsof "$1"); do wall1 "$r"; done | median; }
walls() { for r in $(runsof "$1"); do wall1 "$r"; done | paste -sd/ -; }
cpu() { for r in $(runsof "$1"); do cpu1 "$r"; done | median; }
rss() { for r in $(runsof "$1"); do field "$r" 'Maximum resident set size (kbytes)'; done | sort -n | tail -1 | awk '{ printf "%.0f", $1 / 1024 }'; }
vrps() { tail -n +2 "$1/csv" | wc -l; }
vrpset() { tail -n +2 "$1/csv" | cut -d, -f1-3 | sort -u; }

mkdir -p "$work/tally-cache" "$work/tally-out" "$work/rc-cache" "$work/rc-out"
chown _rpki-client "$work/rc-cache" "$work/rc-out"

T="$work/tally -v -s 1800 -c -d $work/tally-cache $tals"
measure tally-cold $T "$work/tally-out"
measure tally-warm $T --no-memo "$work/tally-out"
measure tally-memo $T "$work/tally-out"
measure tally-offline $T -n --no-memo "$work/tally-out"
cp "$work/tally-out/csv" "$work/tally.csv"

R="rpki-client -v -c -s 1800 -d $work/rc-cache $tals"
measure rc-cold $R "$work/rc-out"
measure rc-warm $R "$work/rc-out"
measure rc-offline $R -n "$work/rc-out"

mkdir -p "$work/raw" "$work/rawrsync"
"$work/rawfetch" -world "$world" -dir "$work/raw" >"$work/raw.log"
raw=$(sed -n 's/^rawfetch: \([0-9.]*\) s.*/\1/p' "$work/raw.log")
"$work/rawfetch" -world "$world" -dir "$work/rawrsync" -rsync >"$work/rawrsync.log"
rawrsync=$(sed -n 's/^rawfetch: \([0-9.]*\) s.*/\1/p' "$work/rawrsync.log")

sigs=$(sed -n 's/.*msg="signature memo" answered=[0-9]* verified=\([0-9]*\).*/\1/p' "$work/tally-cold.1.log")
ns=$(cd "$root" && go test -run '^$' -bench '^BenchmarkCheckSignature$' -benchtime 2s ./validate/object |
	awk '/^BenchmarkCheckSignature/ { print $3 }')
# The floor with crypto/rsa (as the issue computes it): tally's figure plus
# what crypto/rsa costs more than tally's verifier on the same signature.
stdns=$(cd "$root" && go test -run '^$' -bench '^BenchmarkVerify$' -benchtime 2s ./validate/object/internal/rsa2048 |
	awk '/^BenchmarkVerify\/crypto-rsa/ { std = $3 } /^BenchmarkVerify\/rsa2048/ { own = $3 } END { print std - own }')
stdns=$(echo "$ns $stdns" | awk '{ print $1 + $2 }')
cores=$(nproc)

printf '\n%-9s %-8s %9s %9s %9s %9s  %s\n' tool run wall_s cpu_s rss_MiB vrps "runs (wall_s)"
for run in cold warm memo offline; do
	printf '%-9s %-8s %9s %9s %9s %9s  %s\n' tally "$run" "$(wall tally-$run)" "$(cpu tally-$run)" "$(rss tally-$run)" "$(vrps "$work/tally-out")" "$(walls tally-$run)"
done
for run in cold warm offline; do
	printf '%-9s %-8s %9s %9s %9s %9s  %s\n' rpki-cl "$run" "$(wall rc-$run)" "$(cpu rc-$run)" "$(rss rc-$run)" "$(vrps "$work/rc-out")" "$(walls rc-$run)"
done
echo
for run in cold warm offline; do
	echo "$run: rpki-client / tally wall time = $(echo "$(wall rc-$run) $(wall tally-$run)" | awk '{ printf "%.1f", $1 / $2 }')x"
done
floor() {
	echo "$2: $sigs signatures x $1 ns / $cores cores = $(echo "$sigs $1 $cores" | awk '{ printf "%.2f", $1 * $2 / 1e9 / $3 }') s;" \
		"tally warm (no memo) = $(echo "$(wall tally-warm) $sigs $1 $cores" | awk '{ printf "%.2f", $1 / ($2 * $3 / 1e9 / $4) }') x floor"
}
floor "$ns" "floor (tally's verifier)"
floor "$stdns" "floor (crypto/rsa)"
echo "bare transfer (snapshots over https, discarded; rsync-only repositories with rsync): $raw s;" \
	"tally cold = $(echo "$(wall tally-cold) $raw" | awk '{ printf "%.2f", $1 / $2 }') x"
echo "rsync alone (every repository with rsync, into files): $rawrsync s;" \
	"tally cold = $(echo "$(wall tally-cold) $rawrsync" | awk '{ printf "%.2f", $1 / $2 }') x"

echo
vrpset "$work/tally-out" >"$work/tally.set"
vrpset "$work/rc-out" >"$work/rc.set"
tail -n +2 "$world/expected/vrps.csv" | cut -d, -f1-3 | sort -u >"$work/expected.set"
status=0
differ() { # differ A B: VRPs of A not in B, and of B not in A
	a=$(comm -23 "$work/$1.set" "$work/$2.set" | wc -l)
	b=$(comm -13 "$work/$1.set" "$work/$2.set" | wc -l)
	echo "$1 vs $2: $a only in $1, $b only in $2"
	comm -3 "$work/$1.set" "$work/$2.set" | head -20
	[ "$a" -eq 0 ] && [ "$b" -eq 0 ] || status=1
}
differ tally expected
differ tally rc
echo "ASPA: rpki-client 8.2 knows only the pre-2023 profile and rejects every current ASPA; VRPs are unaffected."
exit $status
