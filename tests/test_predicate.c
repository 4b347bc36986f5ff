/* test_predicate.c - every test kind, case rules, derived and custom fields,
 * absent values, and each configuration error with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <regex.h>

#include "cfg.h"
#include "rules.h"
#include "lead.h"
#include "predicate.h"

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }

static void lead_init(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L1");
    l->event_time = 1763800000000;
    l->company_size = -1;
    l->annual_revenue = -1;
}

/* Parses the YAML document as one condition. */
static lr_predicate *parse(const char *yaml, const char *const *extra, lr_err *err,
                           lr_cfg_doc **doc) {
    *doc = lr_cfg_load_string("t.yaml", yaml, err);
    assert_non_null(*doc);
    return lr_predicate_parse(lr_cfg_root(*doc), extra, err);
}

static bool match_yaml(const char *yaml, const lr_lead *l) {
    lr_err err = {0};
    lr_cfg_doc *doc;
    lr_predicate *p = parse(yaml, NULL, &err, &doc);
    if (!p) fail_msg("parse failed: %s", err.msg);
    bool m = lr_predicate_match(p, l);
    lr_predicate_free(p);
    lr_cfg_free(doc);
    return m;
}

/* Expects a parse error whose message starts with `prefix` and contains `part`. */
static void expect_error(const char *yaml, const char *const *extra, const char *prefix,
                         const char *part) {
    lr_err err = {0};
    lr_cfg_doc *doc;
    lr_predicate *p = parse(yaml, extra, &err, &doc);
    if (p) fail_msg("expected an error for:\n%s", yaml);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, part))
        fail_msg("error '%s' lacks '%s' / '%s'", err.msg, prefix, part);
    lr_cfg_free(doc);
}

static void test_equals_case_insensitive(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.industry = S("Software");
    assert_true(match_yaml("field: industry\nequals: software\n", &l));
    assert_true(match_yaml("field: industry\nequals: SOFTWARE\n", &l));
    assert_false(match_yaml("field: industry\nequals: softwar\n", &l));
    assert_false(match_yaml("field: industry\nequals: software2\n", &l));
    l.industry = LR_STR_NULL;
    assert_false(match_yaml("field: industry\nequals: software\n", &l));
}

static void test_equals_numeric(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.company_size = 500;
    assert_true(match_yaml("field: company_size\nequals: 500\n", &l));
    assert_true(match_yaml("field: company_size\nequals: \"500.0\"\n", &l));
    assert_false(match_yaml("field: company_size\nequals: 501\n", &l));
    l.company_size = -1; /* absent */
    assert_false(match_yaml("field: company_size\nequals: 500\n", &l));
}

static void test_one_of(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.region = S("eu");
    assert_true(match_yaml("field: region\none_of: [NA, EU]\n", &l));
    assert_false(match_yaml("field: region\none_of: [NA, APAC]\n", &l));
    l.annual_revenue = 1000000;
    assert_true(match_yaml("field: annual_revenue\none_of: [5, 1000000]\n", &l));
    assert_false(match_yaml("field: annual_revenue\none_of: [5, 6]\n", &l));
    l.region = LR_STR_NULL;
    assert_false(match_yaml("field: region\none_of: [NA, EU]\n", &l));
}

static void test_range_inclusive(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    const char *both = "field: company_size\nrange: { min: 200, max: 999 }\n";
    l.company_size = 199;
    assert_false(match_yaml(both, &l));
    l.company_size = 200;
    assert_true(match_yaml(both, &l));
    l.company_size = 999;
    assert_true(match_yaml(both, &l));
    l.company_size = 1000;
    assert_false(match_yaml(both, &l));
    assert_true(match_yaml("field: company_size\nrange: { min: 1000 }\n", &l));
    assert_false(match_yaml("field: company_size\nrange: { max: 999 }\n", &l));
    l.company_size = 0; /* zero employees is a value, not absence */
    assert_true(match_yaml("field: company_size\nrange: { max: 999 }\n", &l));
    l.company_size = -1;
    assert_false(match_yaml("field: company_size\nrange: { max: 999 }\n", &l));
}

