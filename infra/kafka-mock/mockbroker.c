/*
 * mockbroker: a real Kafka-protocol broker for tests and local runs.
 *
 * It hosts librdkafka's mock cluster (in-memory brokers on loopback TCP
 * ports) and tunes it so that kafkajs 2.2.4 works against it. build.sh next
 * to this file builds it (librdkafka 2.15.1, linked statically).
 *
 *   mockbroker [--brokers N] [--partitions P] [--message-max-bytes B]
 *              [--topic NAME:PARTITIONS]...
 *
 * stdout protocol (line based, flushed after every line):
 *   - once ready:         BOOTSTRAP host:port,host:port,...
 *   - per stdin command:  ok | error <reason>
 * Everything else (librdkafka logs, diagnostics) goes to stderr.
 *
 * stdin commands (one per line, every line gets exactly one reply):
 *   topic NAME PARTITIONS            create a topic
 *   down BROKER_ID | up BROKER_ID    drop a broker's connections and stop
 *                                    listening / listen again (same port)
 *   rtt BROKER_ID MS                 delay every response of a broker
 *   leader TOPIC PARTITION BROKER_ID move a partition leader (-1: none)
 *   err APIKEY ERRCODE COUNT         next COUNT requests of APIKEY fail
 *   clear-err APIKEY                 drop the errors still queued for APIKEY
 *   config TOPIC max.message.bytes B a topic's own limit, as Kafka's topic
 *                                    config of that name
 *   forget-producers                 every producer id seen so far is unknown
 *                                    from now on (as after Kafka expired its
 *                                    state): its Produce requests fail with
 *                                    UNKNOWN_PRODUCER_ID until the client
 *                                    gets a new one
 *   ping                             liveness check
 * A downed broker still leads its partitions (clients see errors for them
 * until it is up again or `leader` moves them).
 * BROKER_ID -1 means "all brokers" for down, up and rtt. ERRCODE is a number
 * or a librdkafka error name: NOT_LEADER_FOR_PARTITION, _TRANSPORT (the mock
 * then drops the connection), ...
 *
 * Size limit: as Apache Kafka, a Produce request whose record batch for a
 * partition is larger than message.max.bytes (--message-max-bytes, Kafka's
 * default 1048588, or the topic's max.message.bytes) is refused for that
 * partition with MESSAGE_TOO_LARGE; the mock alone accepts any size. build.sh
 * patches the mock's Produce handler to call mockbroker_produce_check().
 *
 * Fetch: as Apache Kafka, a Fetch that finds no data is answered as soon as a
 * Produce appends to one of its partitions, or after its MaxWait; the mock
 * alone answers only after MaxWait (build.sh applies
 * fetch-waits-for-data.patch).
 *
 * MOCKBROKER_DEBUG=<librdkafka debug contexts> (e.g. "mock,protocol") logs
 * what the brokers receive, on stderr.
 *
 * stdin EOF does not stop the broker (process managers often run it with
 * stdin on /dev/null); SIGTERM or SIGINT shut it down cleanly, exit code 0.
 */

#define _GNU_SOURCE /* ppoll() */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rdkafka.h 2.15.1 declares a `const int` return type, which -Wextra
 * flags; it is librdkafka's header, not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#pragma GCC diagnostic pop

#define DEFAULT_BROKERS 3
#define DEFAULT_PARTITIONS 3
#define MAX_BROKERS 64
#define MAX_PARTITIONS 10000
#define MAX_ERR_COUNT 1000000
#define MAX_RTT_MS 3600000
#define LINE_MAX_LEN 4096
/* Kafka's own limit on topic name length. */
#define TOPIC_NAME_MAX 249
/* Kafka's default message.max.bytes: 1 MiB plus the 12 bytes of log
 * overhead (offset and length) in front of each record batch. */
#define DEFAULT_MESSAGE_MAX_BYTES 1048588
/* Kafka's socket.request.max.bytes: no batch can be larger anyway. */
#define MAX_MESSAGE_MAX_BYTES 104857600

