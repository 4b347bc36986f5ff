/* predicate.c - one test on one lead field (see predicate.h).
 *
 * Everything that can be decided once is decided at parse time: the field is
 * resolved to an index, numbers are parsed, regexes compiled and the
 * description for explanations formatted. Matching then only compares.
 *
 * String comparisons (equals, one_of, prefix, suffix) ignore ASCII case:
 * marketing tools write "Software", "software" and "SOFTWARE" for the same
 * industry, and nobody means them to differ. Regexes are case-sensitive unless
 * they start with "(?i)", which is compiled as an equivalent case-sensitive
 * pattern (see fold_pattern) so that matching never allocates. The router
 * never calls setlocale, so regcomp works on bytes in the C locale. */
#include "predicate.h"

#include "buf.h"

#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum pred_kind {
    P_EQUALS = 0,
    P_ONE_OF,
    P_RANGE,
    P_PREFIX,
    P_SUFFIX,
    P_REGEX,
    P_PRESENT,
    P__COUNT
} pred_kind;

/* Test keys, indexed by pred_kind. */
static const char *const test_keys[P__COUNT] = {
    "equals", "one_of", "range", "prefix", "suffix", "regex", "present",
};

/* What matching reads comes first, so that a test touches one cache line of
 * its predicate (allocated on a line of its own): ~40 run per lead, and a
 * miss on each was a fifth of their time. */
struct lr_predicate {
    /* Offset of the field's lr_str inside lr_lead, or -1 when the value is
     * derived (email_domain, consent, attrs.*) and lr_lead_string computes it:
     * the call was most of a cheap test. */
    ptrdiff_t str_off;
    pred_kind kind;
    bool numeric;         /* the field is numeric: values are compared as numbers */
    bool present;         /* present: wanted presence */
    bool has_min, has_max;
    bool lit_icase;
    size_t n;             /* equals (1) / one_of: values */
    uint32_t *lens;
    char **strs;          /* string values */
    double *nums;         /* numeric values */
    double min, max;      /* range, inclusive */
    /* A regex that is only an alternation of plain words, like
     * "(?i)(chief|vp|head of)", matches exactly when one word occurs in the
     * value; searching for the words directly is ~20x cheaper than regexec. */
    size_t n_lit;
    char **lits;
    uint32_t *lit_lens;
    bool *lit_first;      /* [256]: byte values that start a word (both cases when icase) */
    lr_field_ref ref;
    char *field_name;     /* as written; ref.attr_key points into it */
    bool re_ok;
    regex_t re;
    char *desc;
};

/* ---- ASCII helpers: deliberately locale-free so matching is deterministic. */

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool ieq_n(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return false;
    return true;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (!p) abort();
    memcpy(p, s, n + 1);
    return p;
}

static void *xcalloc(size_t n, size_t sz) {
    void *p = calloc(n ? n : 1, sz);
    if (!p) abort();
    return p;
}

/* ---- parsing */

/* Where lr_lead_string would read a plain field; -1 for derived values. */
static ptrdiff_t direct_offset(lr_field f) {
    switch (f) {
    case LR_FIELD_LEAD_ID: return (ptrdiff_t)offsetof(lr_lead, lead_id);
    case LR_FIELD_SOURCE: return (ptrdiff_t)offsetof(lr_lead, source);
    case LR_FIELD_CHANNEL: return (ptrdiff_t)offsetof(lr_lead, channel);
    case LR_FIELD_CAMPAIGN: return (ptrdiff_t)offsetof(lr_lead, campaign);
    case LR_FIELD_EMAIL: return (ptrdiff_t)offsetof(lr_lead, email);
    case LR_FIELD_FIRST_NAME: return (ptrdiff_t)offsetof(lr_lead, first_name);
    case LR_FIELD_LAST_NAME: return (ptrdiff_t)offsetof(lr_lead, last_name);
    case LR_FIELD_JOB_TITLE: return (ptrdiff_t)offsetof(lr_lead, job_title);
    case LR_FIELD_PHONE: return (ptrdiff_t)offsetof(lr_lead, phone);
    case LR_FIELD_COMPANY_NAME: return (ptrdiff_t)offsetof(lr_lead, company_name);
    case LR_FIELD_COMPANY_DOMAIN: return (ptrdiff_t)offsetof(lr_lead, company_domain);
    case LR_FIELD_INDUSTRY: return (ptrdiff_t)offsetof(lr_lead, industry);
    case LR_FIELD_COUNTRY: return (ptrdiff_t)offsetof(lr_lead, country);
    case LR_FIELD_REGION: return (ptrdiff_t)offsetof(lr_lead, region);
    case LR_FIELD_LANGUAGE: return (ptrdiff_t)offsetof(lr_lead, language);
    case LR_FIELD_PRODUCT_INTEREST: return (ptrdiff_t)offsetof(lr_lead, product_interest);
    default: return -1;
    }
}