static void test_prefix_suffix(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.job_title = S("Student of Economics");
    assert_true(match_yaml("field: job_title\nprefix: student\n", &l));
    assert_false(match_yaml("field: job_title\nprefix: economics\n", &l));
    assert_true(match_yaml("field: job_title\nsuffix: ECONOMICS\n", &l));
    assert_false(match_yaml("field: job_title\nsuffix: Student\n", &l));
    /* longer than the value: no match, no overread */
    assert_false(match_yaml("field: job_title\nprefix: Student of Economics and Law\n", &l));
    l.job_title = LR_STR_NULL;
    assert_false(match_yaml("field: job_title\nprefix: student\n", &l));
}

static void test_regex(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.job_title = S("VP of Engineering");
    assert_true(match_yaml("field: job_title\nregex: \"^VP\"\n", &l));
    assert_false(match_yaml("field: job_title\nregex: \"^vp\"\n", &l));
    assert_true(match_yaml("field: job_title\nregex: \"(?i)^vp( |$)\"\n", &l));
    assert_true(match_yaml("field: job_title\n"
                           "regex: \"(?i)(chief|vp|vice president|head of|director)\"\n", &l));
    l.job_title = S("Marketing Manager");
    assert_false(match_yaml("field: job_title\n"
                            "regex: \"(?i)(chief|vp|vice president|head of|director)\"\n", &l));
    l.job_title = LR_STR_NULL;
    assert_false(match_yaml("field: job_title\nregex: \".*\"\n", &l));
}

/* "(?i)" must behave exactly like POSIX REG_ICASE (which the predicate avoids
 * because glibc allocates per match with it): compare the two on a grid. */
static void test_regex_icase_equivalence(void **state) {
    (void)state;
    static const char *const pats[] = {
        "^vp", "(chief|vp|vice president|head of|director)", "[a-c]x", "[^a-z]",
        "^[[:upper:]]+$", "[]a]", "[a-]", "[0-9a-f]+$", "h.ad of", "a{2,3}b", "\\.com$",
        "[[:digit:]]+ ?ex", "^(Mr|MRS)\\. [A-Z]", "[^]A-Fx]", "manager", "(sales|it)",
        "ops|of i|ex", "(a|b)c", "head of|(x)",
    };
    static const char *const subjects[] = {
        "VP Sales", "Head of IT", "vice PRESIDENT", "BX", "bx", "1", "Z", "abc", "ABC",
        "]", "-", "AAb", "aab", "example.COM", "10 EX", "mrs. smith", "MR. Jones", "x", "g",
        "", "Chief Financial Officer",
    };
    char yaml[256];
    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        regex_t ref;
        assert_int_equal(regcomp(&ref, pats[i], REG_EXTENDED | REG_NOSUB | REG_ICASE), 0);
        snprintf(yaml, sizeof(yaml), "field: job_title\nregex: '(?i)%s'\n", pats[i]);
        lr_err err = {0};
        lr_cfg_doc *doc;
        lr_predicate *p = parse(yaml, NULL, &err, &doc);
        if (!p) fail_msg("%s: %s", pats[i], err.msg);
        for (size_t j = 0; j < sizeof(subjects) / sizeof(subjects[0]); j++) {
            lr_lead l;
            lead_init(&l);
            l.job_title = S(subjects[j]);
            bool want = regexec(&ref, subjects[j], 0, NULL, 0) == 0;
            bool got = lr_predicate_match(p, &l);
            if (subjects[j][0] == '\0') got = want; /* empty counts as absent: no match */
            if (got != want)
                fail_msg("(?i)%s on '%s': got %d, REG_ICASE says %d", pats[i], subjects[j], got,
                         want);
        }
        lr_predicate_free(p);
        lr_cfg_free(doc);
        regfree(&ref);
    }
}

/* Each pattern, parsed as a job_title regex condition (with "(?i)" in front
 * when icase), answers as regexec does on every subject. An empty value is
 * an absent field for conditions, so it never matches. */
