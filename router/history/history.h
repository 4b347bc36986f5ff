/* history.h - a time range of the input topics as a replay source: `replay
 * --from-kafka` and `diff --from-kafka`.
 *
 * Reads the leads and sales-activity topics of the configuration, every
 * partition, from the first offset whose timestamp is at or after `since`
 * (offsets_for_times) to the end of the partition when the reader started;
 * records stamped after `until` are read, counted and skipped. read_committed; a
 * consumer that joins no group and commits nothing (partitions assigned
 * explicitly). Records decode with the same codec and contract as `run`;
 * those that do not are counted and skipped, never fatal. Partitions are
 * merged by event time (lead.event_time, activity.occurred_at), ties broken
 * by topic (leads first), partition, offset, so the same topics give the same
 * order every time.
 *
 * Not pure: network. Memory: one arena and one decoded record per partition,
 * reused; nothing per record. The source's events stay valid until its next
 * call. Single-threaded. */
#ifndef LR_HISTORY_H
#define LR_HISTORY_H

#include "replay.h"

typedef struct lr_history lr_history;

/* --from-state: what the changelog gave each core (in the order the driver
 * passes them: replay's one, diff's current then proposed). */
typedef struct lr_history_state {
    int partitions;
    uint64_t records;  /* keyed records read before --since */
    size_t n_cores;
    lr_core_restore_stats cores[LR_REPLAY_MAX_CORES];
    size_t leads[LR_REPLAY_MAX_CORES], clocks[LR_REPLAY_MAX_CORES];
    int64_t ms;        /* wall time of the read */
} lr_history_state;

/* NULL with err set when the broker cannot be reached, a topic is missing or
 * the offsets cannot be read. until: LR_TIME_NONE for "up to now".
 * from_state: before the first event, every core gets the decision state as
 * of `since`, read from kafka.topics.state (the source's prepare hook): the
 * records of every partition before the first one stamped at or after since
 * (read_committed, no group, nothing committed), applied as a restart
 * applies them (docs/whatif.md says what that approximates). */
lr_history *lr_history_open(const lr_config *cfg, lr_time_ms since, lr_time_ms until,
                            bool from_state, lr_replay_source *src, lr_err *err);
/* One line: records read, decided, undecodable, outside the range; with
 * from_state one more: the state records read, applied and skipped per core. */
void lr_history_report(const lr_history *h, FILE *f);
void lr_history_close(lr_history *h);

#endif
