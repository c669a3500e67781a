#!/usr/bin/env bash
# Builds mockbroker (mockbroker.c beside this script) against librdkafka
# 2.15.1's mock cluster and prints the binary's absolute path as the last
# line on stdout. Everything else goes to stderr.
#
#   bash infra/kafka-mock/build.sh
#
# The result is cached in
#   ${STADTFLUSS_CACHE_DIR:-$HOME/.cache/stadtfluss}/kafka-mock/<key>/mockbroker
# where <key> names the librdkafka version and hashes mockbroker.c together
# with the build recipe below, so editing either rebuilds. A cache hit needs
# neither the network nor a compiler.
#
# A build needs gcc, g++, make, python3 and zlib headers (Debian:
# build-essential zlib1g-dev python3), and npm with access to the npm
# registry. It takes about 40 s on two cores.
set -euo pipefail

# Keep stdout for the final path only: callers read its last line.
exec 3>&1 1>&2

LIBRDKAFKA_VERSION=2.15.1
# librdkafka's full source ships inside this npm package's tarball (deps/).
# Debian's librdkafka (2.0.2) is too old: its mock reports controller id 0,
# which breaks kafkajs admin calls and the idempotent producer.
NPM_PACKAGE=@confluentinc/kafka-javascript
NPM_VERSION=1.10.1
# `npm view @confluentinc/kafka-javascript@1.10.1 dist.integrity`
NPM_INTEGRITY='sha512-KVePUBn21EqCVP9mfxzEuM3SYJHHEF7X+iiC2e43QQgDSyEaksInmCGooT3w5q+cNAdkSCrK71j0ICfqoSqZLw=='

# Only what the mock needs: no TLS, SASL, HTTP or zstd dependencies to
# install, and a static library so the binary depends on libc and zlib only.
CONFIGURE_FLAGS='--disable-ssl --disable-gssapi --disable-sasl --disable-curl --disable-zstd --disable-lz4-ext --enable-static'
CFLAGS_MOCK='-O2 -Wall -Wextra'
# The --wrap lets mockbroker.c choose the partition count of auto-created
# topics (see the comment there); the rest is librdkafka's own link line.
LDFLAGS_MOCK='-Wl,--wrap=rd_kafka_mock_topic_auto_create'
LIBS_MOCK='-lpthread -lz -lm -ldl -lrt'

die() {
  echo "kafka-mock/build.sh: $*" >&2
  exit 1
}

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
src="$script_dir/mockbroker.c"
[ -f "$src" ] || die "missing $src"

cache_root=${STADTFLUSS_CACHE_DIR:-${HOME:?HOME is not set and STADTFLUSS_CACHE_DIR is empty}/.cache/stadtfluss}
mkdir -p -- "$cache_root/kafka-mock"
cache_root=$(cd -- "$cache_root" && pwd -P)

# The mock deletes a partition's oldest data once the partition holds 5 MiB or
# 100,000 produce requests, read or not (rd_kafka_mock_partition_init in
# src/rdkafka_mock.c). Apache Kafka keeps data for retention.ms (7 days by
# default), so a consumer more than 5 MiB behind would skip data here that
# Kafka keeps: a burst then looks like loss inside the pipeline. Both limits
# are raised before building (1 GiB, 10 million; the mock keeps its log in memory).
MOCK_LOG_LIMITS_SED='s/mpart->max_size = 1024 \* 1024 \* 5;/mpart->max_size = 1024 * 1024 * 1024;/; s/mpart->max_cnt  = 100000;/mpart->max_cnt  = 10000000;/'

