/* board.h - the dashboard's data (GET /api/state, docs/operations.md): reps
 * per team with their loads and availability, the soonest-due SLA clocks,
 * the latest decisions with their reasons, KPIs by source and campaign and
 * the partitions this instance decides.
 *
 * Cost: while somebody looked at the dashboard in the last
 * LR_BOARD_IDLE_MS (a flag lr_board_due refreshes on each loop turn), the
 * processing thread notes each decision into a ring of fixed slots it alone
 * owns (a few bounded copies, no allocation, no lock; nothing at all when
 * nobody looks). Once a second at most, in that case only, it fills the back snapshot (O(reps x teams + open
 * records)) and swaps it with the front one under a mutex held for the swap.
 * The HTTP thread renders the front snapshot under the same mutex.
 *
 * Memory: lr_board owns both snapshots and the ring. Each snapshot holds
 * copies of the teams' and reps' names, taken again (and its arrays grown)
 * by the first fill after a reload or a roster change, never per lead;
 * every other text is copied into fixed fields (a reload frees the rulebook).
 * No personal data: lead ids, rulebook names and reason details only.
 * Not pure (threads, clocks); no Kafka or HTTP here. */
#ifndef LR_BOARD_H
#define LR_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define LR_BOARD_DECISIONS 50   /* latest decisions kept */
#define LR_BOARD_CLOCKS 200     /* soonest-due clocks shown */
#define LR_BOARD_NAMES 20       /* sources and campaigns shown, most leads first */
#define LR_BOARD_IDLE_MS 10000  /* no viewer for this long: stop filling */
#define LR_BOARD_EVERY_MS 1000  /* fill at most this often */

typedef struct lr_board lr_board;
struct lr_core;

/* Teams and reps come from the cores at each fill (lr_board_add_core), so
 * the board follows a reload and reps the roster topic adds. */
lr_board *lr_board_new(void);
void lr_board_free(lr_board *b);

/* ---- processing thread -------------------------------------------------------- */

/* One decision into the ring (O(reasons) bounded copies), while watched. */
void lr_board_note(lr_board *b, const lr_decision *d);
/* Whether a fill is due: a viewer came within LR_BOARD_IDLE_MS and the last
 * fill is LR_BOARD_EVERY_MS old. */
bool lr_board_due(lr_board *b, int64_t mono_ms);
/* Starts a fill of the back snapshot at wall time now_ms. */
void lr_board_begin(lr_board *b, int64_t now_ms);
/* Adds a core: its reps' loads and availability, its clocks, its KPIs. */
void lr_board_add_core(lr_board *b, struct lr_core *core, int64_t now_ms);
/* Copies the ring and swaps the snapshots. */
void lr_board_publish(lr_board *b);
/* The partitions this instance decides, as text ("leads 0,1,2"); any thread. */
void lr_board_set_partitions(lr_board *b, const char *text);

/* ---- HTTP thread -------------------------------------------------------------- */

/* The front snapshot as JSON (malloc'd; the caller frees it). Marks a viewer. */
char *lr_board_render(lr_board *b, int64_t mono_ms);

#endif