static bool key_in(const char *key, const char *const *list) {
    if (!list) return false;
    for (; *list; list++)
        if (strcmp(key, *list) == 0) return true;
    return false;
}

static int test_kind_of(const char *key) {
    for (int k = 0; k < P__COUNT; k++)
        if (strcmp(key, test_keys[k]) == 0) return k;
    return -1;
}

static int fail_unknown_field(lr_err *err, const lr_cfg_node *at, const char *name) {
    char known[512];
    size_t off = 0;
    known[0] = '\0';
    for (int f = LR_FIELD_NONE + 1; f < LR_FIELD__COUNT; f++) {
        if (f == LR_FIELD_ATTR) continue;
        int w = snprintf(known + off, sizeof(known) - off, "%s, ", lr_field_name((lr_field)f));
        if (w < 0 || (size_t)w >= sizeof(known) - off) break;
        off += (size_t)w;
    }
    snprintf(known + off, sizeof(known) - off, "attrs.<key>");
    return lr_cfg_fail(err, at, "unknown field '%s' (known: %s)", name, known);
}

static int fail_unknown_key(lr_err *err, const lr_cfg_node *map, size_t i,
                            const char *const *extra_keys) {
    char known[256];
    size_t off = (size_t)snprintf(known, sizeof(known), "field");
    for (int k = 0; k < P__COUNT; k++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, ", %s", test_keys[k]);
    for (; extra_keys && *extra_keys && off < sizeof(known); extra_keys++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, ", %s", *extra_keys);
    return lr_cfg_fail_key(err, map, i, "unknown key '%s' (known: %s)", map->keys[i], known);
}

/* A scalar value for equals / one_of: a number for numeric fields. */
static int parse_value(lr_predicate *p, const lr_cfg_node *v, size_t i, const char *what,
                       lr_err *err) {
    if (lr_cfg_expect(v, LR_CFG_SCALAR, what, err) < 0) return -1;
    if (p->numeric) {
        lr_err ignored;
        if (lr_cfg_as_double(v, &p->nums[i], &ignored) < 0)
            return lr_cfg_fail(err, v, "'%s' is not a number (%s is numeric)", v->scalar,
                               p->field_name);
    } else {
        p->strs[i] = xstrdup(v->scalar);
        p->lens[i] = (uint32_t)strlen(v->scalar);
    }
    return 0;
}

static void alloc_values(lr_predicate *p, size_t n) {
    p->n = n;
    if (p->numeric) {
        p->nums = xcalloc(n, sizeof(*p->nums));
    } else {
        p->strs = xcalloc(n, sizeof(*p->strs));
        p->lens = xcalloc(n, sizeof(*p->lens));
    }
}

static int parse_one_of(lr_predicate *p, const lr_cfg_node *v, lr_err *err) {
    if (lr_cfg_expect(v, LR_CFG_SEQ, "one_of", err) < 0) return -1;
    if (v->n == 0) return lr_cfg_fail(err, v, "one_of: the list is empty");
    alloc_values(p, v->n);
    for (size_t i = 0; i < v->n; i++)
        if (parse_value(p, v->items[i], i, "an item of one_of", err) < 0) return -1;
    return 0;
}

