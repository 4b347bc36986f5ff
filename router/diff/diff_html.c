/* diff_html.c - the diff as one self-contained HTML page: inline CSS and
 * inline SVG bar charts, no script, no font or image to fetch, so it opens
 * offline and in a mail attachment. See diff.h. */
#include "diff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:960px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}tr.rep td:first-child{padding-left:26px}"
    "tr.team td{font-weight:600;border-top:1px solid #ccc}.up{color:#1a7f37}.down{color:#c62828}"
    ".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}"
    ".b{fill:#9e9e9e;background:#9e9e9e}.a{fill:#1e88e5;background:#1e88e5}"
    "svg text{font:12px system-ui,sans-serif}.kpi{font-size:16px}.kpi b{font-size:22px}";

static void esc(lr_buf *b, const char *s) { lr_diff_put_escaped(b, s, strlen(s), true); }

/* Grouped horizontal bars: before (grey) and after (blue) per label; a
 * single series when before is NULL. */
static void bars(lr_buf *b, const char *id, size_t n, const char *const *labels,
                 const uint64_t *before, const uint64_t *after) {
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++) {
        if (after[i] > max) max = after[i];
        if (before && before[i] > max) max = before[i];
    }
    int per = before ? 30 : 18, w = 300, x0 = 230;
    lr_diff_printf(b, "<svg id=\"%s\" role=\"img\" width=\"%d\" height=\"%zu\" "
                      "xmlns=\"http://www.w3.org/2000/svg\">",
                   id, x0 + w + 70, n * (size_t)per + 4);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * per + 2;
        lr_diff_printf(b, "<text x=\"0\" y=\"%d\">", y + 12);
        esc(b, labels[i]);
        lr_diff_puts(b, "</text>");
        for (int k = before ? 0 : 1; k < 2; k++) {
            uint64_t v = k ? after[i] : before[i];
            int yy = y + (before ? k * 13 : 0);
            lr_diff_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\"/>"
                              "<text x=\"%d\" y=\"%d\">%llu</text>",
                           k ? "a" : "b", x0, yy, (int)((double)w * (double)v / (double)max), x0 +
                           (int)((double)w * (double)v / (double)max) + 4, yy + 10,
                           (unsigned long long)v);
        }
    }
    lr_diff_puts(b, "</svg>\n");
}

static void cell_change(lr_buf *b, uint64_t before, uint64_t after) {
    long long c = (long long)after - (long long)before;
    lr_diff_printf(b, "<td>%llu</td><td>%llu</td><td class=\"%s\">%+lld</td></tr>\n",
                   (unsigned long long)before, (unsigned long long)after,
                   c > 0 ? "up" : c < 0 ? "down" : "", c);
}

