/* main.c - the lead-router command line: run, demo, replay, diff, check. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "demo.h"
#include "isotime.h"
#include "jsonio.h"
#include "kafka.h"
#include "history.h"
#include "log.h"
#include "replay.h"
#include "roster_cmd.h"
#include "serve.h"
#include "whatif.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void on_hangup(int sig) {
    (void)sig;
    lr_kafka_request_reload(); /* sets a flag: async-signal-safe */
}

/* POST /-/reload, on the HTTP thread: the same request as SIGHUP. */
static bool on_http_reload(void *ctx) {
    (void)ctx;
    lr_kafka_request_reload();
    return true;
}

/* `run` only: SIGHUP reloads the configuration (docs/operations.md, "Reload"). */
static void install_reload_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_hangup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
}

/* No SA_RESTART: a blocking poll returns promptly so the loop sees the flag. */
static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const char usage_main[] =
    "Usage: lead-router <command> [options]\n"
    "\n"
    "Routes marketing leads to sales in real time over Kafka: scores and qualifies\n"
    "each lead, assigns it with the reasons why, and watches the SLA clock.\n"
    "\n"
    "Commands:\n"
    "  run      consume leads and sales activity, publish decisions (the daemon)\n"
    "  demo     run everything on an embedded broker with synthetic leads\n"
    "  replay   run a rulebook over recorded events (JSON lines or Kafka), offline\n"
    "  diff     compare two rulebooks over the same events\n"
    "  check    validate a configuration file\n"
    "  roster   change a rep live: set, remove, ooo, list (kafka.topics.roster)\n"
    "  owners   import account owners from a CSV (kafka.topics.account_owners)\n"
    "\n"
    "Options:\n"
    "  -h, --help      this help; `lead-router <command> --help` for a command\n"
    "  -V, --version   print the version\n"
    "\n"
    "Documentation: docs/configuration.md, docs/events.md, docs/operations.md\n";

static const char usage_run[] =
    "Usage: lead-router run -c CONFIG\n"
    "\n"
    "Joins the consumer group kafka.group_id, reads the leads and sales-activity\n"
    "topics, and publishes decisions, status events and SLA alerts. SIGINT or\n"
    "SIGTERM: finishes the message in hand, commits, leaves the group, exits 0.\n"
    "SIGHUP: re-reads CONFIG and applies the new rules between two commit\n"
    "windows; a broken file is refused and the old rules stay (operations.md).\n"
    "Exits 1 on a fatal error (fenced, configuration refused by the broker...).\n"
    "\n"
    "  -c, --config FILE   configuration (YAML), see docs/configuration.md\n"
    "  --transactional-id ID\n"
    "                      overrides kafka.transactional_id: one file for several\n"
    "                      instances, each started with its own stable id\n"
    "  -h, --help          this help\n";

static const char usage_demo[] =
    "Usage: lead-router demo [--seconds N] [--speed X] [--rate N] [--seed N]\n"
    "                        [-c CONFIG] [--quiet]\n"
    "\n"
    "Starts librdkafka's in-process mock cluster, a generator of realistic leads\n"
    "(with a few broken and duplicate messages), simulated reps who answer their\n"
    "assignments, and the router. Prints a line per decision and SLA alert, then a\n"
    "one-line JSON summary. The clock runs --speed times faster than real time so\n"
    "that SLA warnings, breaches and reassignments show within seconds.\n"
    "\n"
    "  --seconds N     how long to run, in real seconds (default 20)\n"
    "  --speed X       simulated seconds per real second (default 120)\n"
    "  --rate N        leads produced per real second (default 40)\n"
    "  --seed N        generator seed (default 42)\n"
    "  -c, --config F  use this configuration instead of the built-in example\n"
    "  -q, --quiet     print only the summary\n"
    "  -h, --help      this help\n";

