/* roster_cmd.c - `lead-router roster set|remove|ooo|list` and `lead-router
 * owners import` (roster_cmd.h).
 *
 * Each command first builds the roster as a router would see it: the YAML,
 * then every record of the roster and account-owner topics (read whole, as
 * the router reads them at start). It then checks the change against that
 * roster and the rulebook (unknown team, bad zone, unknown rep, bad dates)
 * and only then writes: a refused command writes nothing. A rep change is
 * written as the rep's complete record (the current one, edited), so the
 * topic alone says everything about a rep. */
#include "roster_cmd.h"

#include <ctype.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rosterwire.h"
#include "rules.h"

typedef struct session {
    lr_config *cfg;
    lr_roster_wire *wire;
    lr_arena mem;
    int failed;            /* delivery reports with an error */
} session;

static int fail(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "lead-router: ");
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    return 1;
}

static rd_kafka_conf_t *base_conf(const lr_kafka_config *kc) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    for (size_t i = 0; i < kc->n_props; i++)
        if (rd_kafka_conf_set(conf, kc->prop_keys[i], kc->prop_values[i], errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK)
            fprintf(stderr, "lead-router: kafka.properties.%s: %s (ignored)\n", kc->prop_keys[i],
                    errstr);
    return conf;
}

/* ---- the roster as the router sees it */

static void apply(session *s, const char *topic, const rd_kafka_message_t *m) {
    lr_route_config *rc = s->cfg->rules.route;
    lr_err err;
    char why[256];
    char *key = lr_arena_strndup(&s->mem, m->key, m->key_len);
    bool roster = s->cfg->kafka.topics.roster && !strcmp(topic, s->cfg->kafka.topics.roster);
    if (!m->payload) {
        if (roster) lr_roster_remove_rep(rc, key, m->key_len, &err);
        else lr_roster_clear_owner(rc, key, &err);
        return;
    }
    /* what the router refuses (and dead-letters) is skipped here too */
    if (roster) {
        lr_rep_rec r;
        if (lr_roster_wire_decode_rep(s->wire, m->payload, m->len, &s->mem, &r, why,
                                      sizeof(why)) == 0 && !strcmp(r.id, key))
            lr_roster_apply_rep(rc, s->cfg->tz, &r, false, &err);
    } else {
        lr_owner_rec o;
        if (lr_roster_wire_decode_owner(s->wire, m->payload, m->len, &s->mem, &o, why,
                                        sizeof(why)) == 0 && !strcmp(o.domain, key))
            lr_roster_apply_owner(rc, &o, false, &err);
    }
}

/* Every partition of `topic` from the beginning to its end. */
static int read_topic(session *s, rd_kafka_t *rk, const char *topic) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 30000);
    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err || !md->topics[0].partition_cnt) {
        if (md) rd_kafka_metadata_destroy(md);
        return fail("topic %s: cannot read its partitions (does it exist?)", topic, NULL);
    }
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    int64_t *end = calloc((size_t)np, sizeof(*end));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    int left = 0;
    for (int p = 0; p < np; p++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 30000)) {
            free(end);
            rd_kafka_topic_partition_list_destroy(parts);
            return fail("topic %s: cannot read its offsets", topic, NULL);
        }
        end[p] = hi;
        if (hi > lo) {
            rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
            left++;
        }
    }
    rd_kafka_assign(rk, parts);
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 30000);
        if (!m) break;
        if (!m->err && m->key) apply(s, topic, m);
        if (!m->err && m->offset + 1 >= end[m->partition]) left--;
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk, NULL);
    rd_kafka_topic_partition_list_destroy(parts);
    free(end);
    return left > 0 ? fail("topic %s: timed out reading it", topic, NULL) : 0;
}

static int open_session(session *s, const char *path) {
    lr_err err = {0};
    memset(s, 0, sizeof(*s));
    lr_arena_init(&s->mem, 16 * 1024);
    s->cfg = lr_config_load(path, &err);
    if (!s->cfg) return fprintf(stderr, "%s\n", err.msg), 1;
    const lr_kafka_config *kc = &s->cfg->kafka;
    if (!kc->topics.roster || !kc->topics.account_owners)
        return fail("%s: kafka.topics.roster and kafka.topics.account_owners must be set", path,
                    NULL);
    s->wire = lr_roster_wire_new((int32_t)kc->schema_ids.rep, (int32_t)kc->schema_ids.account_owner,
                                 &err);
    if (!s->wire) return fprintf(stderr, "%s\n", err.msg), 1;
    rd_kafka_conf_t *conf = base_conf(kc);
    char errstr[256];
    rd_kafka_conf_set(conf, "group.id", "lead-router-cli", NULL, 0);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) return fail("cannot create a consumer: %s", errstr, NULL);
    rd_kafka_poll_set_consumer(rk);
    int rc = read_topic(s, rk, kc->topics.roster);
    if (!rc) rc = read_topic(s, rk, kc->topics.account_owners);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

