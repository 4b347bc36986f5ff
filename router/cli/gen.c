/* gen.c - see gen.h.
 *
 * Weighted tables drive every choice, so the shape of the traffic can be read
 * (and tuned) here at a glance. Constant text points at the tables; composed
 * text (ids, emails, phones) goes to the caller's arena. */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* ---- PRNG: splitmix64, small and good enough for synthetic data ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(rng *r) {
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

/* uniform in [0, 1) */
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

static bool rng_chance(rng *r, double p) { return rng_unit(r) < p; }

/* uniform integer in [lo, hi] */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

typedef struct wstr {
    const char *s; /* NULL: absent */
    unsigned w;
} wstr;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static size_t pick_index(rng *r, const unsigned *weights, size_t n, size_t stride) {
    unsigned total = 0;
    for (size_t i = 0; i < n; i++) total += *(const unsigned *)((const char *)weights + i * stride);
    unsigned x = (unsigned)(rng_next(r) % total);
    for (size_t i = 0; i < n; i++) {
        unsigned w = *(const unsigned *)((const char *)weights + i * stride);
        if (x < w) return i;
        x -= w;
    }
    return n - 1;
}

#define PICK(r, table) (&(table)[pick_index((r), &(table)[0].w, COUNT(table), sizeof((table)[0]))])

static lr_str cs(const char *s) { return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL; }

/* ---- tables ---- */

typedef struct country {
    const char *code, *region, *language, *phone_cc, *tld;
    unsigned w;
} country;

/* Regions follow the example config's territories: US/CA are NA, Europe
 * (GB and CH included) is EU; the rest goes to global routing. */
static const country countries[] = {
    {"US", "NA", "en", "1", "com", 30},    {"CA", "NA", "en", "1", "ca", 5},
    {"GB", "EU", "en", "44", "co.uk", 8},  {"DE", "EU", "de", "49", "de", 12},
    {"FR", "EU", "fr", "33", "fr", 6},     {"NL", "EU", "nl", "31", "nl", 3},
    {"ES", "EU", "es", "34", "es", 3},     {"IT", "EU", "it", "39", "it", 3},
    {"AT", "EU", "de", "43", "at", 2},     {"CH", "EU", "de", "41", "ch", 2},
    {"SE", "EU", "sv", "46", "se", 2},     {"JP", "APAC", "ja", "81", "jp", 4},
    {"AU", "APAC", "en", "61", "com.au", 3}, {"IN", "APAC", "en", "91", "in", 4},
    {"SG", "APAC", "en", "65", "sg", 2},   {"BR", "LATAM", "pt", "55", "com.br", 4},
    {"MX", "LATAM", "es", "52", "mx", 3},   {"AE", "MEA", "en", "971", "ae", 2},
    {"ZA", "MEA", "en", "27", "co.za", 2},
};

typedef struct name {
    const char *display, *ascii; /* ascii: for the email address */
    unsigned w;
} name;

static const name first_names[] = {
    {"Anna", "anna", 1},     {"Ben", "ben", 1},       {"Carla", "carla", 1},
    {"David", "david", 1},   {"Emma", "emma", 1},     {"Felix", "felix", 1},
    {"Grace", "grace", 1},   {"Hiro", "hiro", 1},     {"Isabel", "isabel", 1},
    {"Jonas", "jonas", 1},   {"Kai", "kai", 1},       {"Lena", "lena", 1},
    {"Marco", "marco", 1},   {"Nina", "nina", 1},     {"Omar", "omar", 1},
    {"Priya", "priya", 1},   {"Quinn", "quinn", 1},   {"Rosa", "rosa", 1},
    {"Sven", "sven", 1},     {"Tara", "tara", 1},     {"Wei", "wei", 1},
    {"Yuki", "yuki", 1},     {"Zo\u00eb", "zoe", 1},  {"Jos\u00e9", "jose", 1},
    {"J\u00fcrgen", "juergen", 1}, {"Chlo\u00e9", "chloe", 1}, {"S\u00f8ren", "soeren", 1},
};

static const name last_names[] = {
    {"Schmidt", "schmidt", 1},   {"M\u00fcller", "mueller", 1}, {"Smith", "smith", 2},
    {"Johnson", "johnson", 1},   {"Garcia", "garcia", 1},       {"Rossi", "rossi", 1},
    {"Dubois", "dubois", 1},     {"Tanaka", "tanaka", 1},       {"Kumar", "kumar", 1},
    {"Silva", "silva", 1},       {"Novak", "novak", 1},         {"Jansen", "jansen", 1},
    {"Andersson", "andersson", 1}, {"O'Brien", "obrien", 1},    {"Nguyen", "nguyen", 1},
    {"Kowalski", "kowalski", 1}, {"Lopez", "lopez", 1},         {"Fischer", "fischer", 1},
    {"Martin", "martin", 1},     {"Brown", "brown", 1},         {"Wagner", "wagner", 1},
    {"Lee", "lee", 1},           {"Sato", "sato", 1},           {"Costa", "costa", 1},
};

/* About a fifth decision makers (the example's decision_maker rule), a few
 * students (its student rule), some without a title. */
static const wstr job_titles[] = {
    {"CEO", 2}, {"Chief Technology Officer", 2}, {"VP Sales", 3}, {"VP of Engineering", 3},
    {"Head of Marketing", 3}, {"Head of Sales Operations", 2}, {"Director of IT", 3},
    {"Marketing Director", 2}, {"Vice President, Revenue", 1},
    {"Software Engineer", 10}, {"Marketing Manager", 9}, {"Sales Manager", 7},
    {"Data Analyst", 6}, {"Consultant", 5}, {"Product Manager", 6}, {"Office Manager", 3},
    {"Operations Specialist", 4}, {"IT Administrator", 5}, {"Account Executive", 5},
    {"student", 4}, {"student assistant", 2}, {"Student", 1},
    {NULL, 8},
};

typedef struct company_kind {
    const char *suffix, *domain_word, *industry;
    unsigned w;
} company_kind;

static const company_kind company_kinds[] = {
    {"Systems", "systems", "software", 6},   {"Labs", "labs", "software", 4},
    {"Analytics", "analytics", "software", 3}, {"Pay", "pay", "fintech", 3},
    {"Capital", "capital", "fintech", 2},    {"Health", "health", "healthcare", 4},
    {"Logistics", "logistics", "logistics", 3}, {"Retail", "retail", "retail", 3},
    {"Media", "media", "media", 2},          {"Manufacturing", "mfg", "manufacturing", 3},
    {"Academy", "academy", "education", 2},  {"Energy", "energy", "energy", 2},
};

static const char *const company_stems[] = {
    "Nordwind", "Bluepeak", "Quantix", "Helio", "Corvid", "Lumen", "Tandem", "Arbor",
    "Vertex", "Kestrel", "Solace", "Orbital", "Brightline", "Copperleaf", "Fjord", "Granite",
    "Harbor", "Ironwood", "Juniper", "Keystone", "Lakeside", "Meridian", "Northstar", "Oakridge",
};

static const wstr free_mail[] = {
    {"gmail.com", 5}, {"yahoo.com", 2}, {"hotmail.com", 2}, {"outlook.com", 2},
};

typedef struct source {
    const char *name;
    unsigned w;
    wstr channels[3];
    wstr campaigns[4];
} source;

static const source sources[] = {
    {"web", 40, {{"organic", 60}, {"direct", 25}, {"referral", 15}},
     {{"brand-2026", 3}, {"blog-seo", 3}, {NULL, 2}, {"retarget-emea", 1}}},
    {"paid_search", 20, {{"cpc", 1}, {NULL, 0}, {NULL, 0}},
     {{"search-lead-routing", 4}, {"search-competitor", 2}, {"search-brand", 3}, {NULL, 1}}},
    {"social", 10, {{"paid_social", 70}, {"organic_social", 30}, {NULL, 0}},
     {{"linkedin-abm-q4", 4}, {"social-webinar-promo", 2}, {NULL, 1}, {NULL, 0}}},
    {"event", 10, {{"trade_show", 60}, {"webinar", 40}, {NULL, 0}},
     {{"saastr-2026", 2}, {"webinar-routing-101", 3}, {"dreamforce-2026", 2}, {NULL, 1}}},
    {"partner", 10, {{"partner_referral", 1}, {NULL, 0}, {NULL, 0}},
     {{"partner-crm-alliance", 3}, {"partner-resellers", 2}, {NULL, 1}, {NULL, 0}}},
    {"email", 10, {{"newsletter", 60}, {"nurture", 40}, {NULL, 0}},
     {{"newsletter-monthly", 3}, {"nurture-trial", 2}, {"nurture-reengage", 2}, {NULL, 0}}},
};

static const wstr product_interests[] = {
    {"routing", 30}, {"scoring", 25}, {"sla", 15}, {"analytics", 15}, {NULL, 15},
};

typedef struct act_kind {
    lr_activity_type type;
    unsigned w;
    const char *details[3]; /* NULL entries: no detail */
} act_kind;

/* Mostly low-intent touches; demo requests, trials and contact-sales are the
 * rare strong signals; unsubscribes, bounces and complaints are negative. */
static const act_kind act_kinds[] = {
    {LR_ACT_PAGE_VIEW, 250, {"/blog/lead-routing-guide", "/product/routing", "/customers"}},
    {LR_ACT_EMAIL_OPEN, 180, {"nurture-step-1", "nurture-step-2", "newsletter-2026-11"}},
    {LR_ACT_EMAIL_CLICK, 120, {"nurture-step-2", "newsletter-2026-11", "nurture-step-3"}},
    {LR_ACT_CONTENT_DOWNLOAD, 100, {"ebook-lead-routing.pdf", "whitepaper-sla.pdf", "checklist-scoring.pdf"}},
    {LR_ACT_PRICING_PAGE, 90, {"/pricing", "/pricing/enterprise", "/pricing"}},
    {LR_ACT_WEBINAR_ATTENDED, 60, {"webinar-routing-101", "webinar-sla-clocks", "webinar-routing-101"}},
    {LR_ACT_FORM_SUBMIT, 60, {"/contact", "/newsletter", "/ebook"}},
    {LR_ACT_DEMO_REQUEST, 40, {"/demo", "/demo", "/demo?plan=enterprise"}},
    {LR_ACT_FREE_TRIAL, 30, {"/signup", "/signup?plan=pro", "/signup"}},
    {LR_ACT_CONTACT_SALES, 20, {"/contact-sales", "/contact-sales", "chat"}},
    {LR_ACT_UNSUBSCRIBE, 20, {"newsletter", "all", NULL}},
    {LR_ACT_EMAIL_BOUNCED, 15, {NULL, NULL, NULL}},
    {LR_ACT_SPAM_COMPLAINT, 5, {NULL, NULL, NULL}},
    {LR_ACT_OTHER, 10, {"chat", NULL, "podcast"}},
};

static const unsigned activity_counts[7] = {15, 20, 20, 15, 12, 10, 8}; /* 0..6 */

static const wstr plans[] = {{"free", 35}, {"starter", 30}, {"pro", 20}, {"enterprise", 15}};
static const wstr utm_terms[] = {
    {"lead routing", 4}, {"round robin assignment", 3}, {"sla alerts", 2},
    {"lead scoring software", 3},
};

static const wstr reject_reasons[] = {
    {"bad_fit", 35}, {"no_budget", 25}, {"duplicate", 10}, {"wrong_territory", 15},
    {"no_response", 15},
};

/* ---- the generator ---- */

#define RECENT 1024 /* lead numbers a repeat may come back from */

struct lr_gen {
    uint64_t seed;
    rng r;               /* the running sequence: events */
    lr_time_ms start;
    double mean_gap_ms;  /* mean time between leads */
    double clock;        /* ms since start, fractional */
    double repeat_rate;
    uint64_t count;      /* leads generated */
    uint64_t numbers;    /* lead numbers handed out */
    uint64_t recent[RECENT];
};

lr_gen *lr_gen_new(uint64_t seed, lr_time_ms start, double leads_per_second) {
    lr_gen *g = calloc(1, sizeof(*g));
    if (!g) abort();
    g->seed = seed;
    g->r.s = mix64(seed ^ 0x5eed5eed5eed5eedULL);
    g->start = start;
    g->mean_gap_ms = leads_per_second > 0 ? 1000.0 / leads_per_second : 1000.0;
    g->repeat_rate = 0.03;
    return g;
}

void lr_gen_free(lr_gen *g) { free(g); }

void lr_gen_set_repeat_rate(lr_gen *g, double rate) {
    g->repeat_rate = rate < 0 ? 0 : rate > 1 ? 1 : rate;
}

uint64_t lr_gen_count(const lr_gen *g) { return g->count; }

lr_time_ms lr_gen_clock(const lr_gen *g) { return g->start + (lr_time_ms)g->clock; }

/* Who lead number n is: person, company, place. Seeded by the number so a
 * repeated id describes the same person. */
static void gen_identity(const lr_gen *g, uint64_t number, lr_lead *l, lr_arena *a) {
    rng r = {mix64(g->seed * 0x9e3779b97f4a7c15ULL + number)};
    const country *c = PICK(&r, countries);
    const name *fn = PICK(&r, first_names), *ln = PICK(&r, last_names);
    l->country = cs(c->code);
    l->region = rng_chance(&r, 0.03) ? LR_STR_NULL : cs(c->region); /* some forms skip it */
    l->language = cs(c->language);
    if (!strcmp(c->code, "CA") && rng_chance(&r, 0.2)) l->language = cs("fr");
    if (!strcmp(c->code, "CH") && rng_chance(&r, 0.3)) l->language = cs("fr");
    l->first_name = cs(fn->display);
    l->last_name = cs(ln->display);
    l->job_title = cs(PICK(&r, job_titles)->s);

    /* company: a named account now and then, else a made-up firm */
    const char *domain;
    double u = rng_unit(&r);
    if (u < 0.03) {
        l->company_name = cs("BigCorp Inc");
        domain = "bigcorp.com";
        l->industry = cs("software");
        l->company_size = rng_range(&r, 5000, 20000);
        l->country = cs("US");
        l->region = cs("NA");
        l->language = cs("en");
    } else if (u < 0.05) {
        l->company_name = cs("MegaBank AG");
        domain = "megabank.de";
        l->industry = cs("fintech");
        l->company_size = rng_range(&r, 8000, 30000);
        l->country = cs("DE");
        l->region = cs("EU");
        l->language = cs("de");
    } else {
        const company_kind *k = PICK(&r, company_kinds);
        const char *stem = company_stems[rng_next(&r) % COUNT(company_stems)];
        l->company_name = cs(lr_arena_printf(a, "%s %s", stem, k->suffix));
        char low[32];
        size_t i;
        for (i = 0; stem[i] && i < sizeof(low) - 1; i++)
            low[i] = (char)(stem[i] >= 'A' && stem[i] <= 'Z' ? stem[i] + 32 : stem[i]);
        low[i] = '\0';
        domain = lr_arena_printf(a, "%s%s.%s", low, k->domain_word, c->tld);
        l->industry = cs(k->industry);
        /* most firms are small; about a quarter have 1000+ employees */
        l->company_size = (int64_t)exp(pow(rng_unit(&r), 1.5) * log(50000.0)) + 1;
    }
    l->company_domain = cs(domain);
    l->annual_revenue = rng_chance(&r, 0.12)
        ? -1 : l->company_size * rng_range(&r, 80, 250) * 1000;
    if (rng_chance(&r, 0.08)) l->company_size = -1; /* not given */
    if (rng_chance(&r, 0.05)) l->industry = LR_STR_NULL;

    /* email: mostly at the company, sometimes free mail or worse */
    const char *mail_domain = domain;
    double m = rng_unit(&r);
    if (m < 0.12) mail_domain = PICK(&r, free_mail)->s;
    else if (m < 0.13) mail_domain = "mailinator.com";
    else if (m < 0.135) mail_domain = "rival.competitor.example";
    switch (rng_next(&r) % 3) {
    case 0: l->email = cs(lr_arena_printf(a, "%s.%s@%s", fn->ascii, ln->ascii, mail_domain)); break;
    case 1: l->email = cs(lr_arena_printf(a, "%c%s@%s", fn->ascii[0], ln->ascii, mail_domain)); break;
    default: l->email = cs(lr_arena_printf(a, "%s@%s", fn->ascii, mail_domain)); break;
    }
    if (mail_domain != domain && rng_chance(&r, 0.5)) {
        l->company_name = LR_STR_NULL;
        l->company_domain = LR_STR_NULL;
    }
    if (rng_chance(&r, 0.55))
        l->phone = cs(lr_arena_printf(a, "+%s %03d %04d", c->phone_cc, (int)rng_range(&r, 200, 999),
                                      (int)rng_range(&r, 0, 9999)));
}

static int cmp_activity(const void *x, const void *y) {
    const lr_activity *a = x, *b = y;
    return (a->at > b->at) - (a->at < b->at);
}

static void gen_activities(rng *r, lr_lead *l) {
    size_t n = pick_index(r, activity_counts, COUNT(activity_counts), sizeof(unsigned));
    for (size_t i = 0; i < n; i++) {
        const act_kind *k = PICK(r, act_kinds);
        lr_activity *a = &l->activities[i];
        a->type = k->type;
        /* within the last 30 days, more of them recent */
        double back = rng_unit(r);
        a->at = l->event_time - (lr_time_ms)(back * back * 30.0 * LR_DAY_MS) - rng_range(r, 1, 600) * 1000;
        a->detail = cs(k->details[rng_next(r) % 3]);
    }
    l->n_activities = (uint32_t)n;
    qsort(l->activities, n, sizeof(l->activities[0]), cmp_activity);
}

void lr_gen_next_lead(lr_gen *g, lr_lead *l, lr_arena *a) {
    rng *r = &g->r;
    memset(l, 0, offsetof(lr_lead, activities));
    l->n_attrs = l->attrs_dropped = 0;

    /* exponential gaps: a Poisson arrival process at the mean rate */
    g->clock += -log(1.0 - rng_unit(r)) * g->mean_gap_ms;
    l->event_time = g->start + (lr_time_ms)g->clock;

    uint64_t number;
    if (g->numbers > 0 && rng_chance(r, g->repeat_rate)) {
        uint64_t window = g->numbers < RECENT ? g->numbers : RECENT;
        number = g->recent[rng_next(r) % window];
    } else {
        number = ++g->numbers;
        g->recent[(number - 1) % RECENT] = number;
    }
    l->lead_id = cs(lr_arena_printf(a, "L%07llu", (unsigned long long)number));
    gen_identity(g, number, l, a);

    const source *s = PICK(r, sources);
    l->source = cs(s->name);
    l->channel = cs(PICK(r, s->channels)->s);
    l->campaign = cs(PICK(r, s->campaigns)->s);
    l->product_interest = cs(PICK(r, product_interests)->s);
    double c = rng_unit(r);
    l->consent_known = c >= 0.05;
    l->consent = c >= 0.12;

    gen_activities(r, l);

    if (rng_chance(r, 0.7))
        l->attrs[l->n_attrs++] = (lr_attr){cs("plan"), cs(PICK(r, plans)->s)};
    if (rng_chance(r, strcmp(s->name, "paid_search") == 0 ? 0.8 : 0.1))
        l->attrs[l->n_attrs++] = (lr_attr){cs("utm_term"), cs(PICK(r, utm_terms)->s)};
    g->count++;
}

size_t lr_gen_answer(const lr_gen *g, const lr_decision *d, lr_sales_activity *out, size_t max,
                     lr_arena *a) {
    if (!d->rep || !d->event_id || max == 0) return 0;
    rng r = {mix64(g->seed ^ lr_hash64(d->event_id, strlen(d->event_id)))};
    if (rng_chance(&r, 0.10)) return 0; /* never touched: the SLA clock runs out */

    lr_str rep = cs(d->rep), assignment = cs(d->event_id);
    double u = rng_unit(&r);
    lr_time_ms delay = u < 0.55 ? rng_range(&r, 1, 15) * LR_MINUTE_MS
                     : u < 0.85 ? rng_range(&r, 15, 240) * LR_MINUTE_MS
                                : rng_range(&r, 4, 48) * LR_HOUR_MS;
    lr_time_ms t = d->decided_at + delay;
    size_t n = 0;
    out[n++] = (lr_sales_activity){
        .activity_id = cs(lr_arena_printf(a, "%s:contacted", d->event_id)),
        .lead_id = d->lead_id, .kind = LR_SALES_CONTACTED, .rep_id = rep, .occurred_at = t,
        .assignment_id = assignment};
    if (n == max) return n;

    t += rng_range(&r, 1, 72) * LR_HOUR_MS;
    double v = rng_unit(&r);
    lr_sales_kind next = v < 0.65 ? LR_SALES_ACCEPTED : v < 0.85 ? LR_SALES_REJECTED
                                                                 : LR_SALES_RECYCLED;
    out[n++] = (lr_sales_activity){
        .activity_id = cs(lr_arena_printf(a, "%s:%s", d->event_id, lr_sales_kind_name(next))),
        .lead_id = d->lead_id, .kind = next, .rep_id = rep, .occurred_at = t,
        .assignment_id = assignment,
        .reason = next == LR_SALES_REJECTED ? cs(PICK(&r, reject_reasons)->s) : LR_STR_NULL};
    if (n == max || next != LR_SALES_ACCEPTED || !rng_chance(&r, 0.35)) return n;

    t += rng_range(&r, 2, 30) * LR_DAY_MS;
    double value = floor(exp(log(5000.0) + rng_unit(&r) * log(50.0)) / 100.0) * 100.0;
    out[n++] = (lr_sales_activity){
        .activity_id = cs(lr_arena_printf(a, "%s:converted", d->event_id)),
        .lead_id = d->lead_id, .kind = LR_SALES_CONVERTED, .rep_id = rep, .occurred_at = t,
        .assignment_id = assignment, .has_value = true, .opportunity_value = value};
    return n;
}