/* kafkajs 2.2.4 misparses the LeaveGroup v3 response (it logs a protocol
 * error on every consumer disconnect), so cap LeaveGroup at v2. */
#define APIKEY_LEAVEGROUP 13
#define LEAVEGROUP_MAX_VERSION 2

/* The mock waits 3 s by default before completing the first join of a
 * group (like a real broker's group.initial.rebalance.delay.ms). Tests
 * start many short-lived consumer groups, so keep the wait short; 100 ms
 * still lets members that start together land in the same generation. */
#define INITIAL_REBALANCE_DELAY_MS 100

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig) {
        stop_signal = sig;
}

/*
 * Topic registry.
 *
 * librdkafka's mock silently auto-creates a topic when a command names one
 * that does not exist (rd_kafka_mock_partition_set_leader("typo", 0, ..)
 * creates "typo" with one partition). A test with a typo would then pass for
 * the wrong reason, so `leader` checks this registry first. It is filled by
 * our own topic creation and by the auto-creation hook below, which runs on
 * the mock cluster's thread: hence the mutex. Never hold it while calling
 * into the mock cluster, whose thread may need it to finish the call.
 */
struct topic_entry {
        char *name;
        int partitions;
        long max_message_bytes; /* -1: the broker's message.max.bytes */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct topic_entry *registry;
static size_t registry_len, registry_cap;

static void registry_add(const char *name, int partitions) {
        size_t i;
        char *copy;

        pthread_mutex_lock(&registry_lock);
        for (i = 0; i < registry_len; i++) {
                if (!strcmp(registry[i].name, name))
                        goto out; /* first creation wins, as in the mock */
        }
        if (registry_len == registry_cap) {
                size_t cap = registry_cap ? registry_cap * 2 : 16;
                struct topic_entry *grown =
                    realloc(registry, cap * sizeof(*registry));
                if (!grown)
                        goto out; /* only costs `leader` its typo check */
                registry     = grown;
                registry_cap = cap;
        }
        if ((copy = strdup(name))) {
                registry[registry_len].name              = copy;
                registry[registry_len].partitions        = partitions;
                registry[registry_len].max_message_bytes = -1;
                registry_len++;
        }
out:
        pthread_mutex_unlock(&registry_lock);
}

/* Returns the partition count of a known topic, or -1. */
static int registry_partitions(const char *name) {
        size_t i;
        int partitions = -1;

        pthread_mutex_lock(&registry_lock);
        for (i = 0; i < registry_len; i++) {
                if (!strcmp(registry[i].name, name)) {
                        partitions = registry[i].partitions;
                        break;
                }
        }
        pthread_mutex_unlock(&registry_lock);
        return partitions;
}

/* Sets a known topic's max.message.bytes; returns -1 for an unknown topic. */
static int registry_set_max_message_bytes(const char *name, long bytes) {
        size_t i;
        int found = -1;

        pthread_mutex_lock(&registry_lock);
        for (i = 0; i < registry_len; i++) {
                if (!strcmp(registry[i].name, name)) {
                        registry[i].max_message_bytes = bytes;
                        found                         = 0;
                        break;
                }
        }
        pthread_mutex_unlock(&registry_lock);
        return found;
}

/* The topic's max.message.bytes, or -1 when it has none of its own. The name
 * comes from a request: not NUL-terminated. */
static long registry_max_message_bytes(const char *name, size_t len) {
        size_t i;
        long bytes = -1;

        pthread_mutex_lock(&registry_lock);
        for (i = 0; i < registry_len; i++) {
                if (strlen(registry[i].name) == len &&
                    !memcmp(registry[i].name, name, len)) {
                        bytes = registry[i].max_message_bytes;
                        break;
                }
        }
        pthread_mutex_unlock(&registry_lock);
        return bytes;
}

static void registry_free(void) {
        size_t i;

        for (i = 0; i < registry_len; i++)
                free(registry[i].name);
        free(registry);
        registry     = NULL;
        registry_len = registry_cap = 0;
}

/*
 * Partition count of auto-created topics.
 *
 * librdkafka 2.15.1 hard-codes 4 partitions for topics the mock creates on a
 * client's Metadata request (kafkajs producers with allowAutoTopicCreation,
 * consumers subscribing) and has no public setting for it. build.sh links
 * with -Wl,--wrap=rd_kafka_mock_topic_auto_create, so the Metadata handler's
 * call (the only caller outside rdkafka_mock.c, and the only one passing -1 =
 * "use the default") lands here. The function is internal: its signature is
 * that of librdkafka 2.15.1 (src/rdkafka_mock_int.h); if a future version
 * drops it, linking fails instead of silently using 4 partitions.
 *
 * Written once before the cluster starts, only read afterwards.
 */
static int auto_create_partitions = DEFAULT_PARTITIONS;

struct rd_kafka_mock_topic_s; /* opaque: we only pass the pointer on */

struct rd_kafka_mock_topic_s *
__real_rd_kafka_mock_topic_auto_create(rd_kafka_mock_cluster_t *mcluster,
                                       const char *topic,
                                       int partition_cnt,
                                       rd_kafka_resp_err_t *errp);
struct rd_kafka_mock_topic_s *
__wrap_rd_kafka_mock_topic_auto_create(rd_kafka_mock_cluster_t *mcluster,
                                       const char *topic,
                                       int partition_cnt,
                                       rd_kafka_resp_err_t *errp);

struct rd_kafka_mock_topic_s *
__wrap_rd_kafka_mock_topic_auto_create(rd_kafka_mock_cluster_t *mcluster,
                                       const char *topic,
                                       int partition_cnt,
                                       rd_kafka_resp_err_t *errp) {
        struct rd_kafka_mock_topic_s *mtopic;

        if (partition_cnt == -1)
                partition_cnt = auto_create_partitions;
        mtopic = __real_rd_kafka_mock_topic_auto_create(mcluster, topic,
                                                        partition_cnt, errp);
        registry_add(topic, partition_cnt);
        fprintf(stderr, "mockbroker: auto-created topic %s (%d partitions)\n",
                topic, partition_cnt);
        return mtopic;
}

/*
 * Checks a Produce request's records for one partition the way Apache Kafka
 * does before appending them, which the mock itself does not:
 *
 *  - every record batch is at most message.max.bytes (the topic's
 *    max.message.bytes if set), counted as Kafka counts it: the whole batch
 *    with its 12 bytes of offset and length; else MESSAGE_TOO_LARGE;
 *  - a producer id whose state the broker has forgotten (forget-producers)
 *    gets UNKNOWN_PRODUCER_ID.
 *
 * build.sh patches the mock's Produce handler (rdkafka_mock_handlers.c) to
 * call this just before it appends to the partition log; it runs on the mock
 * cluster's thread. Malformed data is left for the mock to refuse.
 */
rd_kafka_resp_err_t mockbroker_produce_check(const char *topic,
                                             size_t topic_len,
                                             const void *records,
                                             size_t len);

/* Written once before the cluster starts, only read afterwards. */
static long message_max_bytes = DEFAULT_MESSAGE_MAX_BYTES;

/* Producer ids seen in Produce requests, sorted, each with whether the
 * broker has "forgotten" it. A few per test: a sorted array will do. */
struct producer_entry {
        int64_t id;
        int forgotten;
};

static pthread_mutex_t producers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct producer_entry *producers;
static size_t producers_len, producers_cap;

/* Notes a producer id; returns whether it is forgotten. */
static int producer_seen(int64_t id) {
        size_t lo = 0, hi, mid;
        int forgotten = 0;

        pthread_mutex_lock(&producers_lock);
        hi = producers_len;
        while (lo < hi) {
                mid = lo + (hi - lo) / 2;
                if (producers[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < producers_len && producers[lo].id == id) {
                forgotten = producers[lo].forgotten;
        } else {
                if (producers_len == producers_cap) {
                        size_t cap = producers_cap ? producers_cap * 2 : 64;
                        struct producer_entry *grown =
                            realloc(producers, cap * sizeof(*producers));
                        if (!grown)
                                goto out; /* only costs forget-producers */
                        producers     = grown;
                        producers_cap = cap;
                }
                memmove(producers + lo + 1, producers + lo,
                        (producers_len - lo) * sizeof(*producers));
                producers[lo].id        = id;
                producers[lo].forgotten = 0;
                producers_len++;
        }
out:
        pthread_mutex_unlock(&producers_lock);
        return forgotten;
}

static void producers_forget_all(void) {
        size_t i;

        pthread_mutex_lock(&producers_lock);
        for (i = 0; i < producers_len; i++)
                producers[i].forgotten = 1;
        pthread_mutex_unlock(&producers_lock);
}

static uint64_t read_be(const unsigned char *p, size_t n) {
        uint64_t v = 0;
        size_t i;

        for (i = 0; i < n; i++)
                v = (v << 8) | p[i];
        return v;
}

/* Record batch v2 (and legacy message set) layout. */
#define BATCH_LOG_OVERHEAD 12 /* BaseOffset int64, BatchLength int32 */
#define BATCH_OF_MAGIC 16
#define BATCH_V2_OF_PRODUCER_ID 43
#define BATCH_V2_HEADER_SIZE 61

rd_kafka_resp_err_t mockbroker_produce_check(const char *topic,
                                             size_t topic_len,
                                             const void *records,
                                             size_t len) {
        const unsigned char *p = records;
        long limit             = registry_max_message_bytes(topic, topic_len);
        size_t of              = 0;

        if (limit < 0)
                limit = message_max_bytes;
        while (of + BATCH_LOG_OVERHEAD <= len) {
                int32_t batch_len =
                    (int32_t)(uint32_t)read_be(p + of + 8, 4);
                size_t size;

                if (batch_len < 0)
                        break;
                size = BATCH_LOG_OVERHEAD + (size_t)batch_len;
                if (size > (size_t)limit)
                        return RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
                if (of + size > len)
                        break;
                if (size >= BATCH_V2_HEADER_SIZE &&
                    (int8_t)p[of + BATCH_OF_MAGIC] >= 2) {
                        int64_t pid = (int64_t)read_be(
                            p + of + BATCH_V2_OF_PRODUCER_ID, 8);
                        if (pid >= 0 && producer_seen(pid))
                                return RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID;
                }
                of += size;
        }
        return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* ------------------------------------------------------------------------ */

static void usage(FILE *out) {
        fprintf(out,
                "usage: mockbroker [--brokers N] [--partitions P] "
                "[--message-max-bytes B] [--topic NAME:PARTITIONS]...\n"
                "  --brokers N        brokers in the cluster (default %d, "
                "ids 1..N)\n"
                "  --partitions P     partitions of auto-created topics "
                "(default %d)\n"
                "  --message-max-bytes B  largest record batch accepted "
                "(default %d, as Kafka)\n"
                "  --topic NAME:P     create topic NAME with P partitions "
                "(repeatable)\n"
                "Prints 'BOOTSTRAP host:port,...' when ready, then reads "
                "commands on stdin:\n"
                "  topic NAME P | down ID | up ID | rtt ID MS |\n"
                "  leader TOPIC PARTITION ID | err APIKEY ERRCODE COUNT |\n"
                "  clear-err APIKEY | config TOPIC max.message.bytes B |\n"
                "  forget-producers | ping\n",
                DEFAULT_BROKERS, DEFAULT_PARTITIONS,
                DEFAULT_MESSAGE_MAX_BYTES);
}

/* Strict integer parsing: the whole token must be a number in range, so
 * that "down 2x" is an error rather than "down 2". */
static int parse_long(const char *s, long min, long max, long *out) {
        char *end;
        long v;

        if (!s || !*s)
                return -1;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* Kafka's rule for topic names; the mock itself accepts anything, which
 * would let a test depend on names a real cluster rejects. */
static int valid_topic_name(const char *name) {
        size_t len = strlen(name);
        const char *p;

        if (len == 0 || len > TOPIC_NAME_MAX || !strcmp(name, ".") ||
            !strcmp(name, ".."))
                return 0;
        for (p = name; *p; p++) {
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
                      *p == '-'))
                        return 0;
        }
        return 1;
}

/* Accepts a numeric code or a name as rd_kafka_err2name() prints it (with
 * or without the RD_KAFKA_RESP_ERR_ prefix), e.g. NOT_LEADER_FOR_PARTITION
 * or _TRANSPORT (which makes the mock drop the connection), so that tests
 * read as what they inject. */
static int parse_err_code(const char *s, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long v;

        if (parse_long(s, INT_MIN, INT_MAX, &v) == 0) {
                *out = (rd_kafka_resp_err_t)v;
                return 0;
        }
        if (!strncmp(s, "RD_KAFKA_RESP_ERR_", 18))
                s += 18;
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                if (descs[i].name && !strcmp(descs[i].name, s)) {
                        *out = descs[i].code;
                        return 0;
                }
        }
        return -1;
}

static int replication_factor(int brokers) {
        return brokers < 3 ? brokers : 3;
}

static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *mc,
                                        int brokers,
                                        const char *name,
                                        int partitions) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
            mc, name, partitions, replication_factor(brokers));
        if (!err)
                registry_add(name, partitions);
        return err;
}

