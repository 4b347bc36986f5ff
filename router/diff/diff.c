/* diff.c - see diff.h. Counting and the per-lead comparison.
 *
 * The two cores get each event at the same clock, so the decision a lead
 * event causes on one side is paired with the one it causes on the other
 * within the same emitter call: no per-lead table, nothing kept between
 * events. Reassignments after an SLA breach happen at each side's own
 * deadlines; they are counted per side, not paired. */
#include "diff_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds `name` to the union if new; returns its index. Few names (teams,
 * reps, tiers of two rulebooks): a linear search at setup is enough. */
static int32_t intern(const char ***names, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0) return (int32_t)i;
    *names = realloc(*names, (*n + 1) * sizeof(**names));
    (*names)[*n] = name;
    return (int32_t)(*n)++;
}

static void side_map(lr_diff *d, lr_diff_side *s) {
    const lr_route_config *rc = s->rules->route;
    size_t nt = lr_route_team_count(rc), nr = lr_route_rep_count(rc);
    size_t nq = lr_qualify_tier_count(s->rules->qualify);
    s->team_u = malloc((nt + 1) * sizeof(int32_t));
    s->rep_u = malloc((nr + 1) * sizeof(int32_t));
    s->tier_u = malloc((nq + 1) * sizeof(int32_t));
    for (size_t t = 0; t < nt; t++)
        s->team_u[t] = intern(&d->teams, &d->n_teams, lr_route_team_name(rc, (int32_t)t));
    for (size_t r = 0; r < nr; r++)
        s->rep_u[r] = intern(&d->reps, &d->n_reps, lr_route_rep_name(rc, (int32_t)r));
    for (size_t q = 0; q < nq; q++)
        s->tier_u[q] = intern(&d->tiers, &d->n_tiers, lr_qualify_tier_name(s->rules->qualify, q));
}

static void side_alloc(const lr_diff *d, lr_diff_side *s) {
    s->by_tier = calloc(d->n_tiers + 1, sizeof(uint64_t));
    s->team_assigned = calloc(d->n_teams + 1, sizeof(uint64_t));
    s->team_queued = calloc(d->n_teams + 1, sizeof(uint64_t));
    s->pair = calloc((d->n_teams + 1) * (d->n_reps + 1), sizeof(uint64_t));
}

lr_diff *lr_diff_new(const lr_rulebook *before, const lr_rulebook *after) {
    lr_diff *d = calloc(1, sizeof(*d));
    d->side[0].rules = before;
    d->side[1].rules = after;
    side_map(d, &d->side[0]);
    side_map(d, &d->side[1]);
    side_alloc(d, &d->side[0]);
    side_alloc(d, &d->side[1]);
    d->tier_moves = calloc((d->n_tiers + 1) * (d->n_tiers + 1), sizeof(uint64_t));
    d->flows = calloc((d->n_teams + 1) * (d->n_teams + 1), sizeof(uint64_t));
    return d;
}

void lr_diff_free(lr_diff *d) {
    if (!d) return;
    for (int k = 0; k < 2; k++) {
        lr_diff_side *s = &d->side[k];
        free(s->team_u);
        free(s->rep_u);
        free(s->tier_u);
        free(s->by_tier);
        free(s->team_assigned);
        free(s->team_queued);
        free(s->pair);
    }
    free(d->teams);
    free(d->reps);
    free(d->tiers);
    free(d->tier_moves);
    free(d->flows);
    free(d);
}

/* Union indexes of a decision's team and tier: n_teams / n_tiers when none. */
static size_t team_of(const lr_diff *d, const lr_diff_side *s, const char *team) {
    int32_t t = lr_route_team_index(s->rules->route, team);
    return t < 0 ? d->n_teams : (size_t)s->team_u[t];
}

static size_t tier_of(const lr_diff *d, const lr_diff_side *s, const char *tier) {
    int t = tier ? lr_qualify_tier_index(s->rules->qualify, tier) : -1;
    return t < 0 ? d->n_tiers : (size_t)s->tier_u[t];
}

