/* fuzz_avro.c - libFuzzer harness for the Avro decoders with the Confluent
 * framing: the bytes of one Kafka message, as the leads and sales-activity
 * topics deliver them.
 *
 * The schema id in the frame picks the decoder, as the live path does: lead
 * (ids 1 and 11), sales activity (2), or an output event (3-5, read by tools).
 * Id 11 is an older, evolved writer schema of Lead, so the decode plan's
 * skipping of unknown fields (fixed, float, map, nested record, enum),
 * promotions (bytes -> string, int -> long, non-union -> union) and unknown
 * enum symbols are fuzzed too, not only our own schemas.
 *
 * Round trip: a message that decodes is encoded again, the encoding decoded,
 * and that decode encoded once more; the two encodings must be the same
 * bytes. The encoder writes every field of the wire tables, so equal bytes
 * mean the two decodes agree field for field (NaN included, which a field
 * comparison with == would not see as equal to itself).
 *
 * Run by tests/fuzz/run.sh; the seed corpus is tests/fuzz/corpus/fuzz_avro/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static const lr_codec_ids IDS = {1, 2, 3, 4, 5};
#define EVOLVED_LEAD_ID 11
#define MAX_BYTES (1 << 20)

/* An old Lead writer: few of our fields, in another order and other types,
 * and fields we do not know of every kind the plan must skip. */
static const char EVOLVED_LEAD[] =
    "{\"type\": \"record\", \"name\": \"Lead\", \"namespace\": \"dev.leadrouter\", \"fields\": ["
    " {\"name\": \"lead_id\", \"type\": \"bytes\"},"
    " {\"name\": \"old_hash\", \"type\": {\"type\": \"fixed\", \"name\": \"Hash4\", \"size\": 4}},"
    " {\"name\": \"event_time\", \"type\": \"long\"},"
    " {\"name\": \"old_score\", \"type\": \"float\"},"
    " {\"name\": \"company_size\", \"type\": \"int\"},"
    " {\"name\": \"old_tags\", \"type\": {\"type\": \"map\", \"values\": [\"null\", \"double\"]}},"
    " {\"name\": \"old_owner\", \"type\": {\"type\": \"record\", \"name\": \"Owner\", \"fields\": ["
    "   {\"name\": \"ids\", \"type\": {\"type\": \"array\", \"items\": \"string\"}},"
    "   {\"name\": \"active\", \"type\": \"boolean\"}]}},"
    " {\"name\": \"old_kind\", \"type\": {\"type\": \"enum\", \"name\": \"Kind\", \"symbols\": [\"A\", \"B\"]}},"
    " {\"name\": \"consent\", \"type\": \"boolean\"},"
    " {\"name\": \"email\", \"type\": [\"string\", \"null\"]},"
    " {\"name\": \"activities\", \"type\": {\"type\": \"array\", \"items\": {"
    "   \"type\": \"record\", \"name\": \"Activity\", \"fields\": ["
    "   {\"name\": \"type\", \"type\": {\"type\": \"enum\", \"name\": \"ActivityType\","
    "     \"symbols\": [\"CHAT_STARTED\", \"OTHER\", \"DEMO_REQUEST\", \"PRICING_PAGE\"],"
    "     \"default\": \"OTHER\"}},"
    "   {\"name\": \"at\", \"type\": \"long\"}]}}},"
    " {\"name\": \"attributes\", \"type\": {\"type\": \"map\", \"values\": \"bytes\"}}"
    "]}";

static lr_codec *codec;
static lr_arena arena;
static lr_buf first, second;

static void setup(void) {
    lr_err err = {0};
    codec = lr_codec_new(&IDS, MAX_BYTES, &err);
    if (!codec ||
        lr_codec_add_writer_schema(codec, LR_SCHEMA_LEAD, EVOLVED_LEAD_ID, EVOLVED_LEAD,
                                   sizeof(EVOLVED_LEAD) - 1, &err)) {
        fprintf(stderr, "fuzz_avro: cannot set up the codec: %s\n", err.msg);
        abort();
    }
    lr_arena_init(&arena, 64 * 1024);
    lr_buf_init(&first);
    lr_buf_init(&second);
}

static void must_agree(const char *what) {
    if (first.len == second.len && memcmp(first.data, second.data, first.len) == 0) return;
    fprintf(stderr, "fuzz_avro: %s: decode -> encode -> decode -> encode changed the bytes "
                    "(%zu then %zu)\n", what, first.len, second.len);
    abort();
}

static void must_decode(lr_codec_status st, const char *what, const char *reason) {
    if (st == LR_CODEC_OK) return;
    fprintf(stderr, "fuzz_avro: %s: our own encoding does not decode: %s (%s)\n", what,
            lr_codec_status_name(st), reason ? reason : "");
    abort();
}

static void lead_round_trip(const uint8_t *data, size_t size) {
    static lr_lead a, b;
    const char *reason = NULL;
    if (lr_codec_decode_lead(codec, data, size, &a, &arena, &reason) != LR_CODEC_OK) return;
    lr_codec_encode_lead(codec, &a, &first);
    must_decode(lr_codec_decode_lead(codec, first.data, first.len, &b, &arena, &reason), "lead",
                reason);
    lr_codec_encode_lead(codec, &b, &second);
    must_agree("lead");
}

static void sales_round_trip(const uint8_t *data, size_t size) {
    static lr_sales_activity a, b;
    const char *reason = NULL;
    if (lr_codec_decode_sales(codec, data, size, &a, &arena, &reason) != LR_CODEC_OK) return;
    lr_codec_encode_sales(codec, &a, &first);
    must_decode(lr_codec_decode_sales(codec, first.data, first.len, &b, &arena, &reason),
                "sales activity", reason);
    lr_codec_encode_sales(codec, &b, &second);
    must_agree("sales activity");
}

static void event_round_trip(const uint8_t *data, size_t size) {
    static lr_event a, b;
    const char *reason = NULL;
    if (lr_codec_decode_event(codec, data, size, &a, &arena, &reason) != LR_CODEC_OK) return;
    lr_codec_encode_event(codec, &a, &first);
    must_decode(lr_codec_decode_event(codec, first.data, first.len, &b, &arena, &reason), "event",
                reason);
    lr_codec_encode_event(codec, &b, &second);
    must_agree("event");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!codec) setup();
    lr_arena_reset(&arena);
    lr_buf_reset(&first);
    lr_buf_reset(&second);
    switch (lr_codec_kind_of(codec, data, size)) {
    case LR_SCHEMA_LEAD: lead_round_trip(data, size); break;
    case LR_SCHEMA_SALES_ACTIVITY: sales_round_trip(data, size); break;
    case LR_SCHEMA_DECISION:
    case LR_SCHEMA_STATUS:
    case LR_SCHEMA_ALERT: event_round_trip(data, size); break;
    default: {
        /* no valid header or an unknown id: every decoder must say so */
        static lr_lead lead;
        const char *reason = NULL;
        lr_codec_status st = lr_codec_decode_lead(codec, data, size, &lead, &arena, &reason);
        if (st == LR_CODEC_OK) {
            fprintf(stderr, "fuzz_avro: a message without a lead schema id decoded as a lead\n");
            abort();
        }
    }
    }
    return 0;
}