static void agree_with_regexec(const char *const *pats, size_t n_pats,
                               const char *const *subjects, size_t n_subjects, bool icase) {
    char yaml[256];
    for (size_t i = 0; i < n_pats; i++) {
        regex_t ref;
        assert_int_equal(
            regcomp(&ref, pats[i], REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)), 0);
        snprintf(yaml, sizeof(yaml), "field: job_title\nregex: '%s%s'\n", icase ? "(?i)" : "",
                 pats[i]);
        lr_err err = {0};
        lr_cfg_doc *doc;
        lr_predicate *p = parse(yaml, NULL, &err, &doc);
        if (!p) fail_msg("%s: %s", pats[i], err.msg);
        for (size_t j = 0; j < n_subjects; j++) {
            lr_lead l;
            lead_init(&l);
            l.job_title = S(subjects[j]);
            bool want = subjects[j][0] && regexec(&ref, subjects[j], 0, NULL, 0) == 0;
            if (lr_predicate_match(p, &l) != want)
                fail_msg("%s%s on '%s': regexec says %d", icase ? "(?i)" : "", pats[i],
                         subjects[j], want);
        }
        lr_predicate_free(p);
        lr_cfg_free(doc);
        regfree(&ref);
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Plain-word alternations take a fast path instead of regexec; it must agree
 * with regexec on every subject. */
static void test_regex_literal_fast_path(void **state) {
    (void)state;
    static const char *const pats[] = {"VP|Chief", "(Head of|Director)", "sales", "of IT",
                                       "a|b|c", "(x|)", "Mgr-2"};
    static const char *const subjects[] = {"VP Sales", "vp sales", "Chief of Staff", "CHIEF",
                                           "Head of IT", "head of it", "Director", "Mgr-2 ops",
                                           "mgr-2", "xyz", "sales", "Sales"};
    agree_with_regexec(pats, COUNT(pats), subjects, COUNT(subjects), false);
}

/* "(?i)" word lists take the literal path too: same answers as a
 * case-insensitive regexec, words starting with letters or not. */
static void test_regex_literal_icase(void **state) {
    (void)state;
    static const char *const pats[] = {"chief|vp|vice president|head of|director", "manager",
                                       "(-x|2nd|@corp|Zeta)", "a"};
    static const char *const subjects[] = {"VP of Sales", "vP", "Vice President", "HEAD OF IT",
                                           "sub-X lead", "2ND line", "me@CORP", "zeta team",
                                           "ZETA", "Manager", "general MANAGER", "mana ger",
                                           "", "A", "b", "x-", "chie", "directo"};
    agree_with_regexec(pats, COUNT(pats), subjects, COUNT(subjects), true);
}

/* Every text field a condition can name reads the same value that
 * lr_lead_string gives, whether the predicate reads the lead directly or
 * through lr_lead_string (derived fields). */
static void test_every_text_field(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    lr_str *plain[] = {&l.lead_id, &l.source, &l.channel, &l.campaign, &l.email, &l.first_name,
                       &l.last_name, &l.job_title, &l.phone, &l.company_name, &l.company_domain,
                       &l.industry, &l.country, &l.region, &l.language, &l.product_interest};
    static char vals[16][24];
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        snprintf(vals[i], sizeof(vals[i]), "v%zu@dom%zu.example", i, i);
        *plain[i] = S(vals[i]);
    }
    l.consent_known = true;
    l.consent = true;
    char yaml[640];
    int checked = 0;
    for (int f = LR_FIELD_LEAD_ID; f < LR_FIELD_ATTR; f++) {
        if (lr_field_is_numeric((lr_field)f)) continue;
        lr_field_ref ref;
        assert_true(lr_field_resolve(lr_field_name((lr_field)f), &ref));
        lr_str want = lr_lead_string(&l, &ref);
        assert_non_null(want.s);
        snprintf(yaml, sizeof(yaml), "field: %s\nequals: '%s'\n", lr_field_name((lr_field)f),
                 want.s);
        if (!match_yaml(yaml, &l)) fail_msg("%s does not read '%s'", lr_field_name((lr_field)f), want.s);
        /* and not any other field's value */
        for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
            if (plain[i]->len == want.len && !memcmp(plain[i]->s, want.s, want.len)) continue;
            snprintf(yaml, sizeof(yaml), "field: %s\nequals: '%s'\n",
                     lr_field_name((lr_field)f), vals[i]);
            if (match_yaml(yaml, &l)) fail_msg("%s matched '%s'", lr_field_name((lr_field)f), vals[i]);
        }
        checked++;
    }
    assert_int_equal(checked, 18); /* 16 plain fields, email_domain, consent */
}