static const char usage_replay[] =
    "Usage: lead-router replay -c CONFIG [--input FILE] [--output FILE] [--until TIME]\n"
    "       lead-router replay -c CONFIG --from-kafka --since TIME [--until TIME]\n"
    "                          [--from-state] [--output FILE]\n"
    "\n"
    "Reads events as JSON lines ({\"type\": \"lead\", ...} or {\"type\": \"activity\",\n"
    "...}, fields as in schemas/), drives the decision core with each event's own\n"
    "time, and writes every event the router would publish as JSON lines. A\n"
    "summary (stages, tiers, assignments per team and rep against their targets,\n"
    "overflow, alerts, KPIs) goes to standard error. The same input and\n"
    "configuration always give byte-identical output.\n"
    "\n"
    "Lines meet the same contract as Kafka messages (docs/events.md). An event\n"
    "older than one before it is decided at the later time, with a warning\n"
    "(FILE:LINE, the first 10) and a count in the summary. A bad line or a read\n"
    "error stops the replay with exit 1.\n"
    "\n"
    "  -c, --config FILE   configuration (YAML)\n"
    "  -i, --input FILE    events to replay (default: standard input)\n"
    "  -o, --output FILE   where to write the events (default: standard output)\n"
    "  -u, --until TIME    finally advance the clock to TIME (ISO-8601 UTC or ms,\n"
    "                      2000-01-01 to 9999-12-31), so that SLA clocks due by\n"
    "                      then fire; with --from-kafka also the range's end\n"
    "  --from-kafka        read the leads and sales-activity topics of the\n"
    "                      configuration instead of a file: every partition,\n"
    "                      read_committed, no group, nothing committed, merged in\n"
    "                      event-time order (docs/whatif.md)\n"
    "  -s, --since TIME    with --from-kafka: the range's start (message timestamps)\n"
    "  --from-state        with --from-kafka: start from the router's state as of\n"
    "                      --since (rep loads, round-robin positions, lead records,\n"
    "                      open SLA clocks), read from kafka.topics.state, instead\n"
    "                      of an empty one (docs/whatif.md says what is approximated)\n"
    "  -q, --quiet         no summary\n"
    "  -h, --help          this help\n";

static const char usage_diff[] =
    "Usage: lead-router diff -c CURRENT -c PROPOSED (--input FILE |\n"
    "                        --from-kafka --since TIME [--from-state])\n"
    "                        [--until TIME] [--json]\n"
    "                        [--html FILE] [--leads FILE]\n"
    "                        [--fail-if-changed-more-than PCT]\n"
    "\n"
    "Runs both rulebooks over the same events in one pass, each with its own\n"
    "core, and reports what the proposed one changes: assignments per team and\n"
    "rep, stage and tier changes, leads that get another owner with the largest\n"
    "flows, queue, overflow and SLA outcomes before and after (docs/whatif.md).\n"
    "\n"
    "  -c, --config FILE   the current rulebook, then the proposed one\n"
    "  -i, --input FILE    events as JSON lines, as replay reads them ('-': stdin)\n"
    "  --from-kafka        read the topics of the current configuration, as\n"
    "                      replay --from-kafka does\n"
    "  -s, --since TIME    with --from-kafka: the range's start\n"
    "  --from-state        with --from-kafka: both rulebooks start from the state\n"
    "                      as of --since (names the proposed one lacks are skipped\n"
    "                      and counted, as at a restart)\n"
    "  -u, --until TIME    advance the clock to TIME at the end (and, with\n"
    "                      --from-kafka, the range's end)\n"
    "  --json              the report as one JSON object instead of a table\n"
    "  --html FILE         also write the report as one self-contained HTML page\n"
    "  --leads FILE        JSON lines: every lead whose stage, tier or owner\n"
    "                      differs, with the first reason that differs\n"
    "  --fail-if-changed-more-than PCT\n"
    "                      exit 3 when more than PCT % of the decided leads get\n"
    "                      another owner or stage (a CI check on a rules repository)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit codes: 0 done, 1 error (configuration, input, Kafka, writing),\n"
    "2 usage, 3 over the --fail-if-changed-more-than threshold.\n";

static const char usage_check[] =
    "Usage: lead-router check -c CONFIG\n"
    "\n"
    "Validates a configuration: exits 0 and prints a one-line summary, or prints\n"
    "FILE:LINE: what is wrong, and exits 1. Unknown keys are errors.\n"
    "\n"
    "  -c, --config FILE   configuration (YAML)\n"
    "  -h, --help          this help\n";

static int usage_error(const char *usage, const char *msg) {
    if (msg) fprintf(stderr, "lead-router: %s\n\n", msg);
    fputs(usage, stderr);
    return 2;
}

static lr_config *load_or_report(const char *path) {
    lr_err err = {0};
    lr_config *cfg = lr_config_load(path, &err);
    if (!cfg) fprintf(stderr, "%s\n", err.msg);
    return cfg;
}

/* How many instances can share the work: one per routing domain at most. */
static void print_domains(const lr_config *cfg) {
    size_t n = lr_route_domain_count(cfg->rules.route);
    printf("routing domains: %zu (", n);
    for (size_t d = 0; d < n; d++)
        printf("%s%s", d ? ", " : "", lr_route_domain_name(cfg->rules.route, (int32_t)d));
    printf(")%s\n", cfg->kafka.topics.repartition
                        ? "; kafka.topics.repartition is set: instances share them"
                        : "; kafka.topics.repartition is not set: run one instance");
}