# The mock appends whatever a client produces; Apache Kafka first checks each
# record batch against message.max.bytes (MESSAGE_TOO_LARGE) and the producer
# id against the state it keeps. The Produce handler is patched to call
# mockbroker_produce_check() (mockbroker.c) just before it appends to the
# partition log, with the topic name and the partition's records.
MOCK_PRODUCE_CHECK_SED='/^#include "rdkafka_mock_int.h"$/a rd_kafka_resp_err_t mockbroker_produce_check(const char *topic, size_t topic_len, const void *records, size_t len);
s|^\( *\)/\* Append to partition log \*/$|\1if (!err) err = mockbroker_produce_check(Topic.str, (size_t)RD_KAFKAP_STR_LEN(\&Topic), records.data, (size_t)RD_KAFKAP_BYTES_LEN(\&records));\n&|'

# The mock completes a group's sync on the leader's SyncGroup and answers a
# follower's that arrives after it with INVALID_REQUEST, which kafkajs treats
# as fatal: a member that is a little slower than the leader crashes. Kafka
# answers a SyncGroup of the current generation in a stable group with the
# member's assignment; sync-group-stable.patch does the same.
#
# The mock answers a Fetch that finds no data only after its whole MaxWait,
# even when a producer writes meanwhile; Kafka answers as soon as data is
# there. fetch-waits-for-data.patch parks such a Fetch and answers it at the
# first append to one of its partitions, or at MaxWait.
#
# The mock answers a Fetch with one record batch per partition, the one holding
# the fetch offset; Kafka answers with every batch from there that fits in the
# partition's and the request's MaxBytes. A consumer behind by many producer
# batches therefore caught up one batch per round trip here, and a consumer
# that takes longer per batch than a producer's linger never caught up.
# fetch-several-batches.patch answers as Kafka does.
#
# The mock answers a Fetch as soon as any data is there; Kafka waits for the
# request's MinBytes (the consumer's fetch.min.bytes), up to its MaxWait.
# fetch-min-bytes.patch keeps such a Fetch parked until appends to its
# partitions bring it MinBytes of records, or MaxWait runs out.
#
# The mock answered a parked Fetch at the first append that gave it MinBytes,
# in the middle of a Produce; Kafka completes delayed fetches after all of a
# produce request's appends, so a Fetch of the partitions one Produce wrote
# carries all of them. fetch-after-produce.patch answers as Kafka does.
MOCK_PATCHES=(
  "$script_dir/sync-group-stable.patch"
  "$script_dir/fetch-waits-for-data.patch"
  "$script_dir/fetch-several-batches.patch"
  "$script_dir/fetch-min-bytes.patch"
  "$script_dir/fetch-after-produce.patch"
)

recipe_hash=$(
  {
    cat -- "$src" "${MOCK_PATCHES[@]}"
    printf '%s\n' "$NPM_INTEGRITY" "$CONFIGURE_FLAGS" "$CFLAGS_MOCK" "$LDFLAGS_MOCK" "$LIBS_MOCK" "$MOCK_LOG_LIMITS_SED" \
      "$MOCK_PRODUCE_CHECK_SED"
  } | sha256sum | cut -c1-12
)
key="librdkafka-$LIBRDKAFKA_VERSION-$recipe_hash"
out_dir="$cache_root/kafka-mock/$key"
bin="$out_dir/mockbroker"

if [ -x "$bin" ]; then
  echo "$bin" >&3
  exit 0
fi

