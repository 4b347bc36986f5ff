/* lead.h - the lead and sales-activity events as the decision core sees them.
 *
 * These mirror schemas/Lead.avsc and schemas/SalesActivity.avsc. The codec fills
 * them without allocating: strings point into a per-batch arena. Rules name
 * fields once at configuration time (lr_field), never by string per message. */
#ifndef LR_LEAD_H
#define LR_LEAD_H

#include "common.h"

#define LR_MAX_ACTIVITIES 64   /* more are counted in activities_dropped */
#define LR_MAX_ATTRS 16        /* custom attributes; more are counted in attrs_dropped */
#define LR_MAX_ID_LEN 64       /* lead ids longer than this break the contract */

/* Marketing activities that signal engagement. Order matches the Avro enum
 * ActivityType in schemas/Lead.avsc. */
typedef enum lr_activity_type {
    LR_ACT_OTHER = 0,
    LR_ACT_DEMO_REQUEST,
    LR_ACT_PRICING_PAGE,
    LR_ACT_WEBINAR_ATTENDED,
    LR_ACT_CONTENT_DOWNLOAD,
    LR_ACT_EMAIL_CLICK,
    LR_ACT_EMAIL_OPEN,
    LR_ACT_FORM_SUBMIT,
    LR_ACT_FREE_TRIAL,
    LR_ACT_PAGE_VIEW,
    LR_ACT_CONTACT_SALES,
    LR_ACT_UNSUBSCRIBE,
    LR_ACT_EMAIL_BOUNCED,
    LR_ACT_SPAM_COMPLAINT,
    LR_ACT__COUNT
} lr_activity_type;

typedef struct lr_activity {
    lr_activity_type type;
    lr_time_ms at;
    lr_str detail; /* URL, asset or campaign step; may be absent */
} lr_activity;

typedef struct lr_attr {
    lr_str key, value;
} lr_attr;

typedef struct lr_lead {
    lr_str lead_id;            /* required, 1..LR_MAX_ID_LEN bytes */
    lr_time_ms event_time;     /* required: when marketing produced it */
    lr_str source, channel, campaign;
    lr_str email, first_name, last_name, job_title, phone;
    lr_str company_name, company_domain, industry;
    int64_t company_size;      /* employees; -1 when absent */
    int64_t annual_revenue;    /* USD; -1 when absent */
    lr_str country;            /* ISO 3166-1 alpha-2 */
    lr_str region, language, product_interest;
    bool consent_known;        /* false when the consent field was null */
    bool consent;              /* marketing consent given */
    uint32_t n_activities;
    uint32_t activities_dropped;
    lr_activity activities[LR_MAX_ACTIVITIES];
    uint32_t n_attrs;
    uint32_t attrs_dropped;
    lr_attr attrs[LR_MAX_ATTRS];
} lr_lead;

/* Fields a rule may test, resolved from their names at configuration time. */
typedef enum lr_field {
    LR_FIELD_NONE = 0,
    LR_FIELD_LEAD_ID, LR_FIELD_SOURCE, LR_FIELD_CHANNEL, LR_FIELD_CAMPAIGN,
    LR_FIELD_EMAIL, LR_FIELD_EMAIL_DOMAIN, /* derived: the part after '@' */
    LR_FIELD_FIRST_NAME, LR_FIELD_LAST_NAME, LR_FIELD_JOB_TITLE, LR_FIELD_PHONE,
    LR_FIELD_COMPANY_NAME, LR_FIELD_COMPANY_DOMAIN, LR_FIELD_INDUSTRY,
    LR_FIELD_COMPANY_SIZE, LR_FIELD_ANNUAL_REVENUE, /* numeric */
    LR_FIELD_COUNTRY, LR_FIELD_REGION, LR_FIELD_LANGUAGE, LR_FIELD_PRODUCT_INTEREST,
    LR_FIELD_CONSENT, /* "true"/"false", absent when unknown */
    LR_FIELD_ATTR,    /* attrs.<key>: a custom attribute, key kept beside */
    LR_FIELD__COUNT
} lr_field;

/* A resolved field reference: for LR_FIELD_ATTR, attr_key names the attribute. */
typedef struct lr_field_ref {
    lr_field field;
    const char *attr_key;
} lr_field_ref;

/* "industry" -> LR_FIELD_INDUSTRY, "attrs.plan" -> {LR_FIELD_ATTR, "plan"}.
 * Returns false for an unknown name. attr_key points into name. */
bool lr_field_resolve(const char *name, lr_field_ref *out);
const char *lr_field_name(lr_field f);
bool lr_field_is_numeric(lr_field f);

/* String value of a field: LR_STR_NULL when absent. Numeric fields answer
 * absent here; use lr_lead_number. */
lr_str lr_lead_string(const lr_lead *lead, const lr_field_ref *ref);
/* Numeric value; false when absent or not numeric. */
bool lr_lead_number(const lr_lead *lead, const lr_field_ref *ref, double *out);

const char *lr_activity_type_name(lr_activity_type t);
/* "demo_request" -> LR_ACT_DEMO_REQUEST; false when unknown. */
bool lr_activity_type_parse(const char *name, lr_activity_type *out);

/* Sales activity: what the reps did with a lead. Mirrors schemas/SalesActivity.avsc. */
typedef enum lr_sales_kind {
    LR_SALES_CONTACTED = 0, /* first touch */
    LR_SALES_ACCEPTED,
    LR_SALES_REJECTED,
    LR_SALES_CONVERTED,
    LR_SALES_RECYCLED,      /* sent back to marketing nurture */
    LR_SALES__COUNT
} lr_sales_kind;

typedef struct lr_sales_activity {
    lr_str activity_id;     /* required: idempotency key of the activity */
    lr_str lead_id;         /* required */
    lr_sales_kind kind;
    lr_str rep_id;          /* who did it; required */
    lr_time_ms occurred_at; /* required */
    lr_str assignment_id;   /* the assignment event_id it answers, if the CRM knows */
    lr_str reason;          /* rejection reason: bad_fit, no_budget, duplicate, wrong_territory... */
    bool has_value;
    double opportunity_value; /* converted: opportunity amount */
} lr_sales_activity;

const char *lr_sales_kind_name(lr_sales_kind k);
bool lr_sales_kind_parse(const char *name, lr_sales_kind *out);

/* Every time that comes from outside (lead event_time, activity at, sales
 * occurred_at, replay's --until) must lie in [LR_TIME_MIN_VALID,
 * LR_TIME_END_VALID): on or after 2000-01-01T00:00:00Z, before
 * 10000-01-01T00:00:00Z. The lower bound catches epoch seconds given where
 * milliseconds are expected (they read as January 1970); the upper one keeps
 * deadline arithmetic far from int64 overflow and every time printable as a
 * four-digit-year ISO-8601 instant. */
#define LR_TIME_MIN_VALID 946684800000LL    /* 2000-01-01T00:00:00Z */
#define LR_TIME_END_VALID 253402300800000LL /* 10000-01-01T00:00:00Z */

/* True when t lies within the bounds above. Pure, O(1). */
bool lr_lead_time_in_range(lr_time_ms t);

/* Contract checks shared by every decoder (Avro for Kafka, JSON lines for
 * replay), so that both paths accept exactly the same events: NULL when the
 * event is acceptable, else a short static reason (the dead-letter header on
 * Kafka, "FILE:LINE: contract violation: ..." in replay). Pure; O(activities). */
const char *lr_lead_contract_violation(const lr_lead *lead);
const char *lr_sales_contract_violation(const lr_sales_activity *a);

#endif
