/* jsonroster.h - replay's roster and account-owner lines (jsonio.h): the
 * fields of schemas/Rep.avsc and schemas/AccountOwner.avsc plus "type" and
 * "time" (ms since the epoch, UTC), as the live path reads them from their
 * topics. {"type": "roster", "time": T, "id": "x", "removed": true} is a
 * tombstone; an account_owner line with "owner": null clears the owner.
 * Strings are copied into the arena. Private to the json layer. */
#ifndef LR_JSONROSTER_H
#define LR_JSONROSTER_H

#include <jansson.h>

#include "jsonio.h"

/* 0, or -1 with why set (the caller adds NAME:LINE). */
int lr_jsonroster_parse(const json_t *root, bool owner, lr_json_input *out, lr_arena *arena,
                        char *why, size_t why_len);

#endif