static int parse_range(lr_predicate *p, const lr_cfg_node *v, lr_err *err) {
    if (!p->numeric)
        return lr_cfg_fail(err, v, "range needs a numeric field (company_size, "
                                   "annual_revenue), not '%s'", p->field_name);
    if (lr_cfg_expect(v, LR_CFG_MAP, "range ({min, max})", err) < 0)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->keys[i];
        if (strcmp(k, "min") == 0) {
            if (lr_cfg_as_double(v->items[i], &p->min, err) < 0) return -1;
            p->has_min = true;
        } else if (strcmp(k, "max") == 0) {
            if (lr_cfg_as_double(v->items[i], &p->max, err) < 0) return -1;
            p->has_max = true;
        } else {
            return lr_cfg_fail_key(err, v, i, "range: unknown key '%s' (known: min, max)", k);
        }
    }
    if (!p->has_min && !p->has_max) return lr_cfg_fail(err, v, "range needs min, max or both");
    if (p->has_min && p->has_max && p->min > p->max)
        return lr_cfg_fail(err, v, "range: min %g is above max %g", p->min, p->max);
    return 0;
}

/* ---- case-insensitive regexes without REG_ICASE
 *
 * glibc's regexec allocates a case-folded copy of the subject on every call
 * when the pattern was compiled with REG_ICASE. To keep matching free of
 * allocation, "(?i)" is compiled instead as an equivalent case-sensitive
 * pattern: each ASCII letter outside a bracket expression becomes [xX], and
 * every bracket expression gets the other case of the letters it holds. */

static inline bool is_alpha(unsigned char c) { return lower(c) >= 'a' && lower(c) <= 'z'; }
static inline unsigned char swap_case(unsigned char c) { return (unsigned char)(c ^ 0x20); }

/* Length of a bracket element at s: "[:alpha:]", "[=a=]", "[.-.]" or one byte. */
static size_t bracket_elem_len(const char *s) {
    if (s[0] == '[' && (s[1] == ':' || s[1] == '=' || s[1] == '.')) {
        const char *end = strchr(s + 2, s[1]);
        while (end && end[1] != ']') end = strchr(end + 1, s[1]);
        if (end) return (size_t)(end + 2 - s);
    }
    return 1;
}

/* Copies the bracket expression starting at s ('[') with both cases of every
 * letter it matches; returns the number of bytes consumed. An unterminated
 * bracket is copied as it is, for regcomp to report. */
static size_t fold_bracket(const char *s, lr_buf *out) {
    size_t i = 1;
    lr_buf_putc(out, '[');
    if (s[i] == '^') lr_buf_putc(out, (uint8_t)s[i++]);
    bool first = true;
    while (s[i] && (s[i] != ']' || first)) {
        first = false;
        size_t l = bracket_elem_len(s + i);
        if (l == 1 && s[i + 1] == '-' && s[i + 2] && s[i + 2] != ']' &&
            bracket_elem_len(s + i + 2) == 1) {
            /* a range lo-hi: keep it, then add the letters it lacks */
            unsigned char lo = (unsigned char)s[i], hi = (unsigned char)s[i + 2];
            lr_buf_append(out, s + i, 3);
            for (unsigned c = lo; c <= hi; c++) {
                unsigned char sw = swap_case((unsigned char)c);
                if (is_alpha((unsigned char)c) && (sw < lo || sw > hi)) lr_buf_putc(out, sw);
            }
            i += 3;
            continue;
        }
        /* under "(?i)" upper and lower case classes both mean "a letter" */
        bool case_class = l == 9 && (strncmp(s + i, "[:upper:]", 9) == 0 ||
                                     strncmp(s + i, "[:lower:]", 9) == 0);
        lr_buf_append(out, case_class ? "[:alpha:]" : s + i, l);
        unsigned char c = (unsigned char)s[i];
        if (l == 1 && is_alpha(c)) lr_buf_putc(out, swap_case(c));
        i += l;
    }
    if (s[i] == ']') lr_buf_putc(out, (uint8_t)s[i++]);
    return i;
}

