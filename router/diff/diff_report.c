/* diff_report.c - the diff's model (outcome rows, sorted flows) and its
 * terminal and JSON renderings. See diff.h. */
#include "diff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lr_diff_outcomes(const lr_diff *d, lr_diff_outcome o[LR_DIFF_OUTCOMES]) {
    const lr_diff_side *a = &d->side[0], *z = &d->side[1];
    lr_diff_outcome rows[LR_DIFF_OUTCOMES] = {
        {"assigned", "assigned to a rep", 0, 0},
        {"queued", "queued (no rep)", a->queued, z->queued},
        {"overflowed", "overflowed", a->overflowed, z->overflowed},
        {"reassigned", "reassigned after a breach", a->reassigned, z->reassigned},
        {"sla_warnings", "SLA warnings", a->alerts[0], z->alerts[0]},
        {"sla_breached", "SLA breached", a->alerts[1], z->alerts[1]},
        {"sla_met", "first touch within the SLA", a->touched_in_sla, z->touched_in_sla},
        {"sla_late", "first touch past the SLA", a->touched_late, z->touched_late},
    };
    for (size_t t = 0; t <= d->n_teams; t++) {
        rows[0].before += a->team_assigned[t];
        rows[0].after += z->team_assigned[t];
    }
    memcpy(o, rows, sizeof(rows));
}

static int flow_cmp(const void *x, const void *y) {
    const lr_diff_flow *a = x, *b = y;
    if (a->leads != b->leads) return a->leads > b->leads ? -1 : 1;
    if (a->from != b->from) return a->from < b->from ? -1 : 1;
    return a->to < b->to ? -1 : a->to > b->to;
}

size_t lr_diff_flows(const lr_diff *d, lr_diff_flow **out) {
    size_t n = 0, w = d->n_teams + 1;
    *out = malloc(w * w * sizeof(**out));
    for (size_t f = 0; f < w; f++)
        for (size_t t = 0; t < w; t++)
            if (d->flows[f * w + t]) (*out)[n++] = (lr_diff_flow){d->flows[f * w + t], f, t};
    qsort(*out, n, sizeof(**out), flow_cmp);
    return n;
}

const char *lr_diff_team_label(const lr_diff *d, size_t t) {
    return t < d->n_teams ? d->teams[t] : "(none)";
}

uint64_t lr_diff_pair(const lr_diff *d, int side, size_t t, size_t r) {
    return d->side[side].pair[t * (d->n_reps + 1) + r];
}

bool lr_diff_rep_row(const lr_diff *d, size_t t, size_t r) {
    if (lr_diff_pair(d, 0, t, r) || lr_diff_pair(d, 1, t, r)) return true;
    if (t >= d->n_teams || r >= d->n_reps) return false;
    for (int k = 0; k < 2; k++) {
        const lr_route_config *rc = d->side[k].rules->route;
        int32_t st = lr_route_team_index(rc, d->teams[t]);
        int32_t sr = lr_route_rep_index(rc, d->reps[r], strlen(d->reps[r]));
        if (st >= 0 && sr >= 0 && lr_route_rep_in_team(rc, st, sr)) return true;
    }
    return false;
}

static const char *rep_label(const lr_diff *d, size_t r) {
    return r < d->n_reps ? d->reps[r] : "(unknown)";
}

/* ---- terminal ------------------------------------------------------------------ */

static void row(lr_buf *b, int indent, const char *label, uint64_t before, uint64_t after) {
    lr_diff_printf(b, "%*s%-*.*s %9llu %9llu %+9lld\n", indent, "", 34 - indent, 34 - indent,
                   label, (unsigned long long)before, (unsigned long long)after,
                   (long long)after - (long long)before);
}

static void heading(lr_buf *b, const char *title) {
    lr_diff_printf(b, "\n%-34s %9s %9s %9s\n", title, "before", "after", "change");
}

static void text_teams(const lr_diff *d, lr_buf *b) {
    heading(b, "assignments per team and rep");
    for (size_t t = 0; t <= d->n_teams; t++) {
        uint64_t a = d->side[0].team_assigned[t], z = d->side[1].team_assigned[t];
        if (t == d->n_teams && !a && !z) continue;
        row(b, 2, lr_diff_team_label(d, t), a, z);
        for (size_t r = 0; r <= d->n_reps; r++)
            if (lr_diff_rep_row(d, t, r))
                row(b, 4, rep_label(d, r), lr_diff_pair(d, 0, t, r), lr_diff_pair(d, 1, t, r));
        uint64_t qa = d->side[0].team_queued[t], qz = d->side[1].team_queued[t];
        if (qa || qz) row(b, 4, "(queued)", qa, qz);
    }
}

