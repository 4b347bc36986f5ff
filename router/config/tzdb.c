/* tzdb.c - time zones by name, read from the zoneinfo directory once; see
 * tzdb.h. The parsing is the core's (core/tz.c); this file opens the files. */
#include "tzdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lr_tz_db {
    char *dir;
    lr_tz **zones;
    size_t n, cap;
};

static bool safe_zone_name(const char *name) {
    if (!name[0] || name[0] == '/' || strstr(name, "..")) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+'))
            return false;
    return true;
}

static lr_tz *tz_load(const char *dir, const char *name, lr_err *err) {
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) return lr_tz_utc(name);
    if (!safe_zone_name(name)) {
        lr_err_set(err, LR_ERR_FATAL, "unknown time zone '%s'", name);
        return NULL;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        lr_err_set(err, LR_ERR_FATAL, "unknown time zone '%s' (no %s)", name, path);
        return NULL;
    }
    uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    lr_tz *tz = lr_tz_parse(name, buf, len);
    if (!tz) lr_err_set(err, LR_ERR_FATAL, "time zone '%s': %s is not a valid TZif file", name, path);
    return tz;
}

lr_tz_db *lr_tz_db_new(const char *dir) {
    lr_tz_db *db = calloc(1, sizeof(*db));
    if (!db) abort();
    const char *env = getenv("LR_ZONEINFO"); /* configuration time only */
    db->dir = strdup(dir ? dir : env ? env : "/usr/share/zoneinfo");
    return db;
}

void lr_tz_db_free(lr_tz_db *db) {
    if (!db) return;
    for (size_t i = 0; i < db->n; i++) lr_tz_free(db->zones[i]);
    free(db->zones);
    free(db->dir);
    free(db);
}

const lr_tz *lr_tz_get(lr_tz_db *db, const char *name, lr_err *err) {
    for (size_t i = 0; i < db->n; i++)
        if (strcmp(lr_tz_name(db->zones[i]), name) == 0) return db->zones[i];
    lr_tz *tz = tz_load(db->dir, name, err);
    if (!tz) return NULL;
    if (db->n == db->cap) {
        db->cap = db->cap ? db->cap * 2 : 8;
        db->zones = realloc(db->zones, db->cap * sizeof(*db->zones));
        if (!db->zones) abort();
    }
    db->zones[db->n++] = tz;
    return tz;
}