static int cmd_check(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') path = optarg;
        else if (c == 'h') return fputs(usage_check, stdout), 0;
        else return usage_error(usage_check, NULL);
    }
    if (!path) return usage_error(usage_check, "check needs -c CONFIG");
    lr_config *cfg = load_or_report(path);
    if (!cfg) return 1;
    printf("%s: ok (%zu teams, %zu reps, %zu tiers, processing %s)\n", path,
           lr_route_team_count(cfg->rules.route), lr_route_rep_count(cfg->rules.route),
           lr_qualify_tier_count(cfg->rules.qualify),
           cfg->kafka.processing == LR_PROCESSING_EXACTLY_ONCE ? "exactly_once"
                                                               : "at_least_once");
    print_domains(cfg);
    lr_config_free(cfg);
    return 0;
}

/* The closing line: the run's counters, one record (its fields are counts). */
static void log_closing(const lr_kafka_stats *st) {
    double commits = st->commits ? (double)st->commits : 1.0;
    lr_log(LR_LOG_INFO,
           "stopped cleanly: %llu leads, %llu sales activities, %llu decisions, %llu "
           "dead-lettered, %llu transactions (%llu commits: mean %.1f ms, max %.1f ms, of which "
           "offsets %.1f ms; waited for %.1f ms in all; outbox peak %llu records, %.1f MB; %llu "
           "empty polls, %llu ms; producer queue full %llu times; reloads %llu, refused %llu)",
           (unsigned long long)st->leads_in, (unsigned long long)st->sales_in,
           (unsigned long long)st->decisions, (unsigned long long)st->dead_lettered,
           (unsigned long long)st->transactions, (unsigned long long)st->commits,
           st->commit_us_total / 1e3 / commits, st->commit_us_max / 1e3,
           st->offsets_us_total / 1e3 / commits, st->commit_wait_us_total / 1e3,
           (unsigned long long)st->outbox_peak_records, st->outbox_bytes / 1048576.0,
           (unsigned long long)st->empty_polls, (unsigned long long)st->empty_poll_ms_total,
           (unsigned long long)st->queue_full_waits, (unsigned long long)st->reloads,
           (unsigned long long)st->reload_failures);
}

static int cmd_run(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"transactional-id", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *path = NULL, *txn_id = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') path = optarg;
        else if (c == 't') txn_id = optarg;
        else if (c == 'h') return fputs(usage_run, stdout), 0;
        else return usage_error(usage_run, NULL);
    }
    if (!path) return usage_error(usage_run, "run needs -c CONFIG");
    if (txn_id && !*txn_id) return usage_error(usage_run, "--transactional-id is empty");
    lr_config *cfg = load_or_report(path);
    if (!cfg) return 1;
    if (txn_id) cfg->kafka.transactional_id = txn_id;
    lr_log_setup(cfg->log.format, cfg->log.level, STDERR_FILENO);
    install_signals();
    install_reload_signal();
    lr_kafka_stats stats;
    lr_err err = {0};
    lr_serve serve; /* the http: listener, when configured */
    if (lr_serve_start(&serve, path, cfg, on_http_reload, NULL, &err)) {
        lr_log(LR_LOG_ERROR, "fatal: %s", err.msg);
        lr_config_free(cfg);
        return 1;
    }
    lr_kafka_opts ko = {.cfg = cfg, .stop = &stop_requested, .config_path = path,
                        .transactional_id_overridden = txn_id != NULL,
                        .on_reload = lr_serve_on_reload, .on_reload_ctx = &serve,
                        .metrics = serve.metrics, .board = serve.board,
                        .webhooks = serve.webhooks};
    int rc = lr_kafka_run(&ko, &stats, &err);
    lr_serve_stop(&serve);
    if (rc) lr_log(LR_LOG_ERROR, "fatal: %s", err.msg);
    else log_closing(&stats);
    lr_config_free(cfg);
    return rc;
}

static bool parse_number(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0) return false;
    *out = v;
    return true;
}