static void text_moves(lr_buf *b, const char *title, const uint64_t *m, size_t w,
                       const char *(*name)(const lr_diff *, size_t), const lr_diff *d) {
    lr_diff_printf(b, "%s\n", title);
    bool any = false;
    for (size_t f = 0; f < w; f++)
        for (size_t t = 0; t < w; t++)
            if (f != t && m[f * w + t]) {
                char label[160];
                snprintf(label, sizeof(label), "%s -> %s", name(d, f), name(d, t));
                lr_diff_printf(b, "  %-32s %9llu\n", label, (unsigned long long)m[f * w + t]);
                any = true;
            }
    if (!any) lr_diff_puts(b, "  none\n");
}


static void text_flows(const lr_diff *d, lr_buf *b) {
    lr_diff_flow *fl;
    size_t n = lr_diff_flows(d, &fl);
    lr_diff_printf(b, "\nleads with another owner: %llu; largest flows\n",
                   (unsigned long long)d->owner_changed);
    for (size_t i = 0; i < n && i < 10; i++) {
        char label[160];
        if (fl[i].from == fl[i].to)
            snprintf(label, sizeof(label), "%s: another rep", lr_diff_team_label(d, fl[i].from));
        else
            snprintf(label, sizeof(label), "%s -> %s", lr_diff_team_label(d, fl[i].from),
                     lr_diff_team_label(d, fl[i].to));
        lr_diff_printf(b, "  %-32s %9llu\n", label, (unsigned long long)fl[i].leads);
    }
    if (n == 0) lr_diff_puts(b, "  none\n");
    free(fl);
}

void lr_diff_text(const lr_diff *d, const char *before, const char *after, lr_buf *b) {
    lr_diff_printf(b, "diff: before %s, after %s\n", before, after);
    lr_diff_printf(b, "leads decided %llu: %llu change owner or stage (%.2f%%); %llu another "
                      "owner, %llu another stage, %llu another tier\n",
                   (unsigned long long)d->decided, (unsigned long long)d->changed,
                   lr_diff_changed_pct(d),
                   (unsigned long long)d->owner_changed, (unsigned long long)d->stage_changed,
                   (unsigned long long)d->tier_changed);
    text_teams(d, b);
    heading(b, "stages");
    for (int s = 0; s < LR_STAGE__COUNT; s++)
        row(b, 2, lr_diff_stage_name(s), d->side[0].by_stage[s], d->side[1].by_stage[s]);
    row(b, 2, "(duplicates)", d->side[0].duplicates, d->side[1].duplicates);
    text_moves(b, "stage changes", &d->stage_moves[0][0], LR_STAGE__COUNT + 1, lr_diff_stage_label, d);
    heading(b, "tiers");
    for (size_t t = 0; t <= d->n_tiers; t++)
        row(b, 2, lr_diff_tier_label(d, t), d->side[0].by_tier[t], d->side[1].by_tier[t]);
    text_moves(b, "tier changes", d->tier_moves, d->n_tiers + 1, lr_diff_tier_label, d);
    text_flows(d, b);
    lr_diff_outcome o[LR_DIFF_OUTCOMES];
    lr_diff_outcomes(d, o);
    heading(b, "queue, overflow and SLA");
    for (size_t i = 0; i < LR_DIFF_OUTCOMES; i++) row(b, 2, o[i].label, o[i].before, o[i].after);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void jstr(lr_buf *b, const char *s) {
    if (!s) {
        lr_diff_puts(b, "null");
        return;
    }
    lr_buf_putc(b, '"');
    lr_diff_put_escaped(b, s, strlen(s), false);
    lr_buf_putc(b, '"');
}

static void jpair(lr_buf *b, uint64_t before, uint64_t after) {
    lr_diff_printf(b, "\"before\":%llu,\"after\":%llu", (unsigned long long)before,
                   (unsigned long long)after);
}

static void json_teams(const lr_diff *d, lr_buf *b) {
    lr_diff_puts(b, ",\"teams\":[");
    for (size_t t = 0; t <= d->n_teams; t++) {
        if (t) lr_buf_putc(b, ',');
        lr_diff_puts(b, "{\"team\":");
        jstr(b, t < d->n_teams ? d->teams[t] : NULL);
        lr_diff_puts(b, ",\"assigned\":{");
        jpair(b, d->side[0].team_assigned[t], d->side[1].team_assigned[t]);
        lr_diff_puts(b, "},\"queued\":{");
        jpair(b, d->side[0].team_queued[t], d->side[1].team_queued[t]);
        lr_diff_puts(b, "},\"reps\":[");
        bool first = true;
        for (size_t r = 0; r <= d->n_reps; r++) {
            if (!lr_diff_rep_row(d, t, r)) continue;
            lr_diff_puts(b, first ? "{\"rep\":" : ",{\"rep\":");
            jstr(b, r < d->n_reps ? d->reps[r] : NULL);
            lr_buf_putc(b, ',');
            jpair(b, lr_diff_pair(d, 0, t, r), lr_diff_pair(d, 1, t, r));
            lr_buf_putc(b, '}');
            first = false;
        }
        lr_diff_puts(b, "]}");
    }
    lr_buf_putc(b, ']');
}

static void json_moves(lr_buf *b, const char *key, const uint64_t *m, size_t w,
                       const char *(*name)(const lr_diff *, size_t), const lr_diff *d) {
    lr_diff_printf(b, ",\"%s\":[", key);
    bool first = true;
    for (size_t f = 0; f < w; f++)
        for (size_t t = 0; t < w; t++) {
            if (f == t || !m[f * w + t]) continue;
            lr_diff_puts(b, first ? "{\"from\":" : ",{\"from\":");
            jstr(b, name(d, f));
            lr_diff_puts(b, ",\"to\":");
            jstr(b, name(d, t));
            lr_diff_printf(b, ",\"leads\":%llu}", (unsigned long long)m[f * w + t]);
            first = false;
        }
    lr_buf_putc(b, ']');
}

static void json_counts(lr_buf *b, const char *key, size_t n, const uint64_t *a,
                        const uint64_t *z, const char *(*name)(const lr_diff *, size_t),
                        const lr_diff *d) {
    lr_diff_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        lr_diff_puts(b, i ? ",{\"name\":" : "{\"name\":");
        jstr(b, name(d, i));
        lr_buf_putc(b, ',');
        jpair(b, a[i], z[i]);
        lr_buf_putc(b, '}');
    }
    lr_buf_putc(b, ']');
}

