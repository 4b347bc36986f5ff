/* kpijson.h - the lifecycle KPIs (core/kpi.h) as one JSON object, the shape
 * docs/sla.md describes: overall, by team, source and campaign, plus the open
 * clocks. Builds the text once per call (O(names)); the result is malloc'd and
 * the caller frees it. Reads the table only. */
#ifndef LR_KPIJSON_H
#define LR_KPIJSON_H

#include "kpi.h"
#include "lifecycle.h"

char *lr_kpijson_render(const lr_kpi *k, size_t open_clocks);
/* The KPIs of a lifecycle, with its open clocks. */
char *lr_kpijson_lifecycle(const lr_lifecycle *lc);

#endif