static int cmd_demo(int argc, char **argv) {
    static const struct option opts[] = {
        {"seconds", required_argument, 0, 's'}, {"speed", required_argument, 0, 'x'},
        {"rate", required_argument, 0, 'r'},    {"seed", required_argument, 0, 'e'},
        {"config", required_argument, 0, 'c'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    lr_demo_opts o = {.seconds = 20, .speed = 120, .leads_per_second = 40, .seed = 42};
    double v;
    int c;
    while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!parse_number(optarg, &o.seconds) || o.seconds <= 0)
                return usage_error(usage_demo, "--seconds takes a positive number");
            break;
        case 'x':
            if (!parse_number(optarg, &o.speed) || o.speed <= 0)
                return usage_error(usage_demo, "--speed takes a positive number");
            break;
        case 'r':
            if (!parse_number(optarg, &o.leads_per_second) || o.leads_per_second <= 0)
                return usage_error(usage_demo, "--rate takes a positive number");
            break;
        case 'e':
            if (!parse_number(optarg, &v)) return usage_error(usage_demo, "--seed takes a number");
            o.seed = (uint64_t)v;
            break;
        case 'c': o.config_path = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': return fputs(usage_demo, stdout), 0;
        default: return usage_error(usage_demo, NULL);
        }
    }
    install_signals();
    o.stop = &stop_requested;
    lr_err err = {0};
    int rc = lr_demo_run(&o, &err);
    if (rc) fprintf(stderr, "lead-router: demo failed: %s\n", err.msg);
    return rc;
}

/* --until in milliseconds or ISO-8601, within the same bounds as an event's
 * time: a number that overflows, or seconds where milliseconds are meant,
 * would otherwise run every SLA clock to the end of time. */
static bool parse_until(const char *s, lr_time_ms *out) {
    char *end;
    errno = 0;
    long long ms = strtoll(s, &end, 10);
    if (end != s && *end == '\0') {
        if (errno == ERANGE) return false;
        *out = ms;
    } else if (!lr_isotime_parse(s, strlen(s), out)) {
        return false;
    }
    return lr_lead_time_in_range(*out);
}

/* The input both replay and diff read: a file, or a range of Kafka. */
typedef struct input {
    const char *path;
    bool from_kafka, from_state;
    lr_time_ms since, until;
    lr_replay_file *file;
    lr_history *history;
} input;

static const char *input_check(const input *in) {
    if (in->from_kafka && in->path) return "--input and --from-kafka exclude each other";
    if (in->from_kafka && in->since == LR_TIME_NONE) return "--from-kafka needs --since TIME";
    if (!in->from_kafka && in->since != LR_TIME_NONE) return "--since goes with --from-kafka";
    if (!in->from_kafka && in->from_state) return "--from-state goes with --from-kafka";
    if (in->from_kafka && in->until != LR_TIME_NONE && in->until <= in->since)
        return "--until must be after --since";
    return NULL;
}

static int input_open(input *in, const lr_config *cfg, lr_replay_source *src, lr_err *err) {
    if (in->from_kafka) {
        in->history = lr_history_open(cfg, in->since, in->until, in->from_state, src, err);
        return in->history ? 0 : 1;
    }
    in->file = lr_replay_file_open(in->path, (size_t)cfg->kafka.max_message_bytes, src, err);
    return in->file ? 0 : 1;
}

static void input_close(input *in, FILE *summary) {
    if (in->history && summary) lr_history_report(in->history, summary);
    lr_history_close(in->history);
    lr_replay_file_close(in->file);
}

static const char time_msg[] =
    "takes an ISO-8601 UTC time or milliseconds, from 2000-01-01 to 9999-12-31";

/* Options replay and diff share; 0 when c was one of them, 2 on a usage
 * error (printed). */
static int input_option(int c, input *in, const char *usage, int *handled) {
    char msg[128];
    *handled = 1;
    switch (c) {
    case 'i': in->path = optarg; return 0;
    case 'k': in->from_kafka = true; return 0;
    case 'S': in->from_state = true; return 0;
    case 's':
    case 'u':
        if (parse_until(optarg, c == 's' ? &in->since : &in->until)) return 0;
        snprintf(msg, sizeof(msg), "--%s %s", c == 's' ? "since" : "until", time_msg);
        return usage_error(usage, msg);
    default: *handled = 0; return 0;
    }
}

#define INPUT_LONG_OPTIONS                                                                    \
    {"input", required_argument, 0, 'i'}, {"until", required_argument, 0, 'u'},             \
        {"since", required_argument, 0, 's'}, {"from-kafka", no_argument, 0, 'k'},           \
        {"from-state", no_argument, 0, 'S'}

