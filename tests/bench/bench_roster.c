/* bench_roster.c - live rosters at scale: 10,000 reps and 1,000,000 account
 * owner domains, as a router loads them from the roster and account-owner
 * topics at start (the broker left out: records are framed Avro in memory).
 *
 * Reports: seconds to decode, check and apply the 10,000 Rep records and the
 * 1,000,000 AccountOwner records; heap bytes per owner domain (mallinfo2,
 * everything the config keeps for it); ns per owner lookup at 1,000 and at
 * 1,000,000 domains (constant time: the two should be close); ns per routed
 * lead through an owner. Never pass/fail.
 *
 * Usage: bench_roster [domains] [reps]   (defaults 1000000, 10000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cfg.h"
#include "rosterwire.h"
#include "route.h"
#include "rules.h"

static const char *yaml =
    "routing: { rules: [{ name: all, team: t0 }] }\n"
    "teams:\n"
    "  - { name: t0, members: [{ rep: seed }] }\n"
    "  - { name: t1, strategy: weighted, members: [{ rep: seed }] }\n"
    "reps: [{ id: seed, timezone: UTC }]\n";

static double lookups(const lr_route_config *rc, size_t n, int rounds) {
    char d[64];
    volatile int32_t sink = 0;
    double t0 = now_ns();
    for (int k = 0; k < rounds; k++) {
        snprintf(d, sizeof(d), "acct%zu.example", ((size_t)k * 7919) % n);
        sink += lr_route_owner_of(rc, d, strlen(d));
    }
    (void)sink;
    return (now_ns() - t0) / rounds;
}

int main(int argc, char **argv) {
    size_t n_dom = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t n_reps = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
    lr_err err = {0};
    lr_tz_db *tz = lr_tz_db_new(NULL);
    lr_cfg_doc *doc = lr_cfg_load_string("bench.yaml", yaml, &err);
    lr_route_config *rc = lr_route_config_parse(lr_cfg_root(doc), tz, &err);
    lr_roster_wire *w = lr_roster_wire_new(6, 7, &err);
    if (!rc || !w) return fprintf(stderr, "%s\n", err.msg), 1;
    lr_arena mem;
    lr_arena_init(&mem, 64 * 1024);
    lr_buf b;
    lr_buf_init(&b);
    char id[64], why[256];

    /* reps: encode all first (the topic), then decode + check + apply */
    size_t *rep_off = malloc((n_reps + 1) * sizeof(*rep_off));
    for (size_t i = 0; i < n_reps; i++) {
        lr_rep_rec r = {0};
        snprintf(id, sizeof(id), "rep%zu", i);
        r.id = id;
        r.active = true;
        r.timezone = "UTC";
        r.n_teams = 1;
        r.teams[0].team = i % 2 ? "t0" : "t1";
        r.teams[0].weight = 1 + (int64_t)(i % 3);
        rep_off[i] = b.len;
        lr_roster_wire_encode_rep(w, &r, &b);
    }
    rep_off[n_reps] = b.len;
    double t0 = now_ns();
    for (size_t i = 0; i < n_reps; i++) {
        lr_rep_rec r;
        lr_arena_reset(&mem);
        if (lr_roster_wire_decode_rep(w, b.data + rep_off[i], rep_off[i + 1] - rep_off[i], &mem,
                                      &r, why, sizeof(why)) < 0 ||
            lr_roster_apply_rep(rc, tz, &r, false, &err) < 0)
            return fprintf(stderr, "rep %zu: %s %s\n", i, why, err.msg), 1;
    }
    double reps_s = (now_ns() - t0) / 1e9;

    /* owners */
    lr_buf_reset(&b);
    size_t *off = malloc((n_dom + 1) * sizeof(*off));
    for (size_t i = 0; i < n_dom; i++) {
        char owner[32];
        snprintf(id, sizeof(id), "acct%zu.example", i);
        snprintf(owner, sizeof(owner), "rep%zu", (i * 31) % n_reps);
        lr_owner_rec o = {id, owner, NULL};
        off[i] = b.len;
        lr_roster_wire_encode_owner(w, &o, &b);
    }
    off[n_dom] = b.len;
    double small = 0;
    size_t heap0 = heap_used();
    t0 = now_ns();
    for (size_t i = 0; i < n_dom; i++) {
        lr_owner_rec o;
        lr_arena_reset(&mem);
        if (lr_roster_wire_decode_owner(w, b.data + off[i], off[i + 1] - off[i], &mem, &o, why,
                                        sizeof(why)) < 0 ||
            lr_roster_apply_owner(rc, &o, false, &err) < 0)
            return fprintf(stderr, "owner %zu: %s %s\n", i, why, err.msg), 1;
        if (i + 1 == 1000) small = lookups(rc, 1000, 200000);
    }
    double owners_s = (now_ns() - t0) / 1e9;
    size_t heap1 = heap_used();
    double big = lookups(rc, n_dom, 200000);

    /* routing through an owner */
    lr_route_state *st = lr_route_state_new(rc);
    lr_lead lead;
    memset(&lead, 0, sizeof(lead));
    lr_route_result res;
    int rounds = 200000;
    t0 = now_ns();
    for (int k = 0; k < rounds; k++) {
        snprintf(id, sizeof(id), "x@acct%zu.example", ((size_t)k * 104729) % n_dom);
        lead.email = (lr_str){id, (uint32_t)strlen(id)};
        lr_route_assign(rc, st, &lead, 0, NULL, &res, NULL, NULL);
        lr_route_release(st, res.rep);
    }
    double route_ns = (now_ns() - t0) / rounds;

    printf("reps: %zu records decoded, checked and applied in %.3f s (%.1f us each)\n", n_reps,
           reps_s, reps_s * 1e6 / (double)n_reps);
    printf("owners: %zu records decoded, checked and applied in %.3f s (%.2f us each)\n", n_dom,
           owners_s, owners_s * 1e6 / (double)n_dom);
    printf("memory per owner domain: %.1f bytes (heap growth %.1f MB for %zu domains)\n",
           (double)(heap1 - heap0) / (double)n_dom, (double)(heap1 - heap0) / 1e6, n_dom);
    printf("owner lookup: %.0f ns at 1000 domains, %.0f ns at %zu\n", small, big, n_dom);
    printf("route one lead through its account owner: %.0f ns\n", route_ns);
    lr_route_state_free(st);
    free(off);
    free(rep_off);
    lr_buf_free(&b);
    lr_arena_destroy(&mem);
    lr_roster_wire_free(w);
    lr_route_config_free(rc);
    lr_cfg_free(doc);
    lr_tz_db_free(tz);
    return 0;
}
