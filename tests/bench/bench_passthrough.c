/* bench_passthrough.c - the limit this machine allows for consume-and-produce.
 *
 *   bench_passthrough --bootstrap B --in TOPIC --out TOPIC[,TOPIC...] --group G
 *                     --mode eos|alo [--commit-interval-ms 100] [--commit-max 10000]
 *                     --expect N [--transactional-id X]
 *
 * The same Kafka work as `lead-router run`, without decoding or deciding:
 * each message of --in is copied to --out with its key and value unchanged.
 * With several --out topics it is copied to each: the router publishes about
 * three records per lead (decision, status, state changelog) to about ten
 * partitions per transaction, and a fan-out of three shows what that volume
 * alone costs.
 * The clients are set up as the router sets them up (kafka.c): a
 * read_committed consumer without auto commit, polled one message at a time
 * with rd_kafka_consumer_poll (the batch API of librdkafka 2.0.2 can
 * misdeliver) and queued.min.messages=1000000 (see consumer_defaults in
 * kafka.c: with the default, a backlog stalls the fetcher), and a producer with socket.nagle.disable=true and the router's
 * default linger.ms (1 in eos, 5 in alo).
 * Commit windows follow the router's rule: a window opens with its first
 * message and closes after --commit-interval-ms or --commit-max messages.
 *   eos  one transaction per window, the input offsets sent into it
 *        (send_offsets_to_transaction), then commit_transaction
 *   alo  idempotent producer; per window flush, then commit the offsets
 * After N messages the last window is committed and the program prints the
 * time from the first message consumed to that final commit, and msgs/s, on
 * one line that tests/bench/bench_kafka.py parses:
 *   bench_passthrough: mode=eos messages=N commits=C elapsed_ms=T msgs_per_s=R
 * SIGINT/SIGTERM stop early (the open window is still committed). Any
 * transactional error other than a retriable one ends the run with exit 1:
 * a benchmark has no recovery to measure. */
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OUT 8

typedef struct opts {
    const char *bootstrap, *in, *group, *txn_id;
    char *out[MAX_OUT]; /* split from --out */
    int n_out;
    bool eos;
    int64_t interval_ms, commit_max, expect;
} opts;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int64_t mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double mono_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_passthrough: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
    char errstr[256];
    if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        die("property %s=%s: %s", k, v, errstr);
}

static rd_kafka_t *make_client(rd_kafka_type_t type, rd_kafka_conf_t *c) {
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, c, errstr, sizeof(errstr));
    if (!rk) die("cannot create the %s: %s", type == RD_KAFKA_PRODUCER ? "producer" : "consumer",
                 errstr);
    return rk;
}

/* A transactional step: retried while librdkafka calls the error retriable,
 * fatal otherwise (see the header comment). */
static void txn_check(const char *what, rd_kafka_error_t *(*call)(void *), void *arg) {
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = call(arg);
        if (!e) return;
        if (rd_kafka_error_is_retriable(e) && attempt < 50) {
            fprintf(stderr, "bench_passthrough: %s: %s (retrying)\n", what,
                    rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            continue;
        }
        die("%s: %s", what, rd_kafka_error_string(e));
    }
}

typedef struct pt {
    const opts *o;
    rd_kafka_t *consumer, *producer;
    bool txn_open;
    int64_t window_started; /* monotonic ms, or -1 when the window is empty */
    int64_t window_messages;
    int64_t commits;
    int delivery_errors;
} pt;

static rd_kafka_error_t *do_init(void *arg) {
    return rd_kafka_init_transactions(((pt *)arg)->producer, 30000);
}
static rd_kafka_error_t *do_begin(void *arg) {
    return rd_kafka_begin_transaction(((pt *)arg)->producer);
}
static rd_kafka_error_t *do_commit(void *arg) {
    return rd_kafka_commit_transaction(((pt *)arg)->producer, 30000);
}

typedef struct send_args {
    pt *p;
    rd_kafka_topic_partition_list_t *offsets;
} send_args;

