#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted bytes (libFuzzer, AddressSanitizer, LeakSanitizer).
#
#   scripts/fuzz.sh --list                  the targets, one a line
#   scripts/fuzz.sh TARGET SECONDS [ARG…]   build, then fuzz TARGET for SECONDS (extra ARGs go to libFuzzer,
#                                           e.g. -runs=1000000 -jobs=2)
#   scripts/fuzz.sh --all SECONDS           every target for SECONDS each (CI's short run)
#
# Exit status: 0 when no crash, hang (an input taking over 1 s) or leak was found, else libFuzzer's non-zero
# status. The input that failed is written to .build-fuzz/artifacts/TARGET-*: reproduce it without
# libFuzzer with `swift run finsent-fuzz TARGET FILE`, fix the bug, and commit the input under
# fuzz/regressions/TARGET/ (FuzzCorpusTests replays every file there in the normal test run).
# Seeds are fuzz/corpus/TARGET (committed, small); what the fuzzer learns grows in .build-fuzz/corpus/TARGET.
# FUZZ_CONFIG=debug builds faster and runs slower (CI's short runs); release (the default) is for long runs.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${FUZZ_CONFIG:-release}

targets() {  # the cases of FuzzTarget, as raw values
    sed -n 's/^    case \([a-zA-Z]*\)\( = "\([a-z-]*\)"\)\{0,1\}$/\1 \3/p' Sources/FuzzTargets/FuzzTarget.swift |
        awk '{ print ($2 == "" ? $1 : $2) }'
}

dictionary() {
    case "$1" in
        xml|feed|rss|atom|rdf) echo fuzz/dict/feed.dict ;;
        json-feed|json-mapping) echo fuzz/dict/json.dict ;;
        *) [ -f "fuzz/dict/$1.dict" ] && echo "fuzz/dict/$1.dict" || true ;;
    esac
}

build() {
    echo "fuzz.sh: building finsent-fuzz with -sanitize=fuzzer,address (.build-fuzz)" >&2
    swift build --scratch-path .build-fuzz -c "$config" -j "${FUZZ_BUILD_JOBS:-2}" --product finsent-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
}

run() {
    local target=$1 seconds=$2
    shift 2
    targets | grep -qx "$target" || { echo "fuzz.sh: unknown target \"$target\" (scripts/fuzz.sh --list)" >&2; exit 64; }
    local work=.build-fuzz/corpus/$target dict
    dict=$(dictionary "$target")
    mkdir -p "$work" .build-fuzz/artifacts
    local seeds=("fuzz/corpus/$target")
    [ -d "fuzz/regressions/$target" ] && seeds+=("fuzz/regressions/$target")
    echo "fuzz.sh: $target for ${seconds}s" >&2
    FINSENT_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        ".build-fuzz/$config/finsent-fuzz" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix=".build-fuzz/artifacts/$target-" ${dict:+-dict=$dict} "$@" \
        "$work" "${seeds[@]}"
}

case "${1:-}" in
    --list) targets ;;
    --all)
        seconds=${2:?usage: scripts/fuzz.sh --all SECONDS}
        build
        for t in $(targets); do run "$t" "$seconds"; done
        ;;
    ""|-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
    *)
        seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options]}
        target=$1
        shift 2
        build
        run "$target" "$seconds" "$@"
        ;;
esac