static void close_session(session *s) {
    lr_roster_wire_free(s->wire);
    lr_config_free(s->cfg);
    lr_arena_destroy(&s->mem);
}

/* ---- writing */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    session *s = opaque;
    if (m->err) {
        fprintf(stderr, "lead-router: not written: %s\n", rd_kafka_err2str(m->err));
        s->failed++;
    }
}

typedef struct out_rec {
    bool owner;
    const char *key;
    lr_buf val;            /* empty: a tombstone */
} out_rec;

static int write_all(session *s, out_rec *recs, size_t n) {
    rd_kafka_conf_t *conf = base_conf(&s->cfg->kafka);
    char errstr[256];
    rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) return fail("cannot create a producer: %s", errstr, NULL);
    const lr_kafka_topics *t = &s->cfg->kafka.topics;
    for (size_t i = 0; i < n; i++) {
        out_rec *r = &recs[i];
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(r->owner ? t->account_owners : t->roster),
                    RD_KAFKA_V_KEY(r->key, strlen(r->key)),
                    RD_KAFKA_V_VALUE(r->val.len ? r->val.data : NULL, r->val.len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 100);
        if (e) s->failed++;
    }
    if (rd_kafka_flush(rk, 60000)) s->failed++;
    rd_kafka_destroy(rk);
    return s->failed ? fail("%s", "some records were not written", NULL) : 0;
}

static int write_rep(session *s, const lr_rep_rec *r) {
    lr_err err = {0};
    if (lr_roster_apply_rep(s->cfg->rules.route, s->cfg->tz, r, true, &err) < 0)
        return fail("%s", err.msg, NULL);
    out_rec o = {false, r->id, {0}};
    lr_roster_wire_encode_rep(s->wire, r, &o.val);
    int rc = write_all(s, &o, 1);
    lr_buf_free(&o.val);
    if (!rc) printf("rep %s written to %s\n", r->id, s->cfg->kafka.topics.roster);
    return rc;
}

/* ---- roster */

static const char usage_roster[] =
    "Usage: lead-router roster set REP -c CONFIG [--team TEAM[:WEIGHT]]... [--timezone ZONE]\n"
    "                          [--max-open N] [--max-per-day N] [--skill NAME]... [--inactive]\n"
    "       lead-router roster ooo REP -c CONFIG (--from YYYY-MM-DD --until YYYY-MM-DD | --clear)\n"
    "       lead-router roster remove REP -c CONFIG\n"
    "       lead-router roster list -c CONFIG\n"
    "\n"
    "Changes a rep on kafka.topics.roster (docs/routing.md, \"Live rosters and account\n"
    "owners\"). `set` starts from the rep's current record (YAML, then the topic) and\n"
    "replaces what is given (--team, when given, replaces every membership); `ooo` adds an\n"
    "out-of-office window (--until is the first day back) or clears them all. Checked\n"
    "before anything is written: an unknown team, zone or rep is refused.\n";

typedef struct roster_args {
    const char *path, *from, *until, *zone;
    bool clear, inactive;
    int64_t max_open, max_per_day;  /* -1: unchanged */
    const char *teams[LR_REP_MAX_TEAMS], *skills[LR_REP_MAX_SKILLS];
    size_t n_teams, n_skills;
} roster_args;

static bool count_arg(const char *s, int64_t *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0 || v > 1000000) return false;
    *out = v;
    return true;
}

/* 0; 2 on a usage error (printed). */
static int parse_roster_args(int argc, char **argv, roster_args *a) {
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"team", required_argument, 0, 't'},
        {"timezone", required_argument, 0, 'z'}, {"max-open", required_argument, 0, 'o'},
        {"max-per-day", required_argument, 0, 'd'}, {"skill", required_argument, 0, 's'},
        {"inactive", no_argument, 0, 'i'}, {"from", required_argument, 0, 'f'},
        {"until", required_argument, 0, 'u'}, {"clear", no_argument, 0, 'x'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(a, 0, sizeof(*a));
    a->max_open = a->max_per_day = -1;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->path = optarg; break;
        case 't':
            if (a->n_teams == LR_REP_MAX_TEAMS) return fail("%s", "too many --team", NULL) * 2;
            a->teams[a->n_teams++] = optarg;
            break;
        case 's':
            if (a->n_skills == LR_REP_MAX_SKILLS) return fail("%s", "too many --skill", NULL) * 2;
            a->skills[a->n_skills++] = optarg;
            break;
        case 'z': a->zone = optarg; break;
        case 'o':
            if (!count_arg(optarg, &a->max_open)) return fail("--max-open %s: 0 to 1000000", optarg, NULL) * 2;
            break;
        case 'd':
            if (!count_arg(optarg, &a->max_per_day))
                return fail("--max-per-day %s: 0 to 1000000", optarg, NULL) * 2;
            break;
        case 'i': a->inactive = true; break;
        case 'f': a->from = optarg; break;
        case 'u': a->until = optarg; break;
        case 'x': a->clear = true; break;
        case 'h': fputs(usage_roster, stdout); return 3;
        default: fputs(usage_roster, stderr); return 2;
        }
    }
    if (!a->path) return fputs(usage_roster, stderr), 2;
    return 0;
}

