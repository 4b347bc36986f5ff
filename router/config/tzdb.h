/* tzdb.h - time zones by name, for the configuration: each zone is read from
 * the zoneinfo directory ($LR_ZONEINFO or /usr/share/zoneinfo) the first time
 * it is named and kept for the database's life, so the core's `const lr_tz *`
 * stay valid as long as the configuration. Reads files and the environment:
 * configuration time only, never per lead. */
#ifndef LR_TZDB_H
#define LR_TZDB_H

#include "tz.h"

typedef struct lr_tz_db lr_tz_db;

/* dir NULL: $LR_ZONEINFO or /usr/share/zoneinfo. */
lr_tz_db *lr_tz_db_new(const char *dir);
void lr_tz_db_free(lr_tz_db *db);
/* Loads (once) and returns a zone: "UTC", "Europe/Berlin"... NULL with
 * err->msg "unknown time zone 'X'" when there is no such zone. */
const lr_tz *lr_tz_get(lr_tz_db *db, const char *name, lr_err *err);

#endif
