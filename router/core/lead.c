/* lead.c - field names, accessors and the contract every decoded event must
 * meet, shared by the Avro and JSON decoders. */
#include "lead.h"

#include <string.h>
#include <strings.h>

static const char *const field_names[LR_FIELD__COUNT] = {
    [LR_FIELD_NONE] = "",
    [LR_FIELD_LEAD_ID] = "lead_id",
    [LR_FIELD_SOURCE] = "source",
    [LR_FIELD_CHANNEL] = "channel",
    [LR_FIELD_CAMPAIGN] = "campaign",
    [LR_FIELD_EMAIL] = "email",
    [LR_FIELD_EMAIL_DOMAIN] = "email_domain",
    [LR_FIELD_FIRST_NAME] = "first_name",
    [LR_FIELD_LAST_NAME] = "last_name",
    [LR_FIELD_JOB_TITLE] = "job_title",
    [LR_FIELD_PHONE] = "phone",
    [LR_FIELD_COMPANY_NAME] = "company_name",
    [LR_FIELD_COMPANY_DOMAIN] = "company_domain",
    [LR_FIELD_INDUSTRY] = "industry",
    [LR_FIELD_COMPANY_SIZE] = "company_size",
    [LR_FIELD_ANNUAL_REVENUE] = "annual_revenue",
    [LR_FIELD_COUNTRY] = "country",
    [LR_FIELD_REGION] = "region",
    [LR_FIELD_LANGUAGE] = "language",
    [LR_FIELD_PRODUCT_INTEREST] = "product_interest",
    [LR_FIELD_CONSENT] = "consent",
    [LR_FIELD_ATTR] = "attrs",
};

bool lr_field_resolve(const char *name, lr_field_ref *out) {
    if (!name) return false;
    if (strncmp(name, "attrs.", 6) == 0 && name[6]) {
        out->field = LR_FIELD_ATTR;
        out->attr_key = name + 6;
        return true;
    }
    for (int f = LR_FIELD_LEAD_ID; f < LR_FIELD__COUNT; f++) {
        if (f != LR_FIELD_ATTR && strcmp(field_names[f], name) == 0) {
            out->field = (lr_field)f;
            out->attr_key = NULL;
            return true;
        }
    }
    return false;
}

const char *lr_field_name(lr_field f) {
    return (f >= 0 && f < LR_FIELD__COUNT) ? field_names[f] : "?";
}

bool lr_field_is_numeric(lr_field f) {
    return f == LR_FIELD_COMPANY_SIZE || f == LR_FIELD_ANNUAL_REVENUE;
}

static lr_str email_domain(lr_str email) {
    if (!email.s) return LR_STR_NULL;
    const char *at = strrchr(email.s, '@');
    if (!at || !at[1]) return LR_STR_NULL;
    return (lr_str){at + 1, (uint32_t)(email.len - (uint32_t)(at + 1 - email.s))};
}

static const lr_str str_true = {"true", 4}, str_false = {"false", 5};

lr_str lr_lead_string(const lr_lead *l, const lr_field_ref *ref) {
    switch (ref->field) {
    case LR_FIELD_LEAD_ID: return l->lead_id;
    case LR_FIELD_SOURCE: return l->source;
    case LR_FIELD_CHANNEL: return l->channel;
    case LR_FIELD_CAMPAIGN: return l->campaign;
    case LR_FIELD_EMAIL: return l->email;
    case LR_FIELD_EMAIL_DOMAIN: return email_domain(l->email);
    case LR_FIELD_FIRST_NAME: return l->first_name;
    case LR_FIELD_LAST_NAME: return l->last_name;
    case LR_FIELD_JOB_TITLE: return l->job_title;
    case LR_FIELD_PHONE: return l->phone;
    case LR_FIELD_COMPANY_NAME: return l->company_name;
    case LR_FIELD_COMPANY_DOMAIN: return l->company_domain;
    case LR_FIELD_INDUSTRY: return l->industry;
    case LR_FIELD_COUNTRY: return l->country;
    case LR_FIELD_REGION: return l->region;
    case LR_FIELD_LANGUAGE: return l->language;
    case LR_FIELD_PRODUCT_INTEREST: return l->product_interest;
    case LR_FIELD_CONSENT:
        return l->consent_known ? (l->consent ? str_true : str_false) : LR_STR_NULL;
    case LR_FIELD_ATTR:
        for (uint32_t i = 0; i < l->n_attrs; i++)
            if (l->attrs[i].key.s && strcmp(l->attrs[i].key.s, ref->attr_key) == 0)
                return l->attrs[i].value;
        return LR_STR_NULL;
    default:
        return LR_STR_NULL;
    }
}