static rd_kafka_error_t *do_send_offsets(void *arg) {
    send_args *a = arg;
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(a->p->consumer);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(a->p->producer, a->offsets, md,
                                                               30000);
    rd_kafka_consumer_group_metadata_destroy(md);
    return e;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    pt *p = opaque;
    if (m->err && p->delivery_errors++ < 5)
        fprintf(stderr, "bench_passthrough: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

/* The position (next offset to read) of every assigned partition that has
 * one: what the router commits too. */
static rd_kafka_topic_partition_list_t *positions(pt *p) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(p->consumer, &parts) || !parts) return NULL;
    rd_kafka_position(p->consumer, parts);
    rd_kafka_topic_partition_list_t *valid = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(valid, parts->elems[i].topic,
                                              parts->elems[i].partition)
                ->offset = parts->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    return valid;
}

static void window_commit(pt *p) {
    if (p->window_started < 0) return;
    rd_kafka_topic_partition_list_t *offs = positions(p);
    if (p->o->eos) {
        if (offs && offs->cnt > 0) {
            send_args a = {p, offs};
            txn_check("send_offsets_to_transaction", do_send_offsets, &a);
        }
        txn_check("commit_transaction", do_commit, p);
        p->txn_open = false;
    } else {
        while (rd_kafka_outq_len(p->producer) > 0) rd_kafka_flush(p->producer, 1000);
        if (offs && offs->cnt > 0) {
            rd_kafka_resp_err_t e = rd_kafka_commit(p->consumer, offs, 0);
            if (e) die("offset commit: %s", rd_kafka_err2str(e));
        }
    }
    if (offs) rd_kafka_topic_partition_list_destroy(offs);
    if (p->delivery_errors) die("%d message(s) could not be delivered", p->delivery_errors);
    p->commits++;
    p->window_started = -1;
    p->window_messages = 0;
}

static void copy_out(pt *p, const rd_kafka_message_t *m) {
    if (p->o->eos && !p->txn_open) {
        txn_check("begin_transaction", do_begin, p);
        p->txn_open = true;
    }
    for (int i = 0; i < p->o->n_out;) {
        /* copied, as the router copies its encoded events */
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->producer, RD_KAFKA_V_TOPIC(p->o->out[i]), RD_KAFKA_V_KEY(m->key, m->key_len),
            RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p->producer, 10);
            continue;
        }
        if (e) die("produce to %s: %s", p->o->out[i], rd_kafka_err2str(e));
        i++;
    }
}

static int poll_timeout(const pt *p, int64_t now) {
    if (p->window_started < 0) return 100;
    int64_t left = p->window_started + p->o->interval_ms - now;
    return left < 0 ? 0 : left > 100 ? 100 : (int)left;
}

static void usage(const char *msg) {
    if (msg) fprintf(stderr, "bench_passthrough: %s\n", msg);
    fputs("usage: bench_passthrough --bootstrap B --in TOPIC --out TOPIC[,TOPIC...] --group G\n"
          "         --mode eos|alo [--commit-interval-ms 100] [--commit-max 10000]\n"
          "         --expect N [--transactional-id X]\n",
          stderr);
    exit(2);
}

static int64_t parse_count(const char *s, const char *name) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end || v <= 0) {
        fprintf(stderr, "bench_passthrough: %s takes a positive integer\n", name);
        usage(NULL);
    }
    return v;
}

static void parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {
        {"bootstrap", required_argument, 0, 'b'},   {"in", required_argument, 0, 'i'},
        {"out", required_argument, 0, 'o'},         {"group", required_argument, 0, 'g'},
        {"mode", required_argument, 0, 'm'},        {"commit-interval-ms", required_argument, 0, 'c'},
        {"commit-max", required_argument, 0, 'x'},  {"expect", required_argument, 0, 'n'},
        {"transactional-id", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *mode = NULL;
    char *out = NULL;
    int c;
    *o = (opts){.interval_ms = 100, .commit_max = 10000};
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'b': o->bootstrap = optarg; break;
        case 'i': o->in = optarg; break;
        case 'o': out = optarg; break;
        case 'g': o->group = optarg; break;
        case 'm': mode = optarg; break;
        case 'c': o->interval_ms = parse_count(optarg, "--commit-interval-ms"); break;
        case 'x': o->commit_max = parse_count(optarg, "--commit-max"); break;
        case 'n': o->expect = parse_count(optarg, "--expect"); break;
        case 't': o->txn_id = optarg; break;
        default: usage(NULL);
        }
    }
    if (optind < argc) usage("unexpected argument");
    if (!o->bootstrap || !o->in || !out || !o->group || !mode || !o->expect)
        usage("--bootstrap, --in, --out, --group, --mode and --expect are required");
    for (char *save = NULL, *t = strtok_r(out, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->n_out == MAX_OUT) usage("at most 8 --out topics");
        o->out[o->n_out++] = t;
    }
    if (o->n_out == 0) usage("--out names no topic");
    if (strcmp(mode, "eos") == 0) o->eos = true;
    else if (strcmp(mode, "alo") != 0) usage("--mode is eos or alo");
}

