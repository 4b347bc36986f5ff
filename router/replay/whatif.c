/* whatif.c - see whatif.h. */
#include "whatif.h"

#include <errno.h>
#include <string.h>

#include "diff.h"

typedef struct whatif {
    lr_diff *diff;
    lr_buf leads;      /* per-lead lines of one event, written at once */
    FILE *leads_file;
    const char *leads_path;
} whatif;

static int on_events(void *ctx, lr_out *const *outs, size_t n, lr_err *err) {
    whatif *w = ctx;
    lr_buf_reset(&w->leads);
    lr_diff_add(w->diff, outs[0], outs[1], w->leads_file ? &w->leads : NULL);
    if (w->leads.len && fwrite(w->leads.data, 1, w->leads.len, w->leads_file) != w->leads.len) {
        lr_err_set(err, LR_ERR_FATAL, "%s: cannot write: %s", w->leads_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const lr_buf *b, lr_err *err) {
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) lr_err_set(err, LR_ERR_FATAL, "%s: cannot write: %s", path, strerror(errno));
    return ok ? 0 : 1;
}

static int report(const lr_whatif_opts *o, const lr_diff *diff, lr_err *err) {
    lr_buf b;
    lr_buf_init(&b);
    if (o->json) lr_diff_json(diff, o->before_name, o->after_name, &b);
    else lr_diff_text(diff, o->before_name, o->after_name, &b);
    int rc = 0;
    if (o->report && (fwrite(b.data, 1, b.len, o->report) != b.len || fflush(o->report) != 0)) {
        lr_err_set(err, LR_ERR_FATAL, "cannot write the report: %s", strerror(errno));
        rc = 1;
    }
    if (rc == 0 && o->html_path) {
        lr_buf_reset(&b);
        lr_diff_html(diff, o->before_name, o->after_name, &b);
        rc = write_file(o->html_path, &b, err);
    }
    lr_buf_free(&b);
    return rc;
}

int lr_whatif_run(const lr_whatif_opts *o, lr_replay_source *src, bool *exceeded, lr_err *err) {
    whatif w = {.leads_path = o->leads_path};
    if (o->leads_path && !(w.leads_file = fopen(o->leads_path, "w"))) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->leads_path, strerror(errno));
        return 1;
    }
    w.diff = lr_diff_new(&o->before->rules, &o->after->rules);
    lr_buf_init(&w.leads);
    lr_core *a = lr_core_new(&o->before->rules, 1024), *z = lr_core_new(&o->after->rules, 1024);
    lr_replay_drive_opts d = {.src = src, .cores = {a, z}, .n_cores = 2, .emit = on_events,
                              .emit_ctx = &w, .until = o->until, .warnings = o->warnings,
                              .tz = o->before->tz};
    int rc = lr_replay_drive(&d, NULL, err);
    if (w.leads_file && fclose(w.leads_file) != 0 && rc == 0) {
        lr_err_set(err, LR_ERR_FATAL, "%s: cannot write: %s", o->leads_path, strerror(errno));
        rc = 1;
    }
    if (rc == 0) rc = report(o, w.diff, err);
    *exceeded = rc == 0 && o->fail_pct >= 0 && lr_diff_changed_more_than(w.diff, o->fail_pct);
    lr_core_free(a);
    lr_core_free(z);
    lr_buf_free(&w.leads);
    lr_diff_free(w.diff);
    return rc;
}
