/* schemas.h - the wire contract (schemas/<name>.avsc) compiled into the binary.
 *
 * The .avsc files stay the reference for people and other services; these
 * copies are what the codec parses, so a deployed daemon cannot pick up a
 * stale or missing schema file. */
#ifndef LR_SCHEMAS_H
#define LR_SCHEMAS_H

#include <stddef.h>

#include "wire.h"

/* lr_schema_kind, the five records, is part of the field tables (wire.h). */

/* JSON text of the schema (NUL-terminated); *len, when not NULL, gets its
 * length without the NUL. NULL for an unknown kind. */
const char *lr_schemas_json(lr_schema_kind k, size_t *len);
/* File name under schemas/: "Lead.avsc". */
const char *lr_schemas_file(lr_schema_kind k);
/* Record name: "Lead", "LeadDecision"... */
const char *lr_schemas_name(lr_schema_kind k);

#endif