/* Returns a malloc'd NUL-terminated case-insensitive form of pat. */
static char *fold_pattern(const char *pat) {
    lr_buf out;
    lr_buf_init(&out);
    for (size_t i = 0; pat[i];) {
        unsigned char c = (unsigned char)pat[i];
        if (c == '\\' && pat[i + 1]) { /* escapes (\. \w \b ...) stay as they are */
            lr_buf_append(&out, pat + i, 2);
            i += 2;
        } else if (c == '[') {
            i += fold_bracket(pat + i, &out);
        } else if (is_alpha(c)) {
            uint8_t cls[4] = {'[', c, swap_case(c), ']'};
            lr_buf_append(&out, cls, 4);
            i++;
        } else {
            lr_buf_putc(&out, c);
            i++;
        }
    }
    lr_buf_putc(&out, '\0');
    return (char *)out.data;
}

static bool plain_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == ' ' || c == '_' || c == '-' || c == '@' || c == ',' || c == '/' || c == ':';
}

/* Recognises "word|word" or "(word|word)" with no other regex syntax and
 * keeps the words; anything else stays with regexec. */
static void literal_alternation(lr_predicate *p, const char *body, bool icase) {
    size_t len = strlen(body);
    if (len >= 2 && body[0] == '(' && body[len - 1] == ')') {
        body++;
        len -= 2;
    }
    if (len == 0) return;
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        if (body[i] == '|') n++;
        else if (!plain_word_char(body[i])) return;
    }
    p->lits = xcalloc(n, sizeof(*p->lits));
    p->lit_lens = xcalloc(n, sizeof(*p->lit_lens));
    p->lit_first = xcalloc(256, sizeof(*p->lit_first));
    const char *start = body;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && body[i] != '|') continue;
        size_t wl = (size_t)(body + i - start);
        if (wl == 0) { /* an empty alternative matches everything: leave it to regexec */
            for (size_t k = 0; k < p->n_lit; k++) free(p->lits[k]);
            free(p->lits);
            free(p->lit_lens);
            free(p->lit_first);
            p->lits = NULL;
            p->lit_lens = NULL;
            p->lit_first = NULL;
            p->n_lit = 0;
            return;
        }
        char *w = malloc(wl + 1);
        if (!w) abort();
        for (size_t k = 0; k < wl; k++) w[k] = icase ? (char)lower((unsigned char)start[k]) : start[k];
        w[wl] = '\0';
        p->lits[p->n_lit] = w;
        p->lit_lens[p->n_lit++] = (uint32_t)wl;
        p->lit_first[(unsigned char)w[0]] = true;
        if (icase && w[0] >= 'a' && w[0] <= 'z') p->lit_first[(unsigned char)w[0] - 32] = true;
        start = body + i + 1;
    }
    p->lit_icase = icase;
}

/* One pass over the value: only a byte that starts some word is tried
 * against the words. */
static __attribute__((noinline)) bool contains_word(const lr_predicate *p, lr_str v) {
    for (uint32_t i = 0; i < v.len; i++) {
        if (!p->lit_first[(unsigned char)v.s[i]]) continue;
        unsigned char c = p->lit_icase ? lower((unsigned char)v.s[i]) : (unsigned char)v.s[i];
        for (size_t w = 0; w < p->n_lit; w++) {
            uint32_t wl = p->lit_lens[w];
            const char *word = p->lits[w];
            if ((unsigned char)word[0] != c || wl > v.len - i) continue;
            if (p->lit_icase ? ieq_n(v.s + i, word, wl) : memcmp(v.s + i, word, wl) == 0)
                return true;
        }
    }
    return false;
}

static int parse_regex(lr_predicate *p, const lr_cfg_node *v, lr_err *err) {
    if (p->numeric)
        return lr_cfg_fail(err, v, "regex needs a text field, not numeric '%s'", p->field_name);
    if (lr_cfg_expect(v, LR_CFG_SCALAR, "regex", err) < 0) return -1;
    /* POSIX has no inline flags; accept the common "(?i)" spelling. */
    bool icase = strncmp(v->scalar, "(?i)", 4) == 0;
    char *pat = icase ? fold_pattern(v->scalar + 4) : xstrdup(v->scalar);
    int rc = regcomp(&p->re, pat, REG_EXTENDED | REG_NOSUB);
    free(pat);
    if (rc != 0) {
        char msg[160];
        regerror(rc, &p->re, msg, sizeof(msg));
        return lr_cfg_fail(err, v, "bad regex '%s': %s", v->scalar, msg);
    }
    p->re_ok = true;
    literal_alternation(p, icase ? v->scalar + 4 : v->scalar, icase);
    p->n = 1;
    p->strs = xcalloc(1, sizeof(*p->strs));
    p->lens = xcalloc(1, sizeof(*p->lens));
    p->strs[0] = xstrdup(v->scalar); /* kept for the description */
    p->lens[0] = (uint32_t)strlen(v->scalar);
    return 0;
}

