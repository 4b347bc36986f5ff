/* jsonfast.h - the fast path of lr_jsonio_parse_line: one pass over a line
 * with no allocation beyond the strings copied into the caller's arena. It
 * takes the common shape only (UTF-8 strings without escapes, integers,
 * no duplicate keys, a valid event) and declines everything else, which the
 * jansson path then reads, with its exact error messages. For a line it
 * takes, the event is the one the jansson path would give. Pure; internal
 * to the json layer. */
#ifndef LR_JSONFAST_H
#define LR_JSONFAST_H

#include <string.h>

#include "jsonio.h"
#include "wire.h"

/* Keeps a parsed array item (the activities), or counts it as dropped past
 * the field's capacity: both parsers do it the same way. */
static inline void lr_json_keep_item(const lr_wire_field *f, void *base, const void *item) {
    uint32_t *n = LR_SLOT(base, f->flag, uint32_t);
    if (*n < f->max)
        memcpy(LR_SLOT(base, f->off, uint8_t) + (size_t)(*n)++ * f->items->size, item,
               f->items->size);
    else
        (*LR_SLOT(base, f->flag2, uint32_t))++;
}

/* 0 with *out set, or -1: declined (out and arena hold garbage). */
int lr_jsonfast_parse(const char *line, size_t len, lr_json_input *out, lr_arena *arena);

#endif