/* The rep's current record, or a new one (active, no team). */
static void current(session *s, const char *id, lr_rep_rec *r) {
    int32_t rep = lr_route_rep_index(s->cfg->rules.route, id, strlen(id));
    if (rep >= 0 && !lr_route_rep_removed(s->cfg->rules.route, rep)) {
        lr_route_rep_record(s->cfg->rules.route, rep, &s->mem, r);
        return;
    }
    memset(r, 0, sizeof(*r));
    r->id = id;
    r->active = true;
}

static bool known(session *s, const char *id) {
    int32_t rep = lr_route_rep_index(s->cfg->rules.route, id, strlen(id));
    return rep >= 0 && !lr_route_rep_removed(s->cfg->rules.route, rep);
}

static int roster_set(session *s, const roster_args *a, const char *id) {
    lr_rep_rec r;
    current(s, id, &r);
    if (a->n_teams) {
        r.n_teams = a->n_teams;
        for (size_t i = 0; i < a->n_teams; i++) {
            char *t = lr_arena_strndup(&s->mem, a->teams[i], strlen(a->teams[i]));
            char *colon = strrchr(t, ':');
            r.teams[i].weight = 1;
            if (colon) {
                *colon = '\0';
                if (!count_arg(colon + 1, &r.teams[i].weight) || !r.teams[i].weight)
                    return fail("--team %s: the weight must be 1 to 1000000", a->teams[i], NULL);
            }
            r.teams[i].team = t;
        }
    }
    if (a->n_skills) {
        r.n_skills = a->n_skills;
        for (size_t i = 0; i < a->n_skills; i++) r.skills[i] = a->skills[i];
    }
    if (a->zone) r.timezone = a->zone;
    if (a->max_open >= 0) r.max_open = (int32_t)a->max_open;
    if (a->max_per_day >= 0) r.max_per_day = (int32_t)a->max_per_day;
    if (a->inactive) r.active = false;
    return write_rep(s, &r);
}

static int roster_ooo(session *s, const roster_args *a, const char *id) {
    if (!known(s, id)) return fail("unknown rep '%s'", id, NULL);
    lr_rep_rec r;
    current(s, id, &r);
    if (a->clear) {
        r.n_ooo = 0;
    } else {
        if (!a->from || !a->until) return fail("%s", "ooo needs --from and --until, or --clear", NULL);
        if (r.n_ooo == LR_REP_MAX_OOO) return fail("rep '%s': too many out-of-office windows", id, NULL);
        r.ooo[r.n_ooo].from = a->from;
        r.ooo[r.n_ooo++].until = a->until;
    }
    return write_rep(s, &r);
}

static int roster_remove(session *s, const char *id) {
    if (!known(s, id)) return fail("unknown rep '%s'", id, NULL);
    out_rec o = {false, id, {0}};
    int rc = write_all(s, &o, 1);
    if (!rc) printf("rep %s removed (tombstone on %s)\n", id, s->cfg->kafka.topics.roster);
    return rc;
}

static void roster_list(session *s) {
    const lr_route_config *rc = s->cfg->rules.route;
    printf("roster version %llu\n", (unsigned long long)lr_route_roster_version(rc));
    for (size_t i = 0; i < lr_route_rep_count(rc); i++) {
        if (lr_route_rep_removed(rc, (int32_t)i)) continue;
        lr_rep_rec r;
        lr_route_rep_record(rc, (int32_t)i, &s->mem, &r);
        printf("%s%s tz=%s teams=", r.id, r.active ? "" : " (inactive)",
               r.timezone ? r.timezone : "-");
        for (size_t t = 0; t < r.n_teams; t++)
            printf("%s%s:%lld", t ? "," : "", r.teams[t].team, (long long)r.teams[t].weight);
        for (size_t o = 0; o < r.n_ooo; o++)
            printf("%s%s..%s", o ? "," : " ooo=", r.ooo[o].from, r.ooo[o].until);
        putchar('\n');
    }
}

