/* wire_tables.h - the field tables of wire.h, defined once here.
 *
 * Included by wire.c, which hands them out (lr_wire_record_of), and by the
 * Avro encoder, which needs them as compile-time constants: with the table
 * visible, its per-event loops unroll and each field's type is resolved while
 * compiling instead of dispatched per field and message. Other code uses
 * lr_wire_record_of. Each table lists a record's fields in schema order; the
 * codec refuses to start when an embedded schema disagrees with it. */
#ifndef LR_WIRE_TABLES_H
#define LR_WIRE_TABLES_H

#include <stddef.h>

#include "event.h"
#include "lead.h"
#include "wire.h"

static inline const char *lr_wire_sym_activity(int v) { return lr_activity_type_name((lr_activity_type)v); }
static inline const char *lr_wire_sym_sales(int v) { return lr_sales_kind_name((lr_sales_kind)v); }
static inline const char *lr_wire_sym_stage(int v) { return lr_stage_name((lr_stage)v); }
static inline const char *lr_wire_sym_reason(int v) { return lr_reason_kind_name((lr_reason_kind)v); }
static inline const char *lr_wire_sym_cause(int v) { return lr_cause_name((lr_decision_cause)v); }
static inline const char *lr_wire_sym_status(int v) { return lr_status_kind_name((lr_status_kind)v); }
static inline const char *lr_wire_sym_alert(int v) { return lr_alert_kind_name((lr_alert_kind)v); }

#define OF(st, m) ((uint32_t)offsetof(st, m))
#define D_STR(n, st, m) {.name = n, .type = LR_F_STR, .off = OF(st, m)}
#define D_OSTR(n, st, m) {.name = n, .type = LR_F_OPT_STR, .has_default = true, .off = OF(st, m)}
#define D_CSTR(n, st, m) {.name = n, .type = LR_F_CSTR, .off = OF(st, m)}
#define D_OCSTR(n, st, m) {.name = n, .type = LR_F_OPT_CSTR, .has_default = true, .off = OF(st, m)}
#define D_LONG(n, st, m) {.name = n, .type = LR_F_LONG, .off = OF(st, m)}
#define D_TIME(n, st, m) {.name = n, .type = LR_F_LONG, .is_time = true, .off = OF(st, m)}
#define D_OLONG(n, st, m) {.name = n, .type = LR_F_OPT_LONG, .has_default = true, .off = OF(st, m)}
#define D_OTIME(n, st, m) {.name = n, .type = LR_F_OPT_TIME, .has_default = true, .off = OF(st, m)}
#define D_INT(n, st, m) {.name = n, .type = LR_F_INT, .off = OF(st, m)}
#define D_DOUBLE(n, st, m) {.name = n, .type = LR_F_DOUBLE, .off = OF(st, m)}
#define D_ODOUBLE(n, st, m, present) \
    {.name = n, .type = LR_F_OPT_DOUBLE, .has_default = true, .off = OF(st, m), .flag = OF(st, present)}
#define D_ENUM(n, st, m, count, fn, unknown) \
    {.name = n, .type = LR_F_ENUM, .off = OF(st, m), .nsym = count, .sym = fn, .unknown_as = unknown}

static const lr_wire_field lr_wire_activity_fields[] = {
    D_ENUM("type", lr_activity, type, LR_ACT__COUNT, lr_wire_sym_activity, LR_ACT_OTHER),
    D_TIME("at", lr_activity, at),
    D_OSTR("detail", lr_activity, detail),
};
static const lr_wire_record lr_wire_activity = {"Activity", sizeof(lr_activity), lr_wire_activity_fields,
                                   sizeof(lr_wire_activity_fields) / sizeof(lr_wire_activity_fields[0])};