/* Replies go through stdio but are flushed per line so that a parent
 * reading a pipe sees each one immediately. A vanished reader (EPIPE,
 * SIGPIPE is ignored) must not take the broker down with it. */
static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        if (fflush(stdout) != 0)
                clearerr(stdout);
}

static void reply_err(rd_kafka_resp_err_t err) {
        if (err)
                reply("error %s: %s", rd_kafka_err2name(err),
                      rd_kafka_err2str(err));
        else
                reply("ok");
}

#define MAX_ARGS 8

static void handle_command(rd_kafka_mock_cluster_t *mc,
                           int brokers,
                           char *line) {
        char *argv[MAX_ARGS];
        int argc = 0;
        char *save, *tok;
        long a, b, c;

        for (tok = strtok_r(line, " \t\r", &save); tok;
             tok = strtok_r(NULL, " \t\r", &save)) {
                if (argc == MAX_ARGS) {
                        reply("error too many arguments");
                        return;
                }
                argv[argc++] = tok;
        }

        if (argc == 0) {
                reply("error empty command");
                return;
        }

#define EXPECT_ARGS(n, syntax)                                                 \
        do {                                                                   \
                if (argc != (n) + 1) {                                         \
                        reply("error usage: %s", syntax);                      \
                        return;                                                \
                }                                                              \
        } while (0)

        if (!strcmp(argv[0], "ping")) {
                EXPECT_ARGS(0, "ping");
                reply("ok");

        } else if (!strcmp(argv[0], "topic")) {
                EXPECT_ARGS(2, "topic NAME PARTITIONS");
                if (!valid_topic_name(argv[1])) {
                        reply("error invalid topic name");
                        return;
                }
                if (parse_long(argv[2], 1, MAX_PARTITIONS, &a)) {
                        reply("error PARTITIONS must be 1..%d",
                              MAX_PARTITIONS);
                        return;
                }
                reply_err(create_topic(mc, brokers, argv[1], (int)a));

        } else if (!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) {
                int down = !strcmp(argv[0], "down");
                EXPECT_ARGS(1, down ? "down BROKER_ID" : "up BROKER_ID");
                if (parse_long(argv[1], -1, INT32_MAX, &a)) {
                        reply("error invalid BROKER_ID");
                        return;
                }
                reply_err(down ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
                               : rd_kafka_mock_broker_set_up(mc, (int32_t)a));

        } else if (!strcmp(argv[0], "rtt")) {
                EXPECT_ARGS(2, "rtt BROKER_ID MS");
                if (parse_long(argv[1], -1, INT32_MAX, &a)) {
                        reply("error invalid BROKER_ID");
                        return;
                }
                if (parse_long(argv[2], 0, MAX_RTT_MS, &b)) {
                        reply("error MS must be 0..%d", MAX_RTT_MS);
                        return;
                }
                reply_err(
                    rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b));

        } else if (!strcmp(argv[0], "leader")) {
                int partitions;
                EXPECT_ARGS(3, "leader TOPIC PARTITION BROKER_ID");
                if ((partitions = registry_partitions(argv[1])) < 0) {
                        reply("error unknown topic %s", argv[1]);
                        return;
                }
                if (parse_long(argv[2], 0, partitions - 1, &a)) {
                        reply("error PARTITION must be 0..%d",
                              partitions - 1);
                        return;
                }
                if (parse_long(argv[3], -1, INT32_MAX, &b)) {
                        reply("error invalid BROKER_ID");
                        return;
                }
                reply_err(rd_kafka_mock_partition_set_leader(
                    mc, argv[1], (int32_t)a, (int32_t)b));

        } else if (!strcmp(argv[0], "err")) {
                rd_kafka_resp_err_t code, *codes;
                long i;
                EXPECT_ARGS(3, "err APIKEY ERRCODE COUNT");
                if (parse_long(argv[1], 0, INT16_MAX, &a)) {
                        reply("error invalid APIKEY");
                        return;
                }
                if (parse_err_code(argv[2], &code)) {
                        reply("error invalid ERRCODE");
                        return;
                }
                if (parse_long(argv[3], 1, MAX_ERR_COUNT, &c)) {
                        reply("error COUNT must be 1..%d", MAX_ERR_COUNT);
                        return;
                }
                if (!(codes = malloc((size_t)c * sizeof(*codes)))) {
                        reply("error out of memory");
                        return;
                }
                for (i = 0; i < c; i++)
                        codes[i] = code;
                rd_kafka_mock_push_request_errors_array(mc, (int16_t)a,
                                                        (size_t)c, codes);
                free(codes);
                reply("ok");

        } else if (!strcmp(argv[0], "clear-err")) {
                EXPECT_ARGS(1, "clear-err APIKEY");
                if (parse_long(argv[1], 0, INT16_MAX, &a)) {
                        reply("error invalid APIKEY");
                        return;
                }
                rd_kafka_mock_clear_request_errors(mc, (int16_t)a);
                reply("ok");

        } else if (!strcmp(argv[0], "config")) {
                EXPECT_ARGS(3, "config TOPIC max.message.bytes BYTES");
                if (strcmp(argv[2], "max.message.bytes")) {
                        reply("error only max.message.bytes can be set");
                        return;
                }
                if (parse_long(argv[3], 0, MAX_MESSAGE_MAX_BYTES, &a)) {
                        reply("error BYTES must be 0..%d",
                              MAX_MESSAGE_MAX_BYTES);
                        return;
                }
                if (registry_set_max_message_bytes(argv[1], a)) {
                        reply("error unknown topic %s", argv[1]);
                        return;
                }
                reply("ok");

        } else if (!strcmp(argv[0], "forget-producers")) {
                EXPECT_ARGS(0, "forget-producers");
                producers_forget_all();
                reply("ok");

        } else {
                reply("error unknown command %.64s", argv[0]);
        }