int lr_cli_roster(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return fputs(usage_roster, argc < 2 ? stderr : stdout), argc < 2 ? 2 : 0;
    const char *sub = argv[1];
    bool list = !strcmp(sub, "list");
    if (!list && strcmp(sub, "set") && strcmp(sub, "ooo") && strcmp(sub, "remove"))
        return fail("roster: unknown subcommand '%s' (set, remove, ooo, list)", sub, NULL) * 2;
    roster_args a;
    int rc = parse_roster_args(argc - 1, argv + 1, &a);
    if (rc) return rc == 3 ? 0 : rc;
    const char *id = optind < argc - 1 ? argv[1 + optind] : NULL;
    if (!list && (!id || !id[0])) return fail("roster %s needs a rep id", sub, NULL) * 2;
    session s;
    rc = open_session(&s, a.path);
    if (!rc) {
        if (list) roster_list(&s);
        else if (!strcmp(sub, "set")) rc = roster_set(&s, &a, id);
        else if (!strcmp(sub, "ooo")) rc = roster_ooo(&s, &a, id);
        else rc = roster_remove(&s, id);
    }
    close_session(&s);
    return rc;
}

/* ---- owners import */

static const char usage_owners[] =
    "Usage: lead-router owners import -c CONFIG --csv FILE\n"
    "\n"
    "Writes account owners to kafka.topics.account_owners from a CSV export with a\n"
    "header line naming the columns `domain`, `owner` and optionally `team` (other\n"
    "columns are ignored; no quoted commas). Domains are normalised (lower case, no\n"
    "trailing dot). Every line is checked first (owner a known rep, team a known team):\n"
    "one bad line and nothing is written.\n";

/* Splits a CSV line in place into at most max fields; returns how many. */
static size_t split(char *line, char **f, size_t max) {
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    for (size_t i = 0; i < n; i++) {
        while (isspace((unsigned char)*f[i])) f[i]++;
        size_t l = strlen(f[i]);
        while (l && isspace((unsigned char)f[i][l - 1])) f[i][--l] = '\0';
    }
    return n;
}

static int column(char **f, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i], name)) return (int)i;
    return -1;
}

static int owners_read(session *s, FILE *in, const char *file, out_rec **recs, size_t *n) {
    char line[4096], *f[64];
    if (!fgets(line, sizeof(line), in)) return fail("%s: empty", file, NULL);
    size_t nf = split(line, f, 64);
    int cd = column(f, nf, "domain"), co = column(f, nf, "owner"), ct = column(f, nf, "team");
    if (cd < 0 || co < 0) return fail("%s: line 1 must name the columns domain and owner", file, NULL);
    size_t cap = 0;
    for (int ln = 2; fgets(line, sizeof(line), in); ln++) {
        nf = split(line, f, 64);
        if (nf == 1 && !f[0][0]) continue; /* blank line */
        lr_owner_rec o = {0};
        char *d = (size_t)cd < nf ? f[cd] : "";
        size_t dl = strlen(d);
        while (dl && d[dl - 1] == '.') d[--dl] = '\0';
        for (char *p = d; *p; p++) *p = (char)tolower((unsigned char)*p);
        o.domain = d;
        o.owner = (size_t)co < nf ? f[co] : "";
        o.team = ct >= 0 && (size_t)ct < nf && f[ct][0] ? f[ct] : NULL;
        lr_err err = {0};
        if (lr_roster_apply_owner(s->cfg->rules.route, &o, true, &err) < 0) {
            fprintf(stderr, "lead-router: %s: line %d: %s\n", file, ln, err.msg);
            return 1;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            *recs = realloc(*recs, cap * sizeof(**recs));
            if (!*recs) abort();
        }
        out_rec *r = &(*recs)[(*n)++];
        r->owner = true;
        r->key = lr_arena_strndup(&s->mem, o.domain, strlen(o.domain));
        lr_buf_init(&r->val);
        o.domain = r->key;
        lr_roster_wire_encode_owner(s->wire, &o, &r->val);
    }
    return 0;
}

int lr_cli_owners(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "import"))
        return fputs(usage_owners, argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr),
               argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"csv", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *path = NULL, *csv = NULL;
    int c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') path = optarg;
        else if (c == 'f') csv = optarg;
        else if (c == 'h') return fputs(usage_owners, stdout), 0;
        else return fputs(usage_owners, stderr), 2;
    }
    if (!path || !csv) return fputs(usage_owners, stderr), 2;
    FILE *in = fopen(csv, "r");
    if (!in) return fail("%s: cannot open it", csv, NULL);
    session s;
    out_rec *recs = NULL;
    size_t n = 0;
    int rc = open_session(&s, path);
    if (!rc) rc = owners_read(&s, in, csv, &recs, &n);
    if (!rc) rc = write_all(&s, recs, n);
    if (!rc) printf("%zu account owners written to %s\n", n, s.cfg->kafka.topics.account_owners);
    for (size_t i = 0; i < n; i++) lr_buf_free(&recs[i].val);
    free(recs);
    fclose(in);
    close_session(&s);
    return rc;
}
