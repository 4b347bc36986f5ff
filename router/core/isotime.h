/* isotime.h - the one ISO-8601 parser: instants in JSON lines, on the command
 * line and in the configuration all go through here, so they accept the same
 * texts.
 *
 * A date-time must say its zone ("Z" or a "+HH:MM"/"-HH:MM" offset): a time
 * without one is refused rather than guessed as local or UTC. Pure (no clock,
 * no TZ variable, no locale), allocates nothing, O(length of the text). The
 * text need not be NUL-terminated: exactly n bytes are read. */
#ifndef LR_ISOTIME_H
#define LR_ISOTIME_H

#include "common.h"

/* "YYYY-MM-DD" -> days since 1970-01-01 (proleptic Gregorian). False when the
 * text is not exactly a calendar date ("2025-02-29" is not). */
bool lr_isotime_parse_date(const char *s, size_t n, int64_t *day);

/* "2026-11-20T10:15:00Z": a date, 'T' (or 't'), HH:MM:SS, optional fractional
 * seconds (digits past the millisecond are dropped) and "Z"/"z" or a
 * "+HH:MM"/"-HH:MM" offset -> ms since the epoch, UTC. False when it is not
 * exactly one. */
bool lr_isotime_parse(const char *s, size_t n, lr_time_ms *out);

#endif
