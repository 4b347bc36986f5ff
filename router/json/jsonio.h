/* jsonio.h - JSON lines for `lead-router replay`: lead and sales-activity
 * events in, decisions / statuses / alerts out.
 *
 * Input lines mirror schemas/Lead.avsc and schemas/SalesActivity.avsc with a
 * "type" key ("lead" or "activity"); output lines mirror LeadDecision,
 * LeadStatus and SlaAlert with a "type" key ("decision", "status", "alert").
 * Both directions walk the field tables of wire.h, so a line has exactly the
 * schema's fields.
 * The format is described in docs/scoring.md. Output is byte-identical for
 * identical events: keys in schema order, doubles rounded to 4 decimals and
 * printed without exponent. */
#ifndef LR_JSONIO_H
#define LR_JSONIO_H

#include "arena.h"
#include "buf.h"
#include "common.h"
#include "event.h"
#include "lead.h"
#include "rosterrec.h"

/* ROSTER and OWNER: a live roster change, as on the roster and account-owner
 * topics (docs/events.md); replay applies it in time order. */
typedef enum { LR_JSON_LEAD, LR_JSON_SALES, LR_JSON_ROSTER, LR_JSON_OWNER } lr_json_kind;

typedef struct lr_json_input {
    lr_json_kind kind;
    lr_time_ms time; /* the event's own time: lead.event_time or sales.occurred_at,
                      * a roster line's "time" */
    bool removed;    /* ROSTER: a tombstone (u.rep.id only); OWNER: u.owner.owner NULL */
    union {
        lr_lead lead;
        lr_sales_activity sales;
        lr_rep_rec rep;
        lr_owner_rec owner;
    } u;
} lr_json_input;

/* Parses one line (len bytes; a trailing newline is fine). Returns 0 when
 * *out holds an event, 1 for a blank line or a comment (first non-blank
 * character '#'), -1 on error with err->msg "NAME:LINE: message" (bad JSON,
 * unknown or missing field, wrong type, contract violation, or a line over
 * max_bytes). Strings are copied into `arena`, which must outlive the use
 * of *out.
 *
 * The input contract is Kafka's (docs/events.md): fields are those of the
 * wire tables (wire.h); company_size and annual_revenue of -1 mean unknown;
 * an activity type we do not know is read as OTHER; a line longer than
 * max_bytes (kafka.max_message_bytes; 0: no limit) is refused, as the live
 * path dead-letters such a message. */
int lr_jsonio_parse_line(const char *line, size_t len, size_t max_bytes, const char *name,
                         long lineno, lr_json_input *out, lr_arena *arena, lr_err *err);

/* Appends one event as a single JSON line ending in '\n'. Deterministic;
 * allocates only when `out` has to grow. */
void lr_jsonio_write_event(const lr_event *ev, lr_buf *out);

/* The full parser alone (jansson), without the fast path or the size and
 * blank-line checks: for tests that hold the two to the same result. */
int lr_jsonio_parse_line_full(const char *line, size_t len, const char *name, long lineno,
                              lr_json_input *out, lr_arena *arena, lr_err *err);

/* Appends an input event as a line lr_jsonio_parse_line reads back to the
 * same event: for tools that write replay input (the diff benchmark). */
void lr_jsonio_write_input(const lr_json_input *in, lr_buf *out);

/* Appends a double the way output lines print it: rounded to 4 decimals,
 * no exponent, no trailing zeros ("72.5", "40", "-12.3456"). */
void lr_jsonio_put_double(lr_buf *out, double v);

#endif