/* The batch form answers as one call per condition does. */
static void test_match_many(void **state) {
    (void)state;
    static const char *const yamls[] = {
        "field: industry\nequals: Software\n", "field: company_size\nrange: {min: 100}\n",
        "field: email_domain\none_of: [gmail.com, web.de]\n", "field: phone\npresent: true\n",
        "field: job_title\nregex: '(?i)(vp|chief)'\n", "field: attrs.plan\nprefix: ent\n",
        "field: consent\nequals: 'false'\n", "field: annual_revenue\npresent: false\n"};
    enum { N = sizeof(yamls) / sizeof(yamls[0]) };
    lr_predicate *ps[N];
    lr_cfg_doc *docs[N];
    for (size_t i = 0; i < N; i++) {
        lr_err err = {0};
        ps[i] = parse(yamls[i], NULL, &err, &docs[i]);
        if (!ps[i]) fail_msg("%s: %s", yamls[i], err.msg);
    }
    lr_attr attr = {S("plan"), S("Enterprise")};
    for (int v = 0; v < 16; v++) {
        lr_lead l;
        lead_init(&l);
        if (v & 1) l.industry = S("SOFTWARE");
        if (v & 2) l.company_size = 50 + 40 * v;
        if (v & 4) l.email = S(v & 8 ? "a@Web.de" : "b@corp.example");
        if (v & 8) l.phone = S("+49 30 1");
        if (v % 3) l.job_title = S(v % 3 == 1 ? "Chief of Staff" : "Engineer");
        if (v & 1) {
            l.attrs[0] = attr;
            l.n_attrs = 1;
        }
        l.consent_known = v & 2;
        l.consent = v & 4;
        if (v & 4) l.annual_revenue = 1000;
        bool hits[N];
        memset(hits, 0x7f, sizeof(hits));
        lr_predicate_match_many((const lr_predicate *const *)ps, N, &l, hits);
        for (size_t i = 0; i < N; i++)
            if (hits[i] != lr_predicate_match(ps[i], &l)) fail_msg("lead %d, %s", v, yamls[i]);
    }
    for (size_t i = 0; i < N; i++) {
        lr_predicate_free(ps[i]);
        lr_cfg_free(docs[i]);
    }
}

static void test_present(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    assert_false(match_yaml("field: phone\npresent: true\n", &l));
    assert_true(match_yaml("field: phone\npresent: false\n", &l));
    l.phone = S("");
    assert_false(match_yaml("field: phone\npresent: true\n", &l)); /* empty = absent */
    l.phone = S("+49 30 1234");
    assert_true(match_yaml("field: phone\npresent: true\n", &l));
    assert_false(match_yaml("field: phone\npresent: false\n", &l));
    assert_false(match_yaml("field: company_size\npresent: true\n", &l));
    l.company_size = 10;
    assert_true(match_yaml("field: company_size\npresent: true\n", &l));
    assert_true(match_yaml("field: consent\npresent: false\n", &l));
}

static void test_attrs_and_email_domain(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    l.attrs[0] = (lr_attr){S("utm_source"), S("linkedin")};
    l.attrs[1] = (lr_attr){S("plan"), S("Enterprise")};
    l.n_attrs = 2;
    assert_true(match_yaml("field: attrs.plan\nequals: enterprise\n", &l));
    assert_false(match_yaml("field: attrs.plan\nequals: team\n", &l));
    assert_true(match_yaml("field: attrs.seats\npresent: false\n", &l));
    assert_false(match_yaml("field: attrs.seats\nequals: \"10\"\n", &l));

    l.email = S("Jane.Doe@Mail.Competitor.Example");
    assert_true(match_yaml("field: email_domain\nsuffix: competitor.example\n", &l));
    assert_true(match_yaml("field: email_domain\nequals: mail.competitor.example\n", &l));
    assert_false(match_yaml("field: email_domain\nequals: competitor.example\n", &l));
    l.email = S("no-at-sign");
    assert_true(match_yaml("field: email_domain\npresent: false\n", &l));
}