#undef EXPECT_ARGS
}

/*
 * Command loop.
 *
 * SIGTERM/SIGINT stay blocked except inside ppoll()/sigsuspend(), which
 * unblock them atomically. A plain "check flag, then read()" would lose a
 * signal that arrives between the check and the read and then sit in read()
 * until the next command. The handler has no SA_RESTART, so the wait
 * returns EINTR and the loop sees the flag.
 */
static void command_loop(rd_kafka_mock_cluster_t *mc,
                         int brokers,
                         const sigset_t *wait_mask) {
        char buf[LINE_MAX_LEN + 1];
        size_t len    = 0;
        int stdin_open = 1, discarding = 0;

        while (!stop_signal && stdin_open) {
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                ssize_t n;
                char *nl;

                if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("mockbroker: ppoll");
                        break;
                }
                if (pfd.revents & POLLNVAL)
                        break; /* stdin was never open: treat as EOF */

                n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        perror("mockbroker: read stdin");
                        break;
                }
                if (n == 0) {
                        /* A last command without a newline still counts. */
                        if (len > 0 && !discarding) {
                                buf[len] = '\0';
                                handle_command(mc, brokers, buf);
                        }
                        stdin_open = 0;
                        break;
                }
                len += (size_t)n;

                while ((nl = memchr(buf, '\n', len))) {
                        size_t line_len = (size_t)(nl - buf);
                        *nl             = '\0';
                        if (discarding)
                                discarding = 0; /* tail of an overlong line */
                        else
                                handle_command(mc, brokers, buf);
                        memmove(buf, nl + 1, len - line_len - 1);
                        len -= line_len + 1;
                }

                if (len == sizeof(buf) - 1) {
                        /* Answer an overlong line once and drop the rest
                         * of it, so that replies stay one per line. */
                        if (!discarding)
                                reply("error line too long");
                        discarding = 1;
                        len        = 0;
                }
        }

        /* stdin is gone but the broker keeps serving until told to stop. */
        while (!stop_signal)
                sigsuspend(wait_mask);
}