static int cmd_replay(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        INPUT_LONG_OPTIONS,                    {0, 0, 0, 0}};
    const char *path = NULL;
    input in = {.since = LR_TIME_NONE, .until = LR_TIME_NONE};
    lr_replay_opts o = {.until = LR_TIME_NONE, .summary = stderr, .warnings = stderr};
    int c, handled;
    while ((c = getopt_long(argc, argv, "c:i:o:u:s:qh", opts, NULL)) != -1) {
        int rc = input_option(c, &in, usage_replay, &handled);
        if (rc) return rc;
        if (handled) continue;
        switch (c) {
        case 'c': path = optarg; break;
        case 'o': o.output = optarg; break;
        case 'q': o.summary = NULL; break;
        case 'h': return fputs(usage_replay, stdout), 0;
        default: return usage_error(usage_replay, NULL);
        }
    }
    if (!path) return usage_error(usage_replay, "replay needs -c CONFIG");
    const char *bad = input_check(&in);
    if (bad) return usage_error(usage_replay, bad);
    lr_config *cfg = load_or_report(path);
    if (!cfg) return 1;
    o.cfg = cfg;
    o.until = in.until;
    lr_err err = {0};
    lr_replay_source src;
    int rc = input_open(&in, cfg, &src, &err);
    if (rc == 0) rc = lr_replay_run_from(&o, &src, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    input_close(&in, o.summary);
    lr_config_free(cfg);
    return rc;
}

typedef struct diff_args {
    const char *paths[2];
    int n_paths;
    input in;
    lr_whatif_opts o;
} diff_args;

/* 0 to go on, else the exit code (help printed: 0 is returned as -1). */
static int diff_parse(int argc, char **argv, diff_args *a) {
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"json", no_argument, 0, 'j'},
        {"html", required_argument, 0, 'H'},   {"leads", required_argument, 0, 'l'},
        {"fail-if-changed-more-than", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},         INPUT_LONG_OPTIONS,
        {0, 0, 0, 0}};
    int c, handled;
    while ((c = getopt_long(argc, argv, "c:i:u:s:h", opts, NULL)) != -1) {
        int rc = input_option(c, &a->in, usage_diff, &handled);
        if (rc) return rc;
        if (handled) continue;
        switch (c) {
        case 'c':
            if (a->n_paths == 2) return usage_error(usage_diff, "diff takes exactly two -c");
            a->paths[a->n_paths++] = optarg;
            break;
        case 'j': a->o.json = true; break;
        case 'H': a->o.html_path = optarg; break;
        case 'l': a->o.leads_path = optarg; break;
        case 'f':
            if (!parse_number(optarg, &a->o.fail_pct) || a->o.fail_pct > 100)
                return usage_error(usage_diff, "--fail-if-changed-more-than takes 0 to 100");
            break;
        case 'h': return fputs(usage_diff, stdout), -1;
        default: return usage_error(usage_diff, NULL);
        }
    }
    if (a->n_paths != 2) return usage_error(usage_diff, "diff needs -c CURRENT -c PROPOSED");
    const char *bad = input_check(&a->in);
    if (!bad && !a->in.from_kafka && !a->in.path) bad = "diff needs --input FILE or --from-kafka";
    return bad ? usage_error(usage_diff, bad) : 0;
}

static int cmd_diff(int argc, char **argv) {
    diff_args a = {.in = {.since = LR_TIME_NONE, .until = LR_TIME_NONE},
                   .o = {.report = stdout, .warnings = stderr, .fail_pct = -1}};
    int rc = diff_parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    lr_config *before = load_or_report(a.paths[0]);
    lr_config *after = before ? load_or_report(a.paths[1]) : NULL;
    if (!after) {
        lr_config_free(before);
        return 1;
    }
    a.o.before = before;
    a.o.after = after;
    a.o.before_name = a.paths[0];
    a.o.after_name = a.paths[1];
    a.o.until = a.in.until;
    lr_err err = {0};
    lr_replay_source src;
    bool exceeded = false;
    rc = input_open(&a.in, before, &src, &err);
    if (rc == 0) rc = lr_whatif_run(&a.o, &src, &exceeded, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    else if (exceeded)
        fprintf(stderr, "lead-router: more than %g%% of the decided leads change owner or stage\n",
                a.o.fail_pct);
    input_close(&a.in, stderr);
    lr_config_free(after);
    lr_config_free(before);
    return rc ? 1 : exceeded ? 3 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage_error(usage_main, "no command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
        return fputs(usage_main, stdout), 0;
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version"))
        return printf("lead-router %s\n", LR_VERSION), 0;
    /* getopt_long sees the command's own arguments */
    argc--;
    argv++;
    if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
    if (!strcmp(cmd, "demo")) return cmd_demo(argc, argv);
    if (!strcmp(cmd, "replay")) return cmd_replay(argc, argv);
    if (!strcmp(cmd, "diff")) return cmd_diff(argc, argv);
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
    if (!strcmp(cmd, "roster")) return lr_cli_roster(argc, argv);
    if (!strcmp(cmd, "owners")) return lr_cli_owners(argc, argv);
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command '%s'", cmd);
    return usage_error(usage_main, msg);
}
