/* rosterrec.h - a rep and an account owner as the roster and account-owner
 * topics carry them (schemas/Rep.avsc, schemas/AccountOwner.avsc), in plain
 * strings: what the Avro codec decodes into and encodes from, what replay's
 * JSON lines and the CLI fill, and what the config layer checks and applies
 * to the routing config (config/rules.h, lr_roster_apply_*). Strings are
 * borrowed (usually from the caller's arena). Fixed-size arrays: a record
 * with more items is refused, not truncated. Pure data. */
#ifndef LR_ROSTERREC_H
#define LR_ROSTERREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LR_REP_MAX_TEAMS 32
#define LR_REP_MAX_SKILLS 32
#define LR_REP_MAX_OOO 64

typedef struct lr_rep_rec {
    const char *id;
    struct {
        const char *team;
        int64_t weight;
    } teams[LR_REP_MAX_TEAMS];
    size_t n_teams;
    bool active;
    int32_t max_open, max_per_day;      /* 0: no cap */
    const char *timezone;               /* NULL: the first team's, else UTC */
    bool has_hours;
    const char *days[7];                /* "mon".."sun" */
    size_t n_days;
    const char *start, *end;            /* "HH:MM" */
    const char *skills[LR_REP_MAX_SKILLS];
    size_t n_skills;
    struct {
        const char *from, *until;       /* "YYYY-MM-DD" */
    } ooo[LR_REP_MAX_OOO];
    size_t n_ooo;
} lr_rep_rec;

typedef struct lr_owner_rec {
    const char *domain;
    const char *owner;                  /* rep id */
    const char *team;                   /* NULL when not given */
} lr_owner_rec;

#endif