int main(int argc, char **argv) {
        int brokers = DEFAULT_BROKERS;
        char **topics = NULL;
        int topic_cnt = 0;
        sigset_t stop_set, wait_mask;
        struct sigaction sa;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        rd_kafka_resp_err_t err;
        char errstr[512];
        const char *debug;
        int i, exit_code = 0;
        long v;

        /* Flags are validated before anything starts so that a typo fails
         * fast with exit code 2 instead of a half-configured cluster. */
        topics = calloc((size_t)argc, sizeof(*topics));
        if (!topics) {
                fprintf(stderr, "mockbroker: out of memory\n");
                return 1;
        }
        for (i = 1; i < argc; i++) {
                const char *arg = argv[i];
                const char *val = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        usage(stdout);
                        free(topics);
                        return 0;
                } else if (!strcmp(arg, "--brokers")) {
                        if (parse_long(val, 1, MAX_BROKERS, &v)) {
                                fprintf(stderr,
                                        "mockbroker: --brokers needs 1..%d\n",
                                        MAX_BROKERS);
                                goto bad_usage;
                        }
                        brokers = (int)v;
                        i++;
                } else if (!strcmp(arg, "--partitions")) {
                        if (parse_long(val, 1, MAX_PARTITIONS, &v)) {
                                fprintf(stderr,
                                        "mockbroker: --partitions needs "
                                        "1..%d\n",
                                        MAX_PARTITIONS);
                                goto bad_usage;
                        }
                        auto_create_partitions = (int)v;
                        i++;
                } else if (!strcmp(arg, "--message-max-bytes")) {
                        if (parse_long(val, 0, MAX_MESSAGE_MAX_BYTES, &v)) {
                                fprintf(stderr,
                                        "mockbroker: --message-max-bytes "
                                        "needs 0..%d\n",
                                        MAX_MESSAGE_MAX_BYTES);
                                goto bad_usage;
                        }
                        message_max_bytes = v;
                        i++;
                } else if (!strcmp(arg, "--topic")) {
                        /* Topic names cannot contain ':', so the last one
                         * separates the name from the partition count. */
                        const char *colon = val ? strrchr(val, ':') : NULL;
                        char name[TOPIC_NAME_MAX + 1];
                        size_t name_len;

                        if (!colon ||
                            parse_long(colon + 1, 1, MAX_PARTITIONS, &v) ||
                            (name_len = (size_t)(colon - val)) >
                                TOPIC_NAME_MAX) {
                                fprintf(stderr,
                                        "mockbroker: --topic needs "
                                        "NAME:PARTITIONS (1..%d)\n",
                                        MAX_PARTITIONS);
                                goto bad_usage;
                        }
                        memcpy(name, val, name_len);
                        name[name_len] = '\0';
                        if (!valid_topic_name(name)) {
                                fprintf(stderr,
                                        "mockbroker: invalid topic name "
                                        "'%s'\n",
                                        name);
                                goto bad_usage;
                        }
                        topics[topic_cnt++] = argv[++i];
                } else {
                        fprintf(stderr, "mockbroker: unknown argument '%s'\n",
                                arg);
                        goto bad_usage;
                }
        }

        /* Block the stop signals before librdkafka starts its threads: they
         * inherit the mask, so a process-directed SIGTERM can only be taken
         * by the main thread, inside ppoll()/sigsuspend(). (librdkafka masks
         * its own client threads but not the mock cluster's thread.) */
        sigemptyset(&stop_set);
        sigaddset(&stop_set, SIGTERM);
        sigaddset(&stop_set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop_set, &wait_mask);
        sigdelset(&wait_mask, SIGTERM);
        sigdelset(&wait_mask, SIGINT);

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: waits must return EINTR */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        /* Replies to a parent that has gone must not kill the broker. */
        signal(SIGPIPE, SIG_IGN);

        /* The mock cluster needs a client instance for its bookkeeping
         * only; it never connects anywhere, so no bootstrap.servers. That
         * makes librdkafka log a misleading notice ("client will not be able
         * to connect"), hence warnings and errors only, unless
         * MOCKBROKER_DEBUG asks for librdkafka debug contexts (e.g.
         * "mock,protocol") to see what a client sent. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "client.id", "mockbroker", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            rd_kafka_conf_set(conf, "log_level", "4", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            ((debug = getenv("MOCKBROKER_DEBUG")) && *debug &&
             (rd_kafka_conf_set(conf, "log_level", "7", errstr,
                                sizeof(errstr)) != RD_KAFKA_CONF_OK ||
              rd_kafka_conf_set(conf, "debug", debug, errstr,
                                sizeof(errstr)) != RD_KAFKA_CONF_OK))) {
                fprintf(stderr, "mockbroker: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                free(topics);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mockbroker: rd_kafka_new: %s\n", errstr);
                free(topics);
                return 1;
        }

        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mockbroker: cannot create mock cluster\n");
                rd_kafka_destroy(rk);
                free(topics);
                return 1;
        }

        /* The mock reports no controller by default; kafkajs admin calls and
         * the idempotent producer need a controller that is one of the
         * brokers ("Broker 0 not found in the cached metadata"). */
        rd_kafka_mock_set_controller_id(mc, 1);
        err = rd_kafka_mock_set_apiversion(mc, APIKEY_LEAVEGROUP, 0,
                                           LEAVEGROUP_MAX_VERSION);
        if (err)
                fprintf(stderr,
                        "mockbroker: cannot cap LeaveGroup version: %s\n",
                        rd_kafka_err2str(err));
        rd_kafka_mock_group_initial_rebalance_delay_ms(
            mc, INITIAL_REBALANCE_DELAY_MS);

        for (i = 0; i < topic_cnt; i++) {
                const char *colon = strrchr(topics[i], ':');
                char name[TOPIC_NAME_MAX + 1];
                size_t name_len = (size_t)(colon - topics[i]);

                memcpy(name, topics[i], name_len);
                name[name_len] = '\0';
                err = create_topic(mc, brokers, name, atoi(colon + 1));
                if (err) {
                        fprintf(stderr,
                                "mockbroker: cannot create topic %s: %s\n",
                                name, rd_kafka_err2str(err));
                        exit_code = 1;
                        goto shutdown;
                }
        }
        free(topics);
        topics = NULL;

        fprintf(stderr,
                "mockbroker: librdkafka %s, %d broker(s), auto-created topics "
                "get %d partition(s), replication factor %d, "
                "message.max.bytes %ld\n",
                rd_kafka_version_str(), brokers, auto_create_partitions,
                replication_factor(brokers), message_max_bytes);
        reply("BOOTSTRAP %s", rd_kafka_mock_cluster_bootstraps(mc));

        command_loop(mc, brokers, &wait_mask);

        fprintf(stderr, "mockbroker: %s, shutting down\n",
                stop_signal ? strsignal(stop_signal) : "stopping");

shutdown:
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        registry_free();
        free(producers);
        free(topics);
        return exit_code;

bad_usage:
        usage(stderr);
        free(topics);
        return 2;
}
