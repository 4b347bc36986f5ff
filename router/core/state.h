/* state.h - the decision state as a changelog: compact, versioned binary
 * records keyed by name ("lead/<id>", "rep/<id>", "team/<name>"), written to a
 * compacted topic in the same transaction as the output they led to, and
 * applied back (last write wins) to rebuild a core after a restart.
 *
 * This header holds the wire primitives (zigzag varints, strings, fixed
 * 64-bit words) that the lifecycle and the route state use to encode their
 * records, and the per-core change tracker used by lr_core_changes and
 * lr_core_restore (core.h). Pure: no I/O, no clock. */
#ifndef LR_STATE_H
#define LR_STATE_H

#include "buf.h"
#include "common.h"
#include "route.h"

#define LR_STATE_VERSION 1 /* first byte of every value */

#define LR_STATE_KEY_LEAD "lead/"
#define LR_STATE_KEY_REP "rep/"
#define LR_STATE_KEY_TEAM "team/"

/* One changelog record: val == NULL is a tombstone (the entry is gone). */
typedef void (*lr_state_sink_fn)(void *ctx, const char *key, size_t klen, const void *val,
                                 size_t vlen);

/* ---- encoding ---------------------------------------------------------------- */

void lr_state_put_u64(lr_buf *b, uint64_t v);   /* unsigned varint */
void lr_state_put_i64(lr_buf *b, int64_t v);    /* zigzag varint */
void lr_state_put_f64(lr_buf *b, double v);     /* 8 bytes, little endian */
void lr_state_put_fixed64(lr_buf *b, uint64_t v);
/* Length-prefixed; NULL is written as a distinct "absent" marker. */
void lr_state_put_str(lr_buf *b, const char *s);

/* A reader over one value. Every get returns false (and sets bad) when the
 * value is short or malformed; callers check once at the end. */
typedef struct lr_state_reader {
    const uint8_t *p, *end;
    bool bad;
} lr_state_reader;

static inline lr_state_reader lr_state_reader_of(const void *v, size_t n) {
    return (lr_state_reader){(const uint8_t *)v, (const uint8_t *)v + n, false};
}
uint64_t lr_state_get_u64(lr_state_reader *r);
int64_t lr_state_get_i64(lr_state_reader *r);
double lr_state_get_f64(lr_state_reader *r);
uint64_t lr_state_get_fixed64(lr_state_reader *r);
/* Points into the value (not terminated): *len bytes at the return; NULL with
 * *len 0 for an absent string. */
const char *lr_state_get_str(lr_state_reader *r, size_t *len);

/* ---- route state --------------------------------------------------------------- */

/* Tracks which rep loads and team cursors changed since the last drain by
 * comparing with a shadow copy: the route state is one entry per rep and team
 * (configuration-sized), so the comparison is cheaper than marking every
 * write in the routing code. */
typedef struct lr_state_route lr_state_route;

lr_state_route *lr_state_route_new(const lr_route_config *cfg, const lr_route_state *st);
void lr_state_route_free(lr_state_route *sr);
/* Emits every rep and team that changed since the last call (or sync). */
size_t lr_state_route_changes(lr_state_route *sr, const lr_route_state *st, lr_buf *key,
                              lr_buf *val, lr_state_sink_fn sink, void *ctx);
/* Emits every rep and team, changed or not (a reload's state move). */
size_t lr_state_route_snapshot(const lr_route_config *cfg, const lr_route_state *st, lr_buf *key,
                               lr_buf *val, lr_state_sink_fn sink, void *ctx);
/* The shadow takes the state as it is now (after a restore). */
void lr_state_route_sync(lr_state_route *sr, const lr_route_state *st);

/* Applies a "rep/..." or "team/..." record (key without its prefix). Returns
 * 0 when applied, 1 when skipped (name not in the roster, or a team whose
 * member count changed), -1 when malformed. */
int lr_state_restore_rep(const lr_route_config *cfg, lr_route_state *st, const char *name,
                         size_t len, const void *val, size_t vlen);
int lr_state_restore_team(const lr_route_config *cfg, lr_route_state *st, const char *name,
                          size_t len, const void *val, size_t vlen);

#endif
