/* schemas.c - the Avro schemas of schemas/<name>.avsc, embedded so that the daemon
 * never needs the schemas/ folder at run time.
 *
 * Keep these texts equal to the .avsc files: tests/test_codec.c parses both
 * as JSON and fails when they differ. */
#include "schemas.h"

#include <stddef.h>

static const char lead_json[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"Lead\",\n"
    "  \"namespace\": \"dev.leadrouter\",\n"
    "  \"doc\": \"A lead as marketing hands it over: who the person and company are, where the lead came from, consent, and the activities that signal engagement. Key: lead_id.\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"lead_id\", \"type\": \"string\", \"doc\": \"Stable id of the lead in the marketing system; 1 to 64 bytes. Required.\"},\n"
    "    {\"name\": \"event_time\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}, \"doc\": \"When marketing produced this event (UTC).\"},\n"
    "    {\"name\": \"source\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Lead source: web, event, partner, paid_search...\"},\n"
    "    {\"name\": \"channel\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Channel within the source: organic, cpc, email...\"},\n"
    "    {\"name\": \"campaign\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Campaign id or name that produced the lead.\"},\n"
    "    {\"name\": \"email\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Contact email (personal data).\"},\n"
    "    {\"name\": \"first_name\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Personal data.\"},\n"
    "    {\"name\": \"last_name\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Personal data.\"},\n"
    "    {\"name\": \"job_title\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"phone\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Personal data.\"},\n"
    "    {\"name\": \"company_name\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"company_domain\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Company web domain, used for account matching.\"},\n"
    "    {\"name\": \"industry\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"company_size\", \"type\": [\"null\", \"long\"], \"default\": null, \"doc\": \"Number of employees.\"},\n"
    "    {\"name\": \"annual_revenue\", \"type\": [\"null\", \"long\"], \"default\": null, \"doc\": \"Company annual revenue in USD.\"},\n"
    "    {\"name\": \"country\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"ISO 3166-1 alpha-2 country code.\"},\n"
    "    {\"name\": \"region\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Sales region: NA, EU, APAC, LATAM...\"},\n"
    "    {\"name\": \"language\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Preferred language, ISO 639-1.\"},\n"
    "    {\"name\": \"product_interest\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"consent\", \"type\": [\"null\", \"boolean\"], \"default\": null, \"doc\": \"Marketing consent; null when unknown.\"},\n"
    "    {\"name\": \"activities\", \"default\": [], \"doc\": \"Engagement activities, any order.\",\n"
    "     \"type\": {\"type\": \"array\", \"items\": {\n"
    "       \"type\": \"record\", \"name\": \"Activity\",\n"
    "       \"fields\": [\n"
    "         {\"name\": \"type\", \"type\": {\"type\": \"enum\", \"name\": \"ActivityType\",\n"
    "           \"symbols\": [\"OTHER\", \"DEMO_REQUEST\", \"PRICING_PAGE\", \"WEBINAR_ATTENDED\", \"CONTENT_DOWNLOAD\",\n"
    "                       \"EMAIL_CLICK\", \"EMAIL_OPEN\", \"FORM_SUBMIT\", \"FREE_TRIAL\", \"PAGE_VIEW\",\n"
    "                       \"CONTACT_SALES\", \"UNSUBSCRIBE\", \"EMAIL_BOUNCED\", \"SPAM_COMPLAINT\"],\n"
    "           \"default\": \"OTHER\"}},\n"
    "         {\"name\": \"at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "         {\"name\": \"detail\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"URL, asset or email step.\"}\n"
    "       ]}}},\n"
    "    {\"name\": \"attributes\", \"type\": {\"type\": \"map\", \"values\": \"string\"}, \"default\": {},\n"
    "     \"doc\": \"Custom attributes; rules test them as attrs.<key>.\"}\n"
    "  ]\n"
    "}\n";

static const char salesactivity_json[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"SalesActivity\",\n"
    "  \"namespace\": \"dev.leadrouter\",\n"
    "  \"doc\": \"What sales did with a lead, as the CRM reports it. Key: lead_id.\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"activity_id\", \"type\": \"string\", \"doc\": \"Idempotency key: the same activity twice counts once.\"},\n"
    "    {\"name\": \"lead_id\", \"type\": \"string\"},\n"
    "    {\"name\": \"kind\", \"type\": {\"type\": \"enum\", \"name\": \"SalesActivityKind\",\n"
    "      \"symbols\": [\"CONTACTED\", \"ACCEPTED\", \"REJECTED\", \"CONVERTED\", \"RECYCLED\"]},\n"
    "     \"doc\": \"CONTACTED is the first touch that stops the SLA clock.\"},\n"
    "    {\"name\": \"rep_id\", \"type\": \"string\", \"doc\": \"The rep who did it.\"},\n"
    "    {\"name\": \"occurred_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "    {\"name\": \"assignment_id\", \"type\": [\"null\", \"string\"], \"default\": null,\n"
    "     \"doc\": \"event_id of the LeadDecision this answers, when the CRM kept it. An id without @<since> (written by earlier router builds) matches by seq alone.\"},\n"
    "    {\"name\": \"reason\", \"type\": [\"null\", \"string\"], \"default\": null,\n"
    "     \"doc\": \"REJECTED: bad_fit, no_budget, duplicate, wrong_territory, no_response...\"},\n"
    "    {\"name\": \"opportunity_value\", \"type\": [\"null\", \"double\"], \"default\": null,\n"
    "     \"doc\": \"CONVERTED: value of the opportunity created.\"}\n"
    "  ]\n"
    "}\n";

static const char leaddecision_json[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"LeadDecision\",\n"
    "  \"namespace\": \"dev.leadrouter\",\n"
    "  \"doc\": \"The router's decision on a lead, with every reason for it: an assignment (stage SALES_READY) on the assignments topic, or a nurture / disqualified decision on the nurture topic. Key: lead_id.\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"event_id\", \"type\": \"string\", \"doc\": \"Deterministic idempotency key: <lead_id>:decision:<seq>@<since>, where since is the event_time (ms) of the lead message that started the router's record of this lead.\"},\n"
    "    {\"name\": \"seq\", \"type\": \"long\", \"doc\": \"Per-lead sequence number across all events the router publishes for it.\"},\n"
    "    {\"name\": \"lead_id\", \"type\": \"string\"},\n"
    "    {\"name\": \"stage\", \"type\": {\"type\": \"enum\", \"name\": \"Stage\",\n"
    "      \"symbols\": [\"SALES_READY\", \"MARKETING_QUALIFIED\", \"NURTURE\", \"DISQUALIFIED\"]}},\n"
    "    {\"name\": \"tier\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"team\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"rep\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Null when queued or not sales-ready.\"},\n"
    "    {\"name\": \"queue\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"The queue a sales-ready lead waits in when no rep was available.\"},\n"
    "    {\"name\": \"score\", \"type\": \"double\"},\n"
    "    {\"name\": \"fit_score\", \"type\": \"double\"},\n"
    "    {\"name\": \"engagement_score\", \"type\": \"double\"},\n"
    "    {\"name\": \"cause\", \"type\": {\"type\": \"enum\", \"name\": \"DecisionCause\",\n"
    "      \"symbols\": [\"NEW\", \"REENGAGED\", \"SLA_REASSIGN\"]}},\n"
    "    {\"name\": \"attempt\", \"type\": \"int\", \"doc\": \"1 for the first assignment, +1 per reassignment.\"},\n"
    "    {\"name\": \"event_time\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}, \"doc\": \"The lead event's own time.\"},\n"
    "    {\"name\": \"decided_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "    {\"name\": \"sla_due_at\", \"type\": [\"null\", {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}], \"default\": null,\n"
    "     \"doc\": \"First-touch deadline of the SLA clock this assignment started.\"},\n"
    "    {\"name\": \"source\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"campaign\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"reasons\", \"doc\": \"Why: score breakdown, rules matched, strategy, reps skipped and the one chosen.\",\n"
    "     \"type\": {\"type\": \"array\", \"items\": {\n"
    "       \"type\": \"record\", \"name\": \"Reason\",\n"
    "       \"fields\": [\n"
    "         {\"name\": \"kind\", \"type\": {\"type\": \"enum\", \"name\": \"ReasonKind\",\n"
    "           \"symbols\": [\"FIT_RULE\", \"ENGAGEMENT_RULE\", \"NEGATIVE_SIGNAL\", \"THRESHOLD\", \"OVERRIDE\",\n"
    "                       \"DUPLICATE\", \"REENGAGED\", \"ROUTING_RULE\", \"ACCOUNT_OWNER\", \"PREVIOUS_OWNER\",\n"
    "                       \"STRATEGY\", \"SKIPPED\", \"CHOSEN\", \"OVERFLOW\", \"SLA\"]}},\n"
    "         {\"name\": \"rule\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "         {\"name\": \"rep\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "         {\"name\": \"points\", \"type\": \"double\", \"default\": 0},\n"
    "         {\"name\": \"detail\", \"type\": [\"null\", \"string\"], \"default\": null}\n"
    "       ]}}},\n"
    "    {\"name\": \"reasons_dropped\", \"type\": \"int\", \"default\": 0,\n"
    "     \"doc\": \"Reasons left out because the list was full (more than 64); 0 when the list is complete.\"},\n"
    "    {\"name\": \"router_version\", \"type\": \"string\"}\n"
    "  ]\n"
    "}\n";

static const char leadstatus_json[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"LeadStatus\",\n"
    "  \"namespace\": \"dev.leadrouter\",\n"
    "  \"doc\": \"A change of a lead's state, reported to marketing: the feedback loop. Key: lead_id.\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"event_id\", \"type\": \"string\", \"doc\": \"<lead_id>:status:<seq>@<since>; since as in LeadDecision.event_id.\"},\n"
    "    {\"name\": \"seq\", \"type\": \"long\"},\n"
    "    {\"name\": \"lead_id\", \"type\": \"string\"},\n"
    "    {\"name\": \"status\", \"type\": {\"type\": \"enum\", \"name\": \"LeadStatusKind\",\n"
    "      \"symbols\": [\"ASSIGNED\", \"QUEUED\", \"NURTURE\", \"DISQUALIFIED\", \"DUPLICATE\", \"CONTACTED\",\n"
    "                  \"ACCEPTED\", \"REJECTED\", \"CONVERTED\", \"RECYCLED\", \"SLA_BREACHED\", \"REASSIGNED\"]}},\n"
    "    {\"name\": \"at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}, \"doc\": \"When the router recorded it.\"},\n"
    "    {\"name\": \"occurred_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}, \"doc\": \"When it happened (the triggering event's time).\"},\n"
    "    {\"name\": \"team\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"rep\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"source\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"campaign\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"tier\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"reason\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Rejection reason, breached policy, why duplicate...\"},\n"
    "    {\"name\": \"value\", \"type\": [\"null\", \"double\"], \"default\": null, \"doc\": \"CONVERTED: opportunity value.\"},\n"
    "    {\"name\": \"sla_elapsed_ms\", \"type\": [\"null\", \"long\"], \"default\": null, \"doc\": \"CONTACTED: time to first touch, as the policy counts it.\"},\n"
    "    {\"name\": \"sla_met\", \"type\": [\"null\", \"boolean\"], \"default\": null}\n"
    "  ]\n"
    "}\n";

static const char slaalert_json[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"SlaAlert\",\n"
    "  \"namespace\": \"dev.leadrouter\",\n"
    "  \"doc\": \"An SLA warning before the deadline, a breach at it, or an escalation step after it. Key: lead_id.\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"event_id\", \"type\": \"string\", \"doc\": \"<lead_id>:alert:<seq>@<since>; since as in LeadDecision.event_id.\"},\n"
    "    {\"name\": \"seq\", \"type\": \"long\"},\n"
    "    {\"name\": \"lead_id\", \"type\": \"string\"},\n"
    "    {\"name\": \"kind\", \"type\": {\"type\": \"enum\", \"name\": \"AlertKind\", \"symbols\": [\"WARNING\", \"BREACH\", \"ESCALATION\"]}},\n"
    "    {\"name\": \"policy\", \"type\": \"string\"},\n"
    "    {\"name\": \"tier\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"team\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "    {\"name\": \"owner\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"The rep holding the lead.\"},\n"
    "    {\"name\": \"addressed_to\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Manager or queue an escalation goes to.\"},\n"
    "    {\"name\": \"action\", \"type\": \"string\", \"doc\": \"warn, breach, notify_manager, reassign, escalate.\"},\n"
    "    {\"name\": \"step\", \"type\": \"int\", \"doc\": \"Escalation step; 0 for the warning and the breach itself.\"},\n"
    "    {\"name\": \"assigned_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "    {\"name\": \"due_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "    {\"name\": \"fired_at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
    "    {\"name\": \"late_by_ms\", \"type\": \"long\", \"doc\": \"fired_at - due_at; negative for warnings.\"}\n"
    "  ]\n"
    "}\n";

typedef struct schema_entry {
    const char *json;
    size_t len;
    const char *file, *name;
} schema_entry;

#define ENTRY(var, file, name) {var, sizeof(var) - 1, file, name}

/* Indexed by lr_schema_kind. */
static const schema_entry schemas[LR_SCHEMA__COUNT] = {
    [LR_SCHEMA_LEAD] = ENTRY(lead_json, "Lead.avsc", "Lead"),
    [LR_SCHEMA_SALES_ACTIVITY] = ENTRY(salesactivity_json, "SalesActivity.avsc", "SalesActivity"),
    [LR_SCHEMA_DECISION] = ENTRY(leaddecision_json, "LeadDecision.avsc", "LeadDecision"),
    [LR_SCHEMA_STATUS] = ENTRY(leadstatus_json, "LeadStatus.avsc", "LeadStatus"),
    [LR_SCHEMA_ALERT] = ENTRY(slaalert_json, "SlaAlert.avsc", "SlaAlert"),
};

const char *lr_schemas_json(lr_schema_kind k, size_t *len) {
    if ((unsigned)k >= LR_SCHEMA__COUNT) return NULL;
    if (len) *len = schemas[k].len;
    return schemas[k].json;
}

const char *lr_schemas_file(lr_schema_kind k) {
    return (unsigned)k < LR_SCHEMA__COUNT ? schemas[k].file : NULL;
}

const char *lr_schemas_name(lr_schema_kind k) {
    return (unsigned)k < LR_SCHEMA__COUNT ? schemas[k].name : NULL;
}
