/* ntab.h - name -> index tables for the routing roster (rep ids, team names,
 * skills, account domains).
 *
 * Open addressing, sized for a known number of keys (load factor at most
 * 1/2): built at configuration time, read at O(1) expected cost by sales
 * activities and config-time references. A live roster change that adds
 * names grows a table with lr_ntab_grow (between two leads, never on them). Keys are not
 * copied: they must live as long as the table. Arrays come from the arena
 * given to lr_ntab_init. Pure. */
#ifndef LR_NTAB_H
#define LR_NTAB_H

#include "arena.h"
#include "common.h"

typedef struct lr_ntab {
    uint32_t mask;
    int32_t *val;      /* -1: empty slot */
    const char **key;
    uint32_t *klen;
    bool nocase;       /* domains compare without ASCII case */
} lr_ntab;

/* Room for n keys. */
void lr_ntab_init(lr_ntab *t, lr_arena *mem, size_t n, bool nocase);
/* The value of key s[0..n), or -1. A table never initialised finds nothing. */
int32_t lr_ntab_get(const lr_ntab *t, const char *s, size_t n);
/* Inserts s -> v; returns the existing value instead when s is there, else -1. */
int32_t lr_ntab_put(lr_ntab *t, const char *s, int32_t v);
/* Makes room for n keys in all (doubling; a no-op while there is room). */
void lr_ntab_grow(lr_ntab *t, lr_arena *mem, size_t n);

#endif
