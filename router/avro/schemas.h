/* schemas.h - the wire contract (schemas/<name>.avsc) compiled into the binary.
 *
 * The .avsc files stay the reference for people and other services; these
 * copies are what the codec parses, so a deployed daemon cannot pick up a
 * stale or missing schema file. */
#ifndef LR_SCHEMAS_H
#define LR_SCHEMAS_H

#include <stddef.h>

typedef enum lr_schema_kind {
    LR_SCHEMA_LEAD = 0,         /* schemas/Lead.avsc: input */
    LR_SCHEMA_SALES_ACTIVITY,   /* schemas/SalesActivity.avsc: input */
    LR_SCHEMA_DECISION,         /* schemas/LeadDecision.avsc: output */
    LR_SCHEMA_STATUS,           /* schemas/LeadStatus.avsc: output */
    LR_SCHEMA_ALERT,            /* schemas/SlaAlert.avsc: output */
    LR_SCHEMA__COUNT
} lr_schema_kind;

/* JSON text of the schema (NUL-terminated); *len, when not NULL, gets its
 * length without the NUL. NULL for an unknown kind. */
const char *lr_schemas_json(lr_schema_kind k, size_t *len);
/* File name under schemas/: "Lead.avsc". */
const char *lr_schemas_file(lr_schema_kind k);
/* Record name: "Lead", "LeadDecision"... */
const char *lr_schemas_name(lr_schema_kind k);

#endif