static const lr_wire_field lr_wire_lead_fields[] = {
    D_STR("lead_id", lr_lead, lead_id),
    D_TIME("event_time", lr_lead, event_time),
    D_OSTR("source", lr_lead, source),
    D_OSTR("channel", lr_lead, channel),
    D_OSTR("campaign", lr_lead, campaign),
    D_OSTR("email", lr_lead, email),
    D_OSTR("first_name", lr_lead, first_name),
    D_OSTR("last_name", lr_lead, last_name),
    D_OSTR("job_title", lr_lead, job_title),
    D_OSTR("phone", lr_lead, phone),
    D_OSTR("company_name", lr_lead, company_name),
    D_OSTR("company_domain", lr_lead, company_domain),
    D_OSTR("industry", lr_lead, industry),
    D_OLONG("company_size", lr_lead, company_size),
    D_OLONG("annual_revenue", lr_lead, annual_revenue),
    D_OSTR("country", lr_lead, country),
    D_OSTR("region", lr_lead, region),
    D_OSTR("language", lr_lead, language),
    D_OSTR("product_interest", lr_lead, product_interest),
    {.name = "consent", .type = LR_F_OPT_BOOL, .has_default = true, .off = OF(lr_lead, consent),
     .flag = OF(lr_lead, consent_known), .flag2 = LR_NO_OFF},
    {.name = "activities", .type = LR_F_ARRAY, .has_default = true, .off = OF(lr_lead, activities),
     .flag = OF(lr_lead, n_activities), .flag2 = OF(lr_lead, activities_dropped),
     .max = LR_MAX_ACTIVITIES, .items = &lr_wire_activity},
    {.name = "attributes", .type = LR_F_MAP, .has_default = true, .off = OF(lr_lead, attrs),
     .flag = OF(lr_lead, n_attrs), .flag2 = OF(lr_lead, attrs_dropped), .max = LR_MAX_ATTRS},
};
static const lr_wire_record lr_wire_lead = {"Lead", sizeof(lr_lead), lr_wire_lead_fields,
                               sizeof(lr_wire_lead_fields) / sizeof(lr_wire_lead_fields[0])};

static const lr_wire_field lr_wire_sales_fields[] = {
    D_STR("activity_id", lr_sales_activity, activity_id),
    D_STR("lead_id", lr_sales_activity, lead_id),
    D_ENUM("kind", lr_sales_activity, kind, LR_SALES__COUNT, lr_wire_sym_sales, -1),
    D_STR("rep_id", lr_sales_activity, rep_id),
    D_TIME("occurred_at", lr_sales_activity, occurred_at),
    D_OSTR("assignment_id", lr_sales_activity, assignment_id),
    D_OSTR("reason", lr_sales_activity, reason),
    D_ODOUBLE("opportunity_value", lr_sales_activity, opportunity_value, has_value),
};
static const lr_wire_record lr_wire_sales = {"SalesActivity", sizeof(lr_sales_activity), lr_wire_sales_fields,
                                sizeof(lr_wire_sales_fields) / sizeof(lr_wire_sales_fields[0])};

static const lr_wire_field lr_wire_reason_fields[] = {
    D_ENUM("kind", lr_reason, kind, LR_REASON__COUNT, lr_wire_sym_reason, -1),
    D_OCSTR("rule", lr_reason, rule),
    D_OCSTR("rep", lr_reason, rep),
    {.name = "points", .type = LR_F_DOUBLE, .has_default = true, .off = OF(lr_reason, points)},
    D_OCSTR("detail", lr_reason, detail),
};
static const lr_wire_record lr_wire_reason = {"Reason", sizeof(lr_reason), lr_wire_reason_fields,
                                 sizeof(lr_wire_reason_fields) / sizeof(lr_wire_reason_fields[0])};

static const lr_wire_field lr_wire_decision_fields[] = {
    D_CSTR("event_id", lr_decision, event_id),
    D_LONG("seq", lr_decision, seq),
    D_STR("lead_id", lr_decision, lead_id),
    D_ENUM("stage", lr_decision, stage, LR_STAGE__COUNT, lr_wire_sym_stage, -1),
    D_OCSTR("tier", lr_decision, tier),
    D_OCSTR("team", lr_decision, team),
    D_OCSTR("rep", lr_decision, rep),
    D_OCSTR("queue", lr_decision, queue),
    D_DOUBLE("score", lr_decision, score),
    D_DOUBLE("fit_score", lr_decision, fit),
    D_DOUBLE("engagement_score", lr_decision, engagement),
    D_ENUM("cause", lr_decision, cause, LR_CAUSE_SLA_REASSIGN + 1, lr_wire_sym_cause, -1),
    D_INT("attempt", lr_decision, attempt),
    D_TIME("event_time", lr_decision, event_time),
    D_TIME("decided_at", lr_decision, decided_at),
    D_OTIME("sla_due_at", lr_decision, sla_due_at),
    D_OSTR("source", lr_decision, source),
    D_OSTR("campaign", lr_decision, campaign),
    {.name = "reasons", .type = LR_F_ARRAY, .off = OF(lr_decision, reasons),
     .flag = OF(lr_decision, n_reasons), .flag2 = OF(lr_decision, reasons_dropped),
     .max = LR_MAX_REASONS, .items = &lr_wire_reason},
    {.name = "reasons_dropped", .type = LR_F_COUNT, .has_default = true,
     .off = OF(lr_decision, reasons_dropped)},
    {.name = "router_version", .type = LR_F_VERSION, .off = LR_NO_OFF},
};
static const lr_wire_record lr_wire_decision = {"LeadDecision", sizeof(lr_decision), lr_wire_decision_fields,
                                   sizeof(lr_wire_decision_fields) / sizeof(lr_wire_decision_fields[0])};