static void test_consent(void **state) {
    (void)state;
    lr_lead l;
    lead_init(&l);
    const char *no = "field: consent\nequals: \"false\"\n";
    assert_false(match_yaml(no, &l)); /* unknown consent */
    l.consent_known = true;
    l.consent = false;
    assert_true(match_yaml(no, &l));
    assert_true(match_yaml("field: consent\nequals: false\n", &l)); /* unquoted YAML too */
    l.consent = true;
    assert_false(match_yaml(no, &l));
}

static void test_describe(void **state) {
    (void)state;
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"field: industry\none_of: [software, fintech]\n", "industry one_of [software, fintech]"},
        {"field: company_size\nrange: { min: 1000 }\n", "company_size range [1000..]"},
        {"field: company_size\nrange: { min: 200, max: 999 }\n", "company_size range [200..999]"},
        {"field: phone\npresent: yes\n", "phone present true"},
        {"field: attrs.plan\nequals: enterprise\n", "attrs.plan equals enterprise"},
        {"field: job_title\nregex: \"(?i)^vp\"\n", "job_title regex (?i)^vp"},
        {"field: email_domain\nsuffix: competitor.example\n",
         "email_domain suffix competitor.example"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lr_err err = {0};
        lr_cfg_doc *doc;
        lr_predicate *p = parse(cases[i].yaml, NULL, &err, &doc);
        assert_non_null(p);
        assert_string_equal(lr_predicate_describe(p), cases[i].want);
        lr_predicate_free(p);
        lr_cfg_free(doc);
    }
}

static void test_extra_keys(void **state) {
    (void)state;
    static const char *const extra[] = {"name", "points", NULL};
    lr_err err = {0};
    lr_cfg_doc *doc;
    lr_predicate *p = parse("name: r\nfield: region\nequals: EU\npoints: 5\n", extra, &err, &doc);
    assert_non_null(p);
    lr_predicate_free(p);
    lr_cfg_free(doc);
    expect_error("name: r\nfield: region\nequals: EU\npoints: 5\nteam: x\n", extra,
                 "t.yaml:5: ", "unknown key 'team'");
}

static void test_errors(void **state) {
    (void)state;
    expect_error("# comment\nfield: industri\nequals: x\n", NULL, "t.yaml:2: ",
                 "unknown field 'industri' (known: lead_id, source,");
    expect_error("field: industry\nequals: x\nequal: y\n", NULL, "t.yaml:3: ",
                 "unknown key 'equal'");
    expect_error("field: industry\n", NULL, "t.yaml:1: ", "without a test");
    expect_error("field: industry\nequals: x\none_of: [x]\n", NULL, "t.yaml:3: ",
                 "exactly one test");
    expect_error("equals: x\n", NULL, "t.yaml:1: ", "without 'field'");
    expect_error("field: industry\n\nrange: { min: 1 }\n", NULL, "t.yaml:3: ",
                 "range needs a numeric field");
    expect_error("field: job_title\nregex: \"(unclosed\"\n", NULL, "t.yaml:2: ",
                 "bad regex '(unclosed': ");
    expect_error("field: company_size\nrange: { min: 10, max: 5 }\n", NULL, "t.yaml:2: ",
                 "min 10 is above max 5");
    expect_error("field: company_size\nrange: { least: 10 }\n", NULL, "t.yaml:2: ",
                 "unknown key 'least'");
    expect_error("field: company_size\nrange: {}\n", NULL, "t.yaml:2: ", "min, max or both");
    expect_error("field: company_size\nequals: big\n", NULL, "t.yaml:2: ", "'big'");
    expect_error("field: company_size\nprefix: \"1\"\n", NULL, "t.yaml:2: ", "text field");
    expect_error("field: region\none_of: []\n", NULL, "t.yaml:2: ", "empty");
    expect_error("field: region\none_of: EU\n", NULL, "t.yaml:2: ", "must be a list");
    expect_error("field: region\none_of:\n  - EU\n  - [NA]\n", NULL, "t.yaml:4: ",
                 "must be a single value");
    expect_error("field: phone\npresent: maybe\n", NULL, "t.yaml:2: ", "'maybe'");
    expect_error("field: [region]\nequals: EU\n", NULL, "t.yaml:1: ", "field");
}

