/* history_int.h - what history.c and history_state.c share: the reader
 * (a consumer that joins no group and commits nothing) and the state read
 * for --from-state. Not pure: network. Internal to the history layer. */
#ifndef LR_HISTORY_INT_H
#define LR_HISTORY_INT_H

#include <librdkafka/rdkafka.h>

#include "history.h"

#define META_TIMEOUT_MS 10000

/* kafka.properties, read_committed, no auto commit, partition EOF events. */
rd_kafka_t *lr_history_reader_new(const lr_config *cfg, lr_err *err);
/* The topic's partition count, or -1 with err set (missing topic, no broker). */
int lr_history_partition_count(rd_kafka_t *rk, const char *topic, lr_err *err);
int64_t lr_history_mono_ms(void);

/* Pure: the first offset of a state partition NOT to read, from what
 * offsets_for_times answered for --since (`at`: -1 when no record is that
 * late) and the partition's watermarks; *empty when nothing precedes it. */
int64_t lr_history_state_end(int64_t at, int64_t lo, int64_t hi, bool *empty);

/* Reads kafka.topics.state from the beginning of every partition up to the
 * first record stamped at or after `since` and applies each keyed record to
 * every core (lr_core_restore), then lr_core_restore_done. Fills st. 0, or
 * -1 with err set (topic missing, broker gone, no progress). */
int lr_history_state_read(const lr_config *cfg, lr_time_ms since, lr_core *const *cores,
                          size_t n, lr_history_state *st, lr_err *err);

#endif
