/* codec.h - Avro binary in the Confluent wire format, without avro-c on the
 * hot path.
 *
 * avro-c parses each schema once, at creation; the codec then compiles a
 * decode plan per writer schema (fields matched to our structs by name, enum
 * symbols to our enums by name) and decodes and encodes the bytes itself.
 * Decoding copies strings into the caller's arena and allocates nothing else,
 * so steady state does no malloc. Every length and count in the input is
 * checked against the bytes that remain before it is used.
 *
 * Wire format: byte 0 is the magic 0, bytes 1-4 the schema id (big-endian),
 * then the Avro binary encoding of one record.
 *
 * Once created (and writer schemas added), a codec is read-only: threads may
 * decode and encode with it at the same time, each with its own arena and
 * buffer. lr_codec_add_writer_schema must not run concurrently with them. */
#ifndef LR_CODEC_H
#define LR_CODEC_H

#include "arena.h"
#include "buf.h"
#include "common.h"
#include "event.h"
#include "lead.h"
#include "schemas.h"

/* Confluent schema ids of our schemas, as registered (kafka.schema_ids). */
typedef struct lr_codec_ids {
    int32_t lead, sales_activity, decision, status, alert;
} lr_codec_ids;

typedef enum lr_codec_status {
    LR_CODEC_OK = 0,
    LR_CODEC_TOO_LARGE,      /* over max_message_bytes: not even looked at */
    LR_CODEC_BAD_MAGIC,      /* framing other than magic byte 0 */
    LR_CODEC_UNKNOWN_SCHEMA, /* schema id we have no writer schema for */
    LR_CODEC_MALFORMED,      /* not a valid encoding of the writer schema */
    LR_CODEC_CONTRACT,       /* decoded, but breaks the lead/sales contract */
} lr_codec_status;

#define LR_CODEC_HEADER_BYTES 5
#define LR_CODEC_MAX_WRITERS 8 /* writer schemas (ids) accepted per record type */
#define LR_CODEC_MAX_DEPTH 32  /* nesting of records/arrays/unions while decoding */

typedef struct lr_codec lr_codec;

/* Parses the embedded schemas, checks that they agree with the encoder's field
 * tables, and compiles decoders for them. The five ids must differ, since an
 * id alone tells what a message is. NULL with err set on failure. */
lr_codec *lr_codec_new(const lr_codec_ids *ids, size_t max_message_bytes, lr_err *err);
void lr_codec_free(lr_codec *c);

/* Decoders. out is overwritten (fields the writer lacks get their defaults);
 * its strings point into arena. On failure *reason is a short text (static or
 * in arena) for the dead-letter header. Leads with more than LR_MAX_ACTIVITIES
 * activities or LR_MAX_ATTRS attributes keep the first ones and count the rest
 * in activities_dropped / attrs_dropped. */
lr_codec_status lr_codec_decode_lead(lr_codec *c, const uint8_t *buf, size_t len,
                                     lr_lead *out, lr_arena *arena, const char **reason);
lr_codec_status lr_codec_decode_sales(lr_codec *c, const uint8_t *buf, size_t len,
                                      lr_sales_activity *out, lr_arena *arena,
                                      const char **reason);
/* Decodes one of our output events (LeadDecision, LeadStatus, SlaAlert); the
 * schema id says which. For tools and tests that read the output topics.
 * router_version is checked to be a string and otherwise not kept. */
lr_codec_status lr_codec_decode_event(lr_codec *c, const uint8_t *buf, size_t len,
                                      lr_event *out, lr_arena *arena, const char **reason);

/* Encoders: append one framed message to out. */
void lr_codec_encode_event(lr_codec *c, const lr_event *ev, lr_buf *out);
void lr_codec_encode_lead(lr_codec *c, const lr_lead *lead, lr_buf *out);
void lr_codec_encode_sales(lr_codec *c, const lr_sales_activity *a, lr_buf *out);

/* Schema evolution: accept messages framed with schema_id and written with the
 * writer schema json (len bytes) for record type `which`. Fields are matched by
 * name: writer fields we do not know are skipped, our fields the writer lacks
 * get their defaults, types are promoted as Avro allows (int -> long -> double,
 * bytes -> string, non-union -> union, union -> non-union per branch), and an
 * activity type we do not know becomes OTHER. Fails (err set, codec unchanged)
 * when the writer lacks one of our fields that has no default, or a field's
 * type cannot be read as ours. Registering the id again replaces its schema;
 * the configured id of that type may be replaced too. */
int lr_codec_add_writer_schema(lr_codec *c, lr_schema_kind which, int32_t schema_id,
                               const char *json, size_t len, lr_err *err);

/* The configured schema id of a record type. */
int32_t lr_codec_schema_id(const lr_codec *c, lr_schema_kind which);
/* Schema id of a framed message, or -1 when it has no valid header. */
int64_t lr_codec_peek_schema_id(const uint8_t *buf, size_t len);
/* The record type whose writer schemas include the framed message's schema id
 * (ids are unique across types), or -1 when the header is invalid or the id
 * is unknown. */
int lr_codec_kind_of(lr_codec *c, const uint8_t *buf, size_t len);

/* "too_large", "bad_magic", "unknown_schema", "malformed", "contract" ("ok"
 * for LR_CODEC_OK): the lr.error.code dead-letter header. */
const char *lr_codec_status_name(lr_codec_status s);

#endif
