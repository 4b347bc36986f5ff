/* gen.h - deterministic synthetic lead traffic, for demos, tests and
 * benchmarks.
 *
 * The same seed gives the same leads, byte for byte, on every machine: the
 * generator has its own PRNG and never reads a clock. Who a lead is (person,
 * company, country) follows from its lead number alone, so a lead id that
 * comes back (a repeat visitor) keeps its identity; what it did (activities,
 * source, campaign) follows from the running sequence. */
#ifndef LR_GEN_H
#define LR_GEN_H

#include "arena.h"
#include "common.h"
#include "event.h"
#include "lead.h"

typedef struct lr_gen lr_gen;

/* start: event time of the first lead; leads_per_second: mean event-time rate
 * (arrivals are a Poisson process, so event times never go backwards). */
lr_gen *lr_gen_new(uint64_t seed, lr_time_ms start, double leads_per_second);
void lr_gen_free(lr_gen *g);

/* Share of leads that repeat a recent lead id (default 0.03), so duplicate
 * and re-engagement handling get exercised. 0 makes every id new. */
void lr_gen_set_repeat_rate(lr_gen *g, double rate);

/* The next lead. out is overwritten; text that is not a constant lives in
 * arena. Lead ids look like "L0000042". Every lead meets the lead contract. */
void lr_gen_next_lead(lr_gen *g, lr_lead *out, lr_arena *arena);

uint64_t lr_gen_count(const lr_gen *g);    /* leads generated so far */
lr_time_ms lr_gen_clock(const lr_gen *g);  /* event time of the last lead */

/* What sales does with an assignment (a LeadDecision with a rep): up to 3
 * activities in time order, a first touch after a realistic delay (or none:
 * about 1 in 10 are never touched, so SLAs breach), then accepted, rejected
 * or recycled, and sometimes converted with an opportunity value. Depends only
 * on the seed and the decision's event_id, not on call order. Returns how
 * many were written to out (at most max); 0 for a decision without a rep. */
size_t lr_gen_answer(const lr_gen *g, const lr_decision *assignment, lr_sales_activity *out,
                     size_t max, lr_arena *arena);

#endif