static void json_flows(const lr_diff *d, lr_buf *b) {
    lr_diff_flow *fl;
    size_t n = lr_diff_flows(d, &fl);
    lr_diff_puts(b, ",\"flows\":[");
    for (size_t i = 0; i < n; i++) {
        lr_diff_puts(b, i ? ",{\"from\":" : "{\"from\":");
        jstr(b, fl[i].from < d->n_teams ? d->teams[fl[i].from] : NULL);
        lr_diff_puts(b, ",\"to\":");
        jstr(b, fl[i].to < d->n_teams ? d->teams[fl[i].to] : NULL);
        lr_diff_printf(b, ",\"leads\":%llu}", (unsigned long long)fl[i].leads);
    }
    lr_buf_putc(b, ']');
    free(fl);
}

void lr_diff_json(const lr_diff *d, const char *before, const char *after, lr_buf *b) {
    lr_diff_puts(b, "{\"before\":");
    jstr(b, before);
    lr_diff_puts(b, ",\"after\":");
    jstr(b, after);
    lr_diff_printf(b, ",\"decided\":%llu,\"changed\":%llu,\"changed_pct\":%.4f,"
                      "\"owner_changed\":%llu,\"stage_changed\":%llu,\"tier_changed\":%llu",
                   (unsigned long long)d->decided, (unsigned long long)d->changed,
                   lr_diff_changed_pct(d),
                   (unsigned long long)d->owner_changed, (unsigned long long)d->stage_changed,
                   (unsigned long long)d->tier_changed);
    json_teams(d, b);
    json_counts(b, "stages", LR_STAGE__COUNT, d->side[0].by_stage, d->side[1].by_stage,
                lr_diff_stage_label, d);
    json_moves(b, "stage_changes", &d->stage_moves[0][0], LR_STAGE__COUNT + 1, lr_diff_stage_label, d);
    json_counts(b, "tiers", d->n_tiers + 1, d->side[0].by_tier, d->side[1].by_tier, lr_diff_tier_label, d);
    json_moves(b, "tier_changes", d->tier_moves, d->n_tiers + 1, lr_diff_tier_label, d);
    json_flows(d, b);
    lr_diff_outcome o[LR_DIFF_OUTCOMES];
    lr_diff_outcomes(d, o);
    lr_diff_puts(b, ",\"outcomes\":{");
    for (size_t i = 0; i < LR_DIFF_OUTCOMES; i++) {
        lr_diff_printf(b, "%s\"%s\":{", i ? "," : "", o[i].key);
        jpair(b, o[i].before, o[i].after);
        lr_buf_putc(b, '}');
    }
    lr_diff_printf(b, "},\"duplicates\":{");
    jpair(b, d->side[0].duplicates, d->side[1].duplicates);
    lr_diff_puts(b, "}}\n");
}
