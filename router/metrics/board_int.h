/* board_int.h - private to router/metrics/: the lr_board struct shared by
 * board.c (filling, processing thread) and board_render.c (JSON, HTTP
 * thread). */
#ifndef LR_BOARD_INT_H
#define LR_BOARD_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "board.h"
#include "core.h"
#include "kpi.h"

typedef struct b_decision {
    char lead[LR_MAX_ID_LEN + 1], team[48], rep[48], tier[32], queue[48];
    char why[3][96];            /* routing rule, chosen, overflow... in order */
    int64_t at_ms, latency_ms;
    lr_stage stage;
    double score;
} b_decision;

typedef struct b_clock {
    char lead[LR_MAX_ID_LEN + 1], team[48], rep[48];
    int64_t assigned_at, due_at;
} b_clock;

typedef struct b_rep {
    lr_rep_now now;
    char away[16];
    bool seen;                  /* some core holds this rep */
} b_rep;

typedef struct b_name {
    char name[64];
    uint64_t handed, converted, met, missed;
} b_name;

typedef struct b_snap {
    int64_t now_ms;
    /* The rulebook's teams and reps as of this snapshot's fill: a reload or
     * the roster topic may change them, so each snapshot has its own copy,
     * taken again only when they changed (b_shape in board.c). */
    size_t n_teams, n_reps, cap_teams, cap_reps;
    char **teams, **rep_names;  /* [n_teams], [n_reps]; owned */
    bool shaped;                /* the fill took the names of its first core */
    b_rep *reps;                /* [n_reps] */
    uint8_t *member;            /* [team * n_reps + rep] */
    b_clock clocks[LR_BOARD_CLOCKS];
    size_t n_clocks;            /* kept: the soonest-due, a max-heap on due_at while filling */
    uint64_t open_clocks, breached;
    b_decision dec[LR_BOARD_DECISIONS];
    size_t n_dec;               /* newest first */
    uint64_t sla[LR_KPI__COUNT];
    uint64_t ttft_n, lat_n;
    int64_t ttft_p50, ttft_p90, lat_p50, lat_p99; /* ms */
    b_name names[2][LR_BOARD_NAMES];
    size_t n_names[2];
} b_snap;

struct lr_board {
    b_snap snaps[2], *front, *back;
    pthread_mutex_t lock;
    char partitions[256];       /* under lock */
    b_decision ring[LR_BOARD_DECISIONS];
    size_t ring_next, ring_n;   /* processing thread only */
    _Atomic int64_t viewed_ms;  /* monotonic ms of the last render; 0: never */
    int64_t filled_ms;
    bool watching;              /* processing thread: a viewer came lately (lr_board_due) */
    lr_hist ttft, lat;          /* scratch of a fill: every core's, merged */
};

#endif