static int parse_affix(lr_predicate *p, const lr_cfg_node *v, lr_err *err) {
    if (p->numeric)
        return lr_cfg_fail(err, v, "%s needs a text field, not numeric '%s'",
                           test_keys[p->kind], p->field_name);
    alloc_values(p, 1);
    return parse_value(p, v, 0, test_keys[p->kind], err);
}

static int parse_test(lr_predicate *p, const lr_cfg_node *v, lr_err *err) {
    switch (p->kind) {
    case P_EQUALS:
        alloc_values(p, 1);
        return parse_value(p, v, 0, "equals", err);
    case P_ONE_OF: return parse_one_of(p, v, err);
    case P_RANGE: return parse_range(p, v, err);
    case P_PREFIX:
    case P_SUFFIX: return parse_affix(p, v, err);
    case P_REGEX: return parse_regex(p, v, err);
    case P_PRESENT:
        if (lr_cfg_expect(v, LR_CFG_SCALAR, "present", err) < 0) return -1;
        return lr_cfg_as_bool(v, &p->present, err);
    default: return -1;
    }
}

/* ---- description, for explanations: "industry one_of [software, fintech]" */

static void describe(lr_predicate *p, const lr_cfg_node *v) {
    size_t cap = strlen(p->field_name) + 64;
    if (v->kind == LR_CFG_SCALAR) cap += strlen(v->scalar);
    for (size_t i = 0; v->kind != LR_CFG_SCALAR && i < v->n; i++)
        if (v->items[i]->kind == LR_CFG_SCALAR) cap += strlen(v->items[i]->scalar) + 2;
    char *d = malloc(cap);
    if (!d) abort();
    int off = snprintf(d, cap, "%s %s ", p->field_name, test_keys[p->kind]);
    switch (p->kind) {
    case P_ONE_OF:
        off += snprintf(d + off, cap - (size_t)off, "[");
        for (size_t i = 0; i < v->n; i++)
            off += snprintf(d + off, cap - (size_t)off, "%s%s", i ? ", " : "",
                            v->items[i]->scalar);
        snprintf(d + off, cap - (size_t)off, "]");
        break;
    case P_RANGE: {
        const lr_cfg_node *mn = lr_cfg_get(v, "min"), *mx = lr_cfg_get(v, "max");
        snprintf(d + off, cap - (size_t)off, "[%s..%s]", mn ? mn->scalar : "",
                 mx ? mx->scalar : "");
        break;
    }
    case P_PRESENT:
        snprintf(d + off, cap - (size_t)off, "%s", p->present ? "true" : "false");
        break;
    default:
        snprintf(d + off, cap - (size_t)off, "%s", v->scalar);
        break;
    }
    p->desc = d;
}

