/* schemas.c - the Avro schemas of schemas/<name>.avsc, embedded so that the
 * daemon never needs the schemas/ folder at run time.
 *
 * The texts are not copied by hand: CMakeLists.txt writes each .avsc file's
 * bytes into a generated lr_schema_<Name>[] array at configure time, so the
 * binary carries exactly the files of the tree it was built from. A schema
 * file that is missing or renamed is a link error here. */
#include "schemas.h"

#include <stddef.h>
#include <string.h>

/* Generated from schemas/<Name>.avsc (see CMakeLists.txt). */
extern const char lr_schema_Lead[], lr_schema_SalesActivity[], lr_schema_LeadDecision[],
    lr_schema_LeadStatus[], lr_schema_SlaAlert[];

typedef struct schema_entry {
    const char *json;
    const char *file;
    const char *name;
} schema_entry;

#define ENTRY(name) {lr_schema_##name, #name ".avsc", #name}

/* Indexed by lr_schema_kind. */
static const schema_entry schemas[LR_SCHEMA__COUNT] = {
    [LR_SCHEMA_LEAD] = ENTRY(Lead),
    [LR_SCHEMA_SALES_ACTIVITY] = ENTRY(SalesActivity),
    [LR_SCHEMA_DECISION] = ENTRY(LeadDecision),
    [LR_SCHEMA_STATUS] = ENTRY(LeadStatus),
    [LR_SCHEMA_ALERT] = ENTRY(SlaAlert),
};

const char *lr_schemas_json(lr_schema_kind k, size_t *len) {
    if ((unsigned)k >= LR_SCHEMA__COUNT) return NULL;
    /* strlen, as the arrays are extern (no sizeof); it runs once per schema
     * when a codec is created. */
    if (len) *len = strlen(schemas[k].json);
    return schemas[k].json;
}

const char *lr_schemas_file(lr_schema_kind k) {
    return (unsigned)k < LR_SCHEMA__COUNT ? schemas[k].file : NULL;
}

const char *lr_schemas_name(lr_schema_kind k) {
    return (unsigned)k < LR_SCHEMA__COUNT ? schemas[k].name : NULL;
}