int main(int argc, char **argv) {
    opts o;
    parse(argc, argv, &o);
    char txn_id[256];
    if (!o.txn_id) {
        snprintf(txn_id, sizeof(txn_id), "bench-passthrough-%s", o.group);
        o.txn_id = txn_id;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    pt p = {.o = &o, .window_started = -1};
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    set(pc, "bootstrap.servers", o.bootstrap);
    set(pc, "socket.nagle.disable", "true");
    set(pc, "linger.ms", o.eos ? "1" : "5");
    if (o.eos) set(pc, "transactional.id", o.txn_id);
    else set(pc, "enable.idempotence", "true");
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_opaque(pc, &p);
    p.producer = make_client(RD_KAFKA_PRODUCER, pc);

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    set(cc, "bootstrap.servers", o.bootstrap);
    set(cc, "socket.nagle.disable", "true");
    set(cc, "group.id", o.group);
    set(cc, "enable.auto.commit", "false");
    set(cc, "enable.auto.offset.store", "false");
    set(cc, "auto.offset.reset", "earliest");
    set(cc, "isolation.level", "read_committed");
    set(cc, "queued.min.messages", "1000000");
    p.consumer = make_client(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(p.consumer);

    if (o.eos) txn_check("init_transactions", do_init, &p);
    /* as the router does: learn the output topics' partitions before the
     * first record, which would otherwise wait for them and hold its window */
    rd_kafka_topic_t *warm[MAX_OUT];
    for (int i = 0; i < o.n_out; i++) {
        warm[i] = rd_kafka_topic_new(p.producer, o.out[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(p.producer, 0, warm[i], &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, o.in, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(p.consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) die("subscribe %s: %s", o.in, rd_kafka_err2str(se));
    fprintf(stderr,
            "bench_passthrough: running (%s), %s -> %s%s, group %s, expecting %" PRId64 "\n",
            o.eos ? "eos" : "alo", o.in, o.out[0], o.n_out > 1 ? " and more" : "", o.group,
            o.expect);

    int64_t n = 0;
    double first = -1;
    while (n < o.expect && !stop_requested) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p.consumer, poll_timeout(&p, mono_ms()));
        if (m) {
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "bench_passthrough: consumer: %s\n",
                            rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__FATAL) die("consumer fatal error");
            } else {
                if (first < 0) first = mono_s();
                if (p.window_started < 0) p.window_started = mono_ms();
                copy_out(&p, m);
                n++;
                p.window_messages++;
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(p.producer, 0);
        if (p.window_started >= 0 && (mono_ms() - p.window_started >= o.interval_ms ||
                                      p.window_messages >= o.commit_max))
            window_commit(&p);
    }
    window_commit(&p); /* the last window, however short */
    double elapsed = first < 0 ? 0 : mono_s() - first;

    rd_kafka_consumer_close(p.consumer);
    rd_kafka_flush(p.producer, 10000);
    for (int i = 0; i < o.n_out; i++) rd_kafka_topic_destroy(warm[i]);
    rd_kafka_destroy(p.consumer);
    rd_kafka_destroy(p.producer);
    printf("bench_passthrough: mode=%s messages=%" PRId64 " commits=%" PRId64
           " elapsed_ms=%.1f msgs_per_s=%.0f\n",
           o.eos ? "eos" : "alo", n, p.commits, elapsed * 1000,
           elapsed > 0 ? (double)n / elapsed : 0.0);
    fflush(stdout);
    return n < o.expect ? 1 : 0;
}