static const lr_wire_field lr_wire_status_fields[] = {
    D_CSTR("event_id", lr_status, event_id),
    D_LONG("seq", lr_status, seq),
    D_STR("lead_id", lr_status, lead_id),
    D_ENUM("status", lr_status, status, LR_STATUS__COUNT, lr_wire_sym_status, -1),
    D_TIME("at", lr_status, at),
    D_TIME("occurred_at", lr_status, occurred_at),
    D_OCSTR("team", lr_status, team),
    D_OCSTR("rep", lr_status, rep),
    D_OSTR("source", lr_status, source),
    D_OSTR("campaign", lr_status, campaign),
    D_OCSTR("tier", lr_status, tier),
    D_OCSTR("reason", lr_status, reason),
    D_ODOUBLE("value", lr_status, value, has_value),
    D_OLONG("sla_elapsed_ms", lr_status, sla_elapsed_ms),
    /* sla_met means something only when sla_elapsed_ms does */
    {.name = "sla_met", .type = LR_F_OPT_BOOL, .has_default = true, .off = OF(lr_status, sla_met),
     .flag = LR_NO_OFF, .flag2 = OF(lr_status, sla_elapsed_ms)},
};
static const lr_wire_record lr_wire_status = {"LeadStatus", sizeof(lr_status), lr_wire_status_fields,
                                 sizeof(lr_wire_status_fields) / sizeof(lr_wire_status_fields[0])};

static const lr_wire_field lr_wire_alert_fields[] = {
    D_CSTR("event_id", lr_alert, event_id),
    D_LONG("seq", lr_alert, seq),
    D_STR("lead_id", lr_alert, lead_id),
    D_ENUM("kind", lr_alert, kind, LR_ALERT_ESCALATION + 1, lr_wire_sym_alert, -1),
    D_CSTR("policy", lr_alert, policy),
    D_OCSTR("tier", lr_alert, tier),
    D_OCSTR("team", lr_alert, team),
    D_OCSTR("owner", lr_alert, owner),
    D_OCSTR("addressed_to", lr_alert, addressed_to),
    D_CSTR("action", lr_alert, action),
    D_INT("step", lr_alert, step),
    D_TIME("assigned_at", lr_alert, assigned_at),
    D_TIME("due_at", lr_alert, due_at),
    D_TIME("fired_at", lr_alert, fired_at),
    D_LONG("late_by_ms", lr_alert, late_by_ms),
};
static const lr_wire_record lr_wire_alert = {"SlaAlert", sizeof(lr_alert), lr_wire_alert_fields,
                                sizeof(lr_wire_alert_fields) / sizeof(lr_wire_alert_fields[0])};

/* Indexed by lr_schema_kind. */
static const lr_wire_record *const lr_wire_records[LR_SCHEMA__COUNT] = {
    [LR_SCHEMA_LEAD] = &lr_wire_lead,
    [LR_SCHEMA_SALES_ACTIVITY] = &lr_wire_sales,
    [LR_SCHEMA_DECISION] = &lr_wire_decision,
    [LR_SCHEMA_STATUS] = &lr_wire_status,
    [LR_SCHEMA_ALERT] = &lr_wire_alert,
};

/* Map values: the attribute value slot of an lr_attr. */
static const lr_wire_field lr_wire_attr_value_field = D_STR("value", lr_attr, value);

#undef OF
#undef D_STR
#undef D_OSTR
#undef D_CSTR
#undef D_OCSTR
#undef D_LONG
#undef D_TIME
#undef D_OLONG
#undef D_OTIME
#undef D_INT
#undef D_DOUBLE
#undef D_ODOUBLE
#undef D_ENUM

#endif
