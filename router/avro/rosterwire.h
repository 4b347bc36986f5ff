/* rosterwire.h - Rep and AccountOwner records (schemas/Rep.avsc,
 * schemas/AccountOwner.avsc) in the Confluent wire format, to and from the
 * plain records of rosterrec.h.
 *
 * Not on the hot path: the roster and account-owner topics are read whole at
 * start and then followed, one record per change, so this uses avro-c's
 * generic values (a few microseconds a record) rather than the lead codec's
 * compiled plans. The schema id must be the configured one
 * (kafka.schema_ids.rep / account_owner). Decoded strings are copied into the
 * caller's arena. One lr_roster_wire per thread. */
#ifndef LR_ROSTERWIRE_H
#define LR_ROSTERWIRE_H

#include "arena.h"
#include "buf.h"
#include "common.h"
#include "rosterrec.h"

typedef struct lr_roster_wire lr_roster_wire;

/* NULL with err set when an embedded schema does not parse. */
lr_roster_wire *lr_roster_wire_new(int32_t rep_id, int32_t owner_id, lr_err *err);
void lr_roster_wire_free(lr_roster_wire *w);

/* 0, or -1 with why set (framing, schema id, malformed, too many items). */
int lr_roster_wire_decode_rep(lr_roster_wire *w, const uint8_t *buf, size_t len, lr_arena *mem,
                              lr_rep_rec *r, char *why, size_t why_len);
int lr_roster_wire_decode_owner(lr_roster_wire *w, const uint8_t *buf, size_t len, lr_arena *mem,
                                lr_owner_rec *o, char *why, size_t why_len);

/* Appends the framed record to out. */
void lr_roster_wire_encode_rep(lr_roster_wire *w, const lr_rep_rec *r, lr_buf *out);
void lr_roster_wire_encode_owner(lr_roster_wire *w, const lr_owner_rec *o, lr_buf *out);

#endif