lr_predicate *lr_predicate_parse(const lr_cfg_node *map, const char *const *extra_keys,
                                 lr_err *err) {
    if (lr_cfg_expect(map, LR_CFG_MAP, "a condition (field plus one test)", err) < 0)
        return NULL;
    const lr_cfg_node *field = NULL, *test = NULL;
    int kind = -1;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i];
        int tk = test_kind_of(k);
        if (strcmp(k, "field") == 0) {
            field = map->items[i];
        } else if (tk >= 0) {
            if (test) {
                lr_cfg_fail_key(err, map, i, "both '%s' and '%s': a condition takes "
                                "exactly one test", test_keys[kind], k);
                return NULL;
            }
            test = map->items[i];
            kind = tk;
        } else if (!key_in(k, extra_keys)) {
            fail_unknown_key(err, map, i, extra_keys);
            return NULL;
        }
    }
    if (!field) {
        lr_cfg_fail(err, map, "condition without 'field'");
        return NULL;
    }
    if (lr_cfg_expect(field, LR_CFG_SCALAR, "field", err) < 0) return NULL;
    if (!test) {
        lr_cfg_fail(err, map, "field '%s' without a test (one of equals, one_of, range, "
                    "prefix, suffix, regex, present)", field->scalar);
        return NULL;
    }

    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(lr_predicate)) != 0) abort();
    lr_predicate *p = memset(mem, 0, sizeof(lr_predicate));
    p->field_name = xstrdup(field->scalar);
    if (!lr_field_resolve(p->field_name, &p->ref) || p->ref.field == LR_FIELD_NONE) {
        fail_unknown_field(err, field, field->scalar);
        lr_predicate_free(p);
        return NULL;
    }
    p->kind = (pred_kind)kind;
    p->numeric = lr_field_is_numeric(p->ref.field);
    p->str_off = direct_offset(p->ref.field);
    if (parse_test(p, test, err) < 0) {
        lr_predicate_free(p);
        return NULL;
    }
    describe(p, test);
    return p;
}

void lr_predicate_free(lr_predicate *p) {
    if (!p) return;
    for (size_t i = 0; p->strs && i < p->n; i++) free(p->strs[i]);
    free(p->strs);
    free(p->lens);
    free(p->nums);
    if (p->re_ok) regfree(&p->re);
    for (size_t i = 0; i < p->n_lit; i++) free(p->lits[i]);
    free(p->lits);
    free(p->lit_lens);
    free(p->lit_first);
    free(p->field_name);
    free(p->desc);
    free(p);
}

/* ---- matching: no allocation, no name lookup */

static inline bool match_number(const lr_predicate *p, const lr_lead *lead) {
    double x;
    bool have = lr_lead_number(lead, &p->ref, &x);
    switch (p->kind) {
    case P_PRESENT: return have == p->present;
    case P_RANGE:
        if (!have) return false;
        if (p->has_min && x < p->min) return false;
        if (p->has_max && x > p->max) return false;
        return true;
    case P_EQUALS:
    case P_ONE_OF:
        if (!have) return false;
        for (size_t i = 0; i < p->n; i++)
            if (x == p->nums[i]) return true;
        return false;
    default: return false; /* rejected at parse time */
    }
}

static inline bool match_string(const lr_predicate *p, const lr_lead *lead) {
    lr_str v = p->str_off >= 0 ? *(const lr_str *)((const char *)lead + p->str_off)
                               : lr_lead_string(lead, &p->ref);
    /* An empty string is what CRMs send for "nothing": treat it as absent. */
    bool have = v.s != NULL && v.len > 0;
    if (p->kind == P_PRESENT) return have == p->present;
    if (!v.s) return false;
    switch (p->kind) {
    case P_EQUALS:
    case P_ONE_OF:
        for (size_t i = 0; i < p->n; i++)
            if (v.len == p->lens[i] && ieq_n(v.s, p->strs[i], v.len)) return true;
        return false;
    case P_PREFIX: return v.len >= p->lens[0] && ieq_n(v.s, p->strs[0], p->lens[0]);
    case P_SUFFIX:
        return v.len >= p->lens[0] && ieq_n(v.s + (v.len - p->lens[0]), p->strs[0], p->lens[0]);
    case P_REGEX:
        return p->n_lit ? contains_word(p, v) : regexec(&p->re, v.s, 0, NULL, 0) == 0;
    default: return false;
    }
}

bool lr_predicate_match(const lr_predicate *p, const lr_lead *lead) {
    return p->numeric ? match_number(p, lead) : match_string(p, lead);
}

void lr_predicate_match_many(const lr_predicate *const *ps, size_t n, const lr_lead *lead,
                             bool *hits) {
    for (size_t i = 0; i < n; i++)
        hits[i] = ps[i]->numeric ? match_number(ps[i], lead) : match_string(ps[i], lead);
}

const char *lr_predicate_describe(const lr_predicate *p) { return p->desc; }