/* The per-rep table and its chart's rows (labels "team / rep"). */
static void reps(const lr_diff *d, lr_buf *b) {
    size_t cap = (d->n_teams + 1) * (d->n_reps + 1), n = 0;
    const char **labels = malloc(cap * sizeof(*labels));
    char **owned = malloc(cap * sizeof(*owned));
    uint64_t *bv = malloc(cap * sizeof(*bv)), *av = malloc(cap * sizeof(*av));
    lr_diff_puts(b, "<h2>Assignments per team and rep</h2><table id=\"reps\"><tr><th></th>"
                    "<th>before</th><th>after</th><th>change</th></tr>\n");
    for (size_t t = 0; t <= d->n_teams; t++) {
        uint64_t ta = d->side[0].team_assigned[t], tz = d->side[1].team_assigned[t];
        if (t == d->n_teams && !ta && !tz) continue;
        lr_diff_puts(b, "<tr class=\"team\"><td>");
        esc(b, lr_diff_team_label(d, t));
        lr_diff_puts(b, "</td>");
        cell_change(b, ta, tz);
        for (size_t r = 0; r <= d->n_reps; r++) {
            if (!lr_diff_rep_row(d, t, r)) continue;
            const char *rep = r < d->n_reps ? d->reps[r] : "(unknown)";
            size_t len = strlen(lr_diff_team_label(d, t)) + strlen(rep) + 4;
            owned[n] = malloc(len);
            snprintf(owned[n], len, "%s / %s", lr_diff_team_label(d, t), rep);
            labels[n] = owned[n];
            bv[n] = lr_diff_pair(d, 0, t, r);
            av[n] = lr_diff_pair(d, 1, t, r);
            lr_diff_printf(b, "<tr class=\"rep\" data-team=\"%zu\"><td>", t);
            esc(b, rep);
            lr_diff_puts(b, "</td>");
            cell_change(b, bv[n], av[n]);
            n++;
        }
    }
    lr_diff_puts(b, "</table>\n<h2>Distribution per rep</h2>"
                    "<p class=\"legend\"><span class=\"b\"></span>before"
                    "<span class=\"a\"></span>after</p>\n");
    bars(b, "chart-reps", n, labels, bv, av);
    for (size_t i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(labels);
    free(bv);
    free(av);
}

static void flows(const lr_diff *d, lr_buf *b) {
    lr_diff_flow *fl;
    size_t n = lr_diff_flows(d, &fl);
    if (n > 10) n = 10;
    lr_diff_printf(b, "<h2>Leads with another owner: <span id=\"owner-changed\">%llu</span></h2>\n",
                   (unsigned long long)d->owner_changed);
    char **labels = malloc((n + 1) * sizeof(*labels));
    uint64_t *v = malloc((n + 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const char *f = lr_diff_team_label(d, fl[i].from), *t = lr_diff_team_label(d, fl[i].to);
        size_t len = strlen(f) + strlen(t) + 16;
        labels[i] = malloc(len);
        if (fl[i].from == fl[i].to) snprintf(labels[i], len, "%s: another rep", f);
        else snprintf(labels[i], len, "%s \xe2\x86\x92 %s", f, t);
        v[i] = fl[i].leads;
    }
    if (n) bars(b, "chart-flows", n, (const char *const *)labels, NULL, v);
    else lr_diff_puts(b, "<p>No lead changes owner.</p>\n");
    for (size_t i = 0; i < n; i++) free(labels[i]);
    free(labels);
    free(v);
    free(fl);
}

static void moves_table(lr_buf *b, const char *title, const char *id, const uint64_t *m,
                        size_t w, const char *(*name)(const lr_diff *, size_t), const lr_diff *d) {
    lr_diff_printf(b, "<h2>%s</h2><table id=\"%s\"><tr><th>from</th><th>to</th><th>leads</th></tr>\n",
                   title, id);
    bool any = false;
    for (size_t f = 0; f < w; f++)
        for (size_t t = 0; t < w; t++) {
            if (f == t || !m[f * w + t]) continue;
            any = true;
            lr_diff_puts(b, "<tr><td>");
            esc(b, name(d, f));
            lr_diff_puts(b, "</td><td style=\"text-align:left\">");
            esc(b, name(d, t));
            lr_diff_printf(b, "</td><td>%llu</td></tr>\n", (unsigned long long)m[f * w + t]);
        }
    lr_diff_puts(b, any ? "</table>\n" : "<tr><td colspan=\"3\">none</td></tr></table>\n");
}


static void outcomes(const lr_diff *d, lr_buf *b) {
    lr_diff_outcome o[LR_DIFF_OUTCOMES];
    lr_diff_outcomes(d, o);
    const char *labels[LR_DIFF_OUTCOMES];
    uint64_t bv[LR_DIFF_OUTCOMES], av[LR_DIFF_OUTCOMES];
    lr_diff_puts(b, "<h2>Queue, overflow and SLA outcomes</h2><table id=\"outcomes\"><tr><th>"
                    "</th><th>before</th><th>after</th><th>change</th></tr>\n");
    for (size_t i = 0; i < LR_DIFF_OUTCOMES; i++) {
        labels[i] = o[i].label;
        bv[i] = o[i].before;
        av[i] = o[i].after;
        lr_diff_printf(b, "<tr id=\"outcome-%s\"><td>%s</td>", o[i].key, o[i].label);
        cell_change(b, o[i].before, o[i].after);
    }
    lr_diff_puts(b, "</table>\n");
    bars(b, "chart-sla", LR_DIFF_OUTCOMES, labels, bv, av);
}

void lr_diff_html(const lr_diff *d, const char *before, const char *after, lr_buf *b) {
    lr_diff_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>lead-router diff</title><style>%s</style></head><body>\n",
                   style);
    lr_diff_puts(b, "<h1>lead-router diff: <span id=\"before\">");
    esc(b, before);
    lr_diff_puts(b, "</span> \xe2\x86\x92 <span id=\"after\">");
    esc(b, after);
    lr_diff_printf(b, "</span></h1>\n<p class=\"kpi\"><b id=\"decided\">%llu</b> leads decided, "
                      "<b id=\"changed\">%llu</b> change owner or stage (<span id=\"changed-pct\">"
                      "%.2f</span>%%): <span id=\"stage-changed\">%llu</span> another stage, "
                      "<span id=\"tier-changed\">%llu</span> another tier</p>\n",
                   (unsigned long long)d->decided, (unsigned long long)d->changed,
                   lr_diff_changed_pct(d),
                   (unsigned long long)d->stage_changed, (unsigned long long)d->tier_changed);
    reps(d, b);
    flows(d, b);
    moves_table(b, "Stage changes", "stage-changes", &d->stage_moves[0][0], LR_STAGE__COUNT + 1,
                lr_diff_stage_label, d);
    moves_table(b, "Tier changes", "tier-changes", d->tier_moves, d->n_tiers + 1, lr_diff_tier_label, d);
    outcomes(d, b);
    lr_diff_puts(b, "</body></html>\n");
}