static void count_decision(const lr_diff *d, lr_diff_side *s, const lr_decision *dc) {
    if (dc->cause == LR_CAUSE_SLA_REASSIGN) s->reassigned++;
    else {
        s->decisions++;
        s->by_stage[dc->stage]++;
        s->by_tier[tier_of(d, s, dc->tier)]++;
    }
    if (dc->stage != LR_STAGE_SALES_READY) return;
    for (uint32_t i = 0; i < dc->n_reasons; i++)
        if (dc->reasons[i].kind == LR_REASON_OVERFLOW) {
            s->overflowed++;
            break;
        }
    size_t team = team_of(d, s, dc->team);
    if (!dc->rep) {
        s->queued++;
        s->team_queued[team]++;
        return;
    }
    int32_t rep = lr_route_rep_index(s->rules->route, dc->rep, strlen(dc->rep));
    s->team_assigned[team]++;
    s->pair[team * (d->n_reps + 1) + (rep < 0 ? d->n_reps : (size_t)s->rep_u[rep])]++;
}

/* Counts one side's events; returns the decision a lead event caused. */
static const lr_decision *count_side(const lr_diff *d, lr_diff_side *s, const lr_out *o) {
    const lr_decision *first = NULL;
    for (size_t i = 0; i < o->n; i++) {
        const lr_event *ev = &o->ev[i];
        if (ev->kind == LR_EVENT_ALERT) {
            if ((int)ev->u.alert.kind >= 0 && ev->u.alert.kind < 3) s->alerts[ev->u.alert.kind]++;
        } else if (ev->kind == LR_EVENT_STATUS) {
            const lr_status *st = &ev->u.status;
            if (st->status == LR_STATUS_DUPLICATE) s->duplicates++;
            if (st->status == LR_STATUS_CONTACTED && st->sla_elapsed_ms >= 0) {
                if (st->sla_met) s->touched_in_sla++;
                else s->touched_late++;
            }
        } else {
            count_decision(d, s, &ev->u.decision);
            if (!first && ev->u.decision.cause != LR_CAUSE_SLA_REASSIGN) first = &ev->u.decision;
        }
    }
    return first;
}