bool lr_lead_number(const lr_lead *l, const lr_field_ref *ref, double *out) {
    int64_t v;
    switch (ref->field) {
    case LR_FIELD_COMPANY_SIZE: v = l->company_size; break;
    case LR_FIELD_ANNUAL_REVENUE: v = l->annual_revenue; break;
    default: return false;
    }
    if (v < 0) return false;
    *out = (double)v;
    return true;
}

/* Avro symbol order (schemas/Lead.avsc); the lowercase form is what users write. */
static const char *const activity_names[LR_ACT__COUNT] = {
    "other", "demo_request", "pricing_page", "webinar_attended", "content_download",
    "email_click", "email_open", "form_submit", "free_trial", "page_view",
    "contact_sales", "unsubscribe", "email_bounced", "spam_complaint",
};

const char *lr_activity_type_name(lr_activity_type t) {
    return (t >= 0 && t < LR_ACT__COUNT) ? activity_names[t] : "other";
}

bool lr_activity_type_parse(const char *name, lr_activity_type *out) {
    for (int i = 0; i < LR_ACT__COUNT; i++) {
        if (strcasecmp(activity_names[i], name) == 0) {
            *out = (lr_activity_type)i;
            return true;
        }
    }
    return false;
}

static const char *const sales_names[LR_SALES__COUNT] = {
    "contacted", "accepted", "rejected", "converted", "recycled",
};

const char *lr_sales_kind_name(lr_sales_kind k) {
    return (k >= 0 && k < LR_SALES__COUNT) ? sales_names[k] : "?";
}

bool lr_sales_kind_parse(const char *name, lr_sales_kind *out) {
    for (int i = 0; i < LR_SALES__COUNT; i++) {
        if (strcasecmp(sales_names[i], name) == 0) {
            *out = (lr_sales_kind)i;
            return true;
        }
    }
    return false;
}

/* Ids become Kafka keys, event ids and fixed-size table slots: keep them
 * printable and bounded. */
static const char *check_id(lr_str id, const char *what_missing, const char *what_long,
                            const char *what_bad) {
    if (!id.s || id.len == 0) return what_missing;
    if (id.len > LR_MAX_ID_LEN) return what_long;
    for (uint32_t i = 0; i < id.len; i++) {
        unsigned char c = (unsigned char)id.s[i];
        if (c < 0x21 || c == 0x7f) return what_bad;
    }
    return NULL;
}

bool lr_lead_time_in_range(lr_time_ms t) {
    return t >= LR_TIME_MIN_VALID && t < LR_TIME_END_VALID;
}

/* The reasons name the likely cause: a time before 2000 is nearly always
 * seconds (or a zero) where milliseconds are expected. */
static const char *check_time(lr_time_ms t, const char *what_early, const char *what_late) {
    if (t < LR_TIME_MIN_VALID) return what_early;
    if (t >= LR_TIME_END_VALID) return what_late;
    return NULL;
}

#define EARLY " is before 2000-01-01: seconds given where milliseconds are expected?"
#define LATE " is after 9999-12-31"

const char *lr_lead_contract_violation(const lr_lead *lead) {
    const char *why = check_id(lead->lead_id, "lead_id is missing or empty",
                               "lead_id is longer than 64 bytes",
                               "lead_id contains whitespace or control characters");
    if (why) return why;
    why = check_time(lead->event_time, "event_time" EARLY, "event_time" LATE);
    if (why) return why;
    for (uint32_t i = 0; i < lead->n_activities; i++) {
        why = check_time(lead->activities[i].at, "activities[].at" EARLY,
                         "activities[].at" LATE);
        if (why) return why;
    }
    if (lead->company_size < -1) return "company_size is negative";
    if (lead->annual_revenue < -1) return "annual_revenue is negative";
    return NULL;
}

const char *lr_sales_contract_violation(const lr_sales_activity *a) {
    const char *why = check_id(a->lead_id, "lead_id is missing or empty",
                               "lead_id is longer than 64 bytes",
                               "lead_id contains whitespace or control characters");
    if (why) return why;
    if (!a->activity_id.s || a->activity_id.len == 0) return "activity_id is missing or empty";
    if (!a->rep_id.s || a->rep_id.len == 0) return "rep_id is missing or empty";
    why = check_time(a->occurred_at, "occurred_at" EARLY, "occurred_at" LATE);
    if (why) return why;
    if ((int)a->kind < 0 || a->kind >= LR_SALES__COUNT) return "kind is not a known activity kind";
    return NULL;
}