# --- the slow path: check the toolchain first, so a missing package fails in
# --- a second with its name rather than halfway through configure.
missing=()
for tool in gcc g++ make python3 npm tar gzip sha256sum sha512sum base64 od patch; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if command -v gcc >/dev/null 2>&1 &&
  ! printf '#include <zlib.h>\nint main(void){return zlibVersion() == 0;}\n' |
  gcc -x c - -o /dev/null -lz >/dev/null 2>&1; then
  missing+=("zlib headers/library (zlib.h, -lz)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  die "cannot build mockbroker, missing: ${missing[*]}
  (Debian/Ubuntu: apt-get install -y build-essential zlib1g-dev python3; npm comes with Node.js)"
fi

mkdir -p -- "$out_dir"

# Parallel test workers may all ask for the binary at once: let one build
# and the others wait for its result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out_dir/.lock"
  if ! flock -n 9; then
    echo "kafka-mock: waiting for another build of $key" >&2
    flock 9
  fi
  if [ -x "$bin" ]; then
    echo "$bin" >&3
    exit 0
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kafka-mock-build.XXXXXX")
cleanup() { rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
echo "kafka-mock: building mockbroker (librdkafka $LIBRDKAFKA_VERSION) in $work" >&2

# Outside any project folder, so that no project .npmrc applies.
(cd "$work" && npm pack "$NPM_PACKAGE@$NPM_VERSION" --silent >"$work/npm-pack.log" 2>&1) || {
  cat "$work/npm-pack.log" >&2
  die "npm pack $NPM_PACKAGE@$NPM_VERSION failed"
}
tarball="$work/confluentinc-kafka-javascript-$NPM_VERSION.tgz"
[ -f "$tarball" ] || die "npm pack did not produce $tarball"

# npm checks the tarball against the registry's metadata; this also pins it
# against the registry itself changing what 1.10.1 contains.
expected_hex=$(printf '%s' "${NPM_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
actual_hex=$(sha512sum -- "$tarball" | cut -d' ' -f1)
[ "$expected_hex" = "$actual_hex" ] ||
  die "integrity mismatch for $NPM_PACKAGE@$NPM_VERSION: expected sha512 $expected_hex, got $actual_hex"

tar -xzf "$tarball" -C "$work" package/deps/librdkafka
rdk="$work/package/deps/librdkafka"

sed -i "$MOCK_LOG_LIMITS_SED" "$rdk/src/rdkafka_mock.c"
grep -q 'mpart->max_size = 1024 \* 1024 \* 1024;' "$rdk/src/rdkafka_mock.c" &&
  grep -q 'mpart->max_cnt  = 10000000;' "$rdk/src/rdkafka_mock.c" ||
  die "librdkafka's mock no longer sets its log limits as expected: review MOCK_LOG_LIMITS_SED"
sed -i "$MOCK_PRODUCE_CHECK_SED" "$rdk/src/rdkafka_mock_handlers.c"
[ "$(grep -c 'mockbroker_produce_check(' "$rdk/src/rdkafka_mock_handlers.c")" = 2 ] ||
  die "librdkafka's mock Produce handler is no longer as expected: review MOCK_PRODUCE_CHECK_SED"

for mock_patch in "${MOCK_PATCHES[@]}"; do
  patch -s -p1 -d "$rdk" --forward <"$mock_patch" ||
    die "$(basename -- "$mock_patch") no longer applies to librdkafka's mock: review it"
done

run_logged() { # name, command...: keeps the long build output out of the way
  local name=$1
  shift
  if ! "$@" >"$work/$name.log" 2>&1; then
    tail -n 40 "$work/$name.log" >&2
    die "$name failed (last 40 lines above)"
  fi
}

echo "kafka-mock: configure + make (about 40 s)" >&2
# shellcheck disable=SC2086 # flag lists are meant to be split
(cd "$rdk" && run_logged configure ./configure $CONFIGURE_FLAGS)
(cd "$rdk" && run_logged make make -j2 libs)

mkdir -p "$work/inc/librdkafka"
cp "$rdk/src/rdkafka.h" "$rdk/src/rdkafka_mock.h" "$work/inc/librdkafka/"

# shellcheck disable=SC2086
gcc $CFLAGS_MOCK -o "$work/mockbroker" "$src" -I"$work/inc" \
  $LDFLAGS_MOCK "$rdk/src/librdkafka.a" $LIBS_MOCK ||
  die "compiling mockbroker.c failed"
"$work/mockbroker" --help >/dev/null || die "the built mockbroker does not run"

# Copy next to the target first: $work may be on another file system, and
# only a rename within one is atomic, so no reader ever sees half a binary.
cp "$work/mockbroker" "$out_dir/.mockbroker.$$"
mv -f "$out_dir/.mockbroker.$$" "$bin"

echo "kafka-mock: built in $(($(date +%s) - started)) s: $bin" >&2
echo "$bin" >&3