/* A condition that is not a mapping (here a list) is refused with its line. */
static void test_not_a_mapping(void **state) {
    (void)state;
    lr_err err = {0};
    lr_cfg_doc *doc = lr_cfg_load_string("t.yaml", "c:\n  - field: region\n", &err);
    assert_non_null(doc);
    assert_null(lr_predicate_parse(lr_cfg_get(lr_cfg_root(doc), "c"), NULL, &err));
    assert_non_null(strstr(err.msg, "t.yaml:2: "));
    assert_non_null(strstr(err.msg, "must be a mapping"));
    lr_cfg_free(doc);
}

/* Patterns that would make glibc's regcomp exponential are refused with
 * their line before regcomp runs; ordinary ones still compile. */
static void test_regex_cost(void **state) {
    (void)state;
    static const char *const bad[][2] = {
        {"x++++++++++++++++++++++++", "repetition of a repetition at byte 2"},
        {"(?i)a*{2}", "repetition of a repetition"},
        {"a{101}", "a bound over 100"},
        {"a{1,99999999999999999999}", "a bound over 100"},
        {"(x{100}){21}", "more than 2000 copies"},
        {"(((((((((x)))))))))", "nested deeper than 8"},
        {"(x*)*\\\\1y", "a back-reference at byte 5"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char yaml[128];
        snprintf(yaml, sizeof(yaml), "field: job_title\nregex: \"%s\"\n", bad[i][0]);
        expect_error(yaml, NULL, "t.yaml:2:", bad[i][1]);
    }
    char big[700];
    int n = snprintf(big, sizeof(big), "field: job_title\nregex: \"");
    memset(big + n, 'a', 513);
    strcpy(big + n + 513, "\"\n");
    expect_error(big, NULL, "t.yaml:2:", "longer than 512 bytes");
    /* at the limits, and the usual shapes */
    char why[96];
    const char *ok[] = {"(x{100}){20}", "((((((((x+)+)+)+)+)+)+)+)", "x{2,}", "[+*]+\\++",
                        "^(chief|vp|vice president)( |$)", "[[:alpha:]]{2,40}@[a-z.]+$", "a|*"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (lr_regex_check(ok[i], NULL, why, sizeof(why))) fail_msg("%s refused: %s", ok[i], why);
    size_t cost = 0;
    assert_null(lr_regex_check("(x{100}){20}", &cost, why, sizeof(why)));
    assert_int_equal(cost, 2000);
    assert_null(lr_regex_check("^(ab+|c)d$", &cost, why, sizeof(why)));
    assert_int_equal(cost, 5); /* a b b c d: '+' copies b, anchors and '|' count nothing */
    lr_lead l;
    lead_init(&l);
    l.job_title = S("xxxx");
    assert_true(match_yaml("field: job_title\nregex: \"^(x{2}){2}$\"\n", &l));
    assert_false(match_yaml("field: job_title\nregex: \"^(x{2}){3}$\"\n", &l));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_case_insensitive),
        cmocka_unit_test(test_equals_numeric),
        cmocka_unit_test(test_one_of),
        cmocka_unit_test(test_range_inclusive),
        cmocka_unit_test(test_prefix_suffix),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_regex_icase_equivalence),
        cmocka_unit_test(test_regex_literal_fast_path),
        cmocka_unit_test(test_regex_literal_icase),
        cmocka_unit_test(test_every_text_field),
        cmocka_unit_test(test_match_many),
        cmocka_unit_test(test_present),
        cmocka_unit_test(test_attrs_and_email_domain),
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_extra_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_not_a_mapping),
        cmocka_unit_test(test_regex_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