static bool same(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_reason(const lr_reason *a, const lr_reason *b) {
    return a->kind == b->kind && same(a->rule, b->rule) && same(a->rep, b->rep) &&
           a->points == b->points && same(a->detail, b->detail);
}

/* ---- the per-lead line ------------------------------------------------------- */

const char *lr_diff_stage_name(int stage) {
    return stage >= 0 && stage < LR_STAGE__COUNT ? lr_stage_name((lr_stage)stage) : "NONE";
}

const char *lr_diff_stage_label(const lr_diff *d, size_t s) { return lr_diff_stage_name((int)s); }

const char *lr_diff_tier_label(const lr_diff *d, size_t t) {
    return t < d->n_tiers ? d->tiers[t] : "(untiered)";
}

void lr_diff_puts(lr_buf *b, const char *s) { lr_buf_append(b, s, strlen(s)); }

void lr_diff_printf(lr_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    /* printed in place, however long (the page's style sheet is) */
    char *at = (char *)lr_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(at, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void lr_diff_put_escaped(lr_buf *b, const char *s, size_t len, bool html) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (html && (c == '<' || c == '>' || c == '&' || c == '"'))
            lr_diff_puts(b, c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : "&quot;");
        else if (!html && (c == '"' || c == '\\')) {
            lr_buf_putc(b, '\\');
            lr_buf_putc(b, c);
        } else if (!html && c < 0x20) lr_diff_printf(b, "\\u%04x", c);
        else lr_buf_putc(b, c);
    }
}

/* "key":"value" or "key":null */
static void put_field(lr_buf *b, const char *key, const char *v) {
    lr_diff_printf(b, "\"%s\":", key);
    if (!v) {
        lr_diff_puts(b, "null");
        return;
    }
    lr_buf_putc(b, '"');
    lr_diff_put_escaped(b, v, strlen(v), false);
    lr_buf_putc(b, '"');
}

static void put_side(lr_buf *b, const lr_decision *dc) {
    if (!dc) {
        lr_diff_puts(b, "null");
        return;
    }
    lr_diff_printf(b, "{\"stage\":\"%s\",", lr_stage_name(dc->stage));
    put_field(b, "tier", dc->tier);
    lr_buf_putc(b, ',');
    put_field(b, "team", dc->team);
    lr_buf_putc(b, ',');
    put_field(b, "rep", dc->rep);
    lr_buf_putc(b, ',');
    put_field(b, "queue", dc->queue);
    lr_diff_printf(b, ",\"score\":%.4f}", dc->score);
}

/* One reason as text: "ROUTING_RULE rule=x rep=y points=2 detail=..." */
static void put_reason(lr_buf *b, const lr_decision *dc, uint32_t i) {
    if (!dc || i >= dc->n_reasons) {
        lr_diff_puts(b, "null");
        return;
    }
    const lr_reason *r = &dc->reasons[i];
    char text[400];
    int n = snprintf(text, sizeof(text), "%s%s%s%s%s", lr_reason_kind_name(r->kind),
                     r->rule ? " rule=" : "", r->rule ? r->rule : "", r->rep ? " rep=" : "",
                     r->rep ? r->rep : "");
    if (r->points != 0 && n > 0 && (size_t)n < sizeof(text))
        n += snprintf(text + n, sizeof(text) - (size_t)n, " points=%.4g", r->points);
    if (r->detail && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " detail=%s", r->detail);
    lr_buf_putc(b, '"');
    lr_diff_put_escaped(b, text, strlen(text), false);
    lr_buf_putc(b, '"');
}

static void write_lead(lr_buf *b, const lr_decision *a, const lr_decision *z) {
    const lr_decision *any = a ? a : z;
    uint32_t i = 0, na = a ? a->n_reasons : 0, nz = z ? z->n_reasons : 0;
    while (i < na && i < nz && same_reason(&a->reasons[i], &z->reasons[i])) i++;
    lr_diff_puts(b, "{\"lead_id\":\"");
    lr_diff_put_escaped(b, any->lead_id.s, any->lead_id.len, false);
    lr_diff_puts(b, "\",\"before\":");
    put_side(b, a);
    lr_diff_puts(b, ",\"after\":");
    put_side(b, z);
    lr_diff_printf(b, ",\"first_difference\":{\"index\":%u,\"before\":", i);
    put_reason(b, a, i);
    lr_diff_puts(b, ",\"after\":");
    put_reason(b, z, i);
    lr_diff_puts(b, "}}\n");
}

/* ---- pairing ------------------------------------------------------------------ */

void lr_diff_add(lr_diff *d, const lr_out *before, const lr_out *after, lr_buf *leads) {
    const lr_decision *a = count_side(d, &d->side[0], before);
    const lr_decision *z = count_side(d, &d->side[1], after);
    if (!a && !z) return;
    d->decided++;
    int sa = a ? (int)a->stage : LR_DIFF_NONE, sz = z ? (int)z->stage : LR_DIFF_NONE;
    size_t ta = a ? team_of(d, &d->side[0], a->team) : d->n_teams;
    size_t tz = z ? team_of(d, &d->side[1], z->team) : d->n_teams;
    size_t qa = a ? tier_of(d, &d->side[0], a->tier) : d->n_tiers;
    size_t qz = z ? tier_of(d, &d->side[1], z->tier) : d->n_tiers;
    bool owner = ta != tz || !same(a ? a->rep : NULL, z ? z->rep : NULL);
    bool stage = sa != sz, tier = qa != qz;
    d->stage_moves[sa][sz]++;
    d->tier_moves[qa * (d->n_tiers + 1) + qz]++;
    if (owner) {
        d->owner_changed++;
        d->flows[ta * (d->n_teams + 1) + tz]++;
    }
    if (stage) d->stage_changed++;
    if (tier) d->tier_changed++;
    if (owner || stage) d->changed++;
    /* the outcome, not the wording: a weight change alters almost every
     * lead's points, and a file of every lead would hide the ones that move */
    if (leads && (owner || stage || tier)) write_lead(leads, a, z);
}

uint64_t lr_diff_decided(const lr_diff *d) { return d->decided; }
uint64_t lr_diff_changed(const lr_diff *d) { return d->changed; }

double lr_diff_changed_pct(const lr_diff *d) {
    return d->decided ? 100.0 * (double)d->changed / (double)d->decided : 0.0;
}

bool lr_diff_changed_more_than(const lr_diff *d, double pct) {
    return d->decided && 100.0 * (double)d->changed > pct * (double)d->decided;
}
