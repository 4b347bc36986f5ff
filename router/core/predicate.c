/* predicate.c - one test on one lead field (see predicate.h).
 *
 * Everything that can be decided once is decided when the predicate is
 * built: the field is resolved to an index, regexes are compiled and the
 * values copied next to their lengths. Matching then only compares. Reading
 * the test from the configuration file is config/rules_predicate.c's job.
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

/* What matching reads comes first, so that a test touches one cache line of
 * its predicate (allocated on a line of its own): ~40 run per lead, and a
 * miss on each was a fifth of their time. */
struct lr_predicate {
    /* Offset of the field's lr_str inside lr_lead, or -1 when the value is
     * derived (email_domain, consent, attrs.*) and lr_lead_string computes it:
     * the call was most of a cheap test. */
    ptrdiff_t str_off;
    lr_predicate_test kind;
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

/* ---- construction */

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

/* ---- regex cost (see predicate.h) ------------------------------------------ */

typedef struct regex_cost {
    int64_t group[LR_REGEX_MAX_DEPTH + 1]; /* copies of atoms in each open group */
    int depth;
    int64_t last;  /* copies in the operand a following repetition applies to */
    bool after_rep;/* the previous token was a repetition */
} regex_cost;

static int64_t cost_mul(int64_t a, int64_t b) {
    return a > LR_REGEX_MAX_COST || b > LR_REGEX_MAX_COST ? LR_REGEX_MAX_COST + 1 : a * b;
}

/* Length of the "{n}", "{n,}" or "{n,m}" at s with its largest count in
 * *max (-1 when a count is over the limit); 0 when s is not a bound. */
static size_t read_bound(const char *s, int64_t *max) {
    size_t i = 1;
    int64_t n[2] = {0, -1};
    for (int k = 0; k < 2; k++) {
        if (k == 1) {
            if (s[i] != ',') break;
            i++;
            n[1] = s[i] >= '0' && s[i] <= '9' ? 0 : n[0] + 1; /* "{n,}": n, then a star */
        }
        while (s[i] >= '0' && s[i] <= '9') {
            n[k] = n[k] * 10 + (s[i++] - '0');
            if (n[k] > LR_REGEX_MAX_REPEAT) n[k] = LR_REGEX_MAX_REPEAT + 1;
        }
    }
    if (s[i] != '}') return 0;
    *max = n[1] > n[0] ? n[1] : n[0];
    if (*max > LR_REGEX_MAX_REPEAT) *max = -1;
    return i + 1;
}

/* Length of the bracket expression at s ('['), as regcomp reads it. */
static size_t bracket_len(const char *s) {
    size_t i = 1;
    if (s[i] == '^') i++;
    for (bool first = true; s[i] && (s[i] != ']' || first); first = false)
        i += bracket_elem_len(s + i);
    return s[i] == ']' ? i + 1 : i;
}

/* Applies a repetition that copies the last operand `times` times. */
static const char *cost_repeat(regex_cost *c, int64_t times, size_t at, char *why, size_t n) {
    if (c->after_rep) {
        snprintf(why, n, "repetition of a repetition at byte %zu", at);
        return why;
    }
    c->group[c->depth] += cost_mul(c->last, times - 1);
    c->last = cost_mul(c->last, times);
    c->after_rep = true;
    return NULL;
}

const char *lr_regex_check(const char *pat, size_t *cost, char *why, size_t n) {
    size_t len = strlen(pat);
    if (len > LR_REGEX_MAX_LEN) {
        snprintf(why, n, "longer than %d bytes", LR_REGEX_MAX_LEN);
        return why;
    }
    regex_cost c = {.last = 0};
    for (size_t i = 0; i < len;) {
        char ch = pat[i];
        const char *bad = NULL;
        size_t step = 1;
        int64_t max;
        if (ch == '*' || ch == '?') {
            bad = cost_repeat(&c, 1, i, why, n);
        } else if (ch == '+') {
            bad = cost_repeat(&c, 2, i, why, n);
        } else if (ch == '{' && (step = read_bound(pat + i, &max)) > 0) {
            if (max < 0) {
                snprintf(why, n, "a bound over %d at byte %zu", LR_REGEX_MAX_REPEAT, i);
                return why;
            }
            bad = cost_repeat(&c, max ? max : 1, i, why, n);
        } else if (ch == '(') {
            if (++c.depth > LR_REGEX_MAX_DEPTH) {
                snprintf(why, n, "groups nested deeper than %d", LR_REGEX_MAX_DEPTH);
                return why;
            }
            c.group[c.depth] = 0;
            c.after_rep = false;
            c.last = 0;
        } else if (ch == ')' && c.depth > 0) {
            c.last = c.group[c.depth--];
            c.group[c.depth] += c.last;
            c.after_rep = false;
        } else if (ch == '\\' && pat[i + 1] >= '1' && pat[i + 1] <= '9') {
            snprintf(why, n, "a back-reference at byte %zu", i);
            return why;
        } else {
            step = ch == '\\' && pat[i + 1] ? 2 : ch == '[' ? bracket_len(pat + i) : 1;
            c.last = ch == '|' || ch == '^' || ch == '$' ? 0 : 1; /* anchors copy nothing */
            c.group[c.depth] += c.last;
            c.after_rep = false;
        }
        if (bad) return bad;
        if (c.group[c.depth] > LR_REGEX_MAX_COST) {
            snprintf(why, n, "expands to more than %d copies of its atoms", LR_REGEX_MAX_COST);
            return why;
        }
        i += step ? step : 1;
    }
    if (cost) *cost = (size_t)c.group[0];
    return NULL;
}

/* Compiles the pattern once; "(?i)" is folded (see above). */
static int compile_regex(lr_predicate *p, const char *pattern, lr_err *err) {
    /* POSIX has no inline flags; accept the common "(?i)" spelling. */
    bool icase = strncmp(pattern, "(?i)", 4) == 0;
    char why[96];
    if (lr_regex_check(icase ? pattern + 4 : pattern, NULL, why, sizeof(why))) {
        lr_err_set(err, LR_ERR_FATAL, "regex '%.*s%s' is too costly: %s", 40, pattern,
                   strlen(pattern) > 40 ? "..." : "", why);
        return -1;
    }
    char *pat = icase ? fold_pattern(pattern + 4) : xstrdup(pattern);
    int rc = regcomp(&p->re, pat, REG_EXTENDED | REG_NOSUB);
    free(pat);
    if (rc != 0) {
        char msg[160];
        regerror(rc, &p->re, msg, sizeof(msg));
        lr_err_set(err, LR_ERR_FATAL, "bad regex '%s': %s", pattern, msg);
        return -1;
    }
    p->re_ok = true;
    literal_alternation(p, icase ? pattern + 4 : pattern, icase);
    return 0;
}

/* Copies the values the test compares with: numbers for a numeric field,
 * strings (with their lengths) otherwise; a regex keeps its pattern for the
 * description. */
static void copy_values(lr_predicate *p, const lr_predicate_spec *s) {
    p->n = s->n;
    if (p->numeric && s->test != LR_PRED_REGEX) {
        p->nums = xcalloc(s->n, sizeof(*p->nums));
        for (size_t i = 0; i < s->n; i++) p->nums[i] = s->nums[i];
        return;
    }
    p->strs = xcalloc(s->n, sizeof(*p->strs));
    p->lens = xcalloc(s->n, sizeof(*p->lens));
    for (size_t i = 0; i < s->n; i++) {
        p->strs[i] = xstrdup(s->strs[i]);
        p->lens[i] = (uint32_t)strlen(s->strs[i]);
    }
}

lr_predicate *lr_predicate_new(const lr_predicate_spec *s, lr_err *err) {
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(lr_predicate)) != 0) abort();
    lr_predicate *p = memset(mem, 0, sizeof(lr_predicate));
    p->field_name = xstrdup(s->field);
    p->desc = xstrdup(s->desc ? s->desc : s->field);
    if (!lr_field_resolve(p->field_name, &p->ref) || p->ref.field == LR_FIELD_NONE) {
        lr_err_set(err, LR_ERR_FATAL, "unknown field '%s'", s->field);
        lr_predicate_free(p);
        return NULL;
    }
    p->kind = s->test;
    p->numeric = lr_field_is_numeric(p->ref.field);
    p->str_off = direct_offset(p->ref.field);
    p->present = s->present;
    p->has_min = s->has_min;
    p->has_max = s->has_max;
    p->min = s->min;
    p->max = s->max;
    if (s->test != LR_PRED_RANGE && s->test != LR_PRED_PRESENT) copy_values(p, s);
    if (s->test == LR_PRED_REGEX && compile_regex(p, s->strs[0], err) < 0) {
        lr_predicate_free(p);
        return NULL;
    }
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
    case LR_PRED_PRESENT: return have == p->present;
    case LR_PRED_RANGE:
        if (!have) return false;
        if (p->has_min && x < p->min) return false;
        if (p->has_max && x > p->max) return false;
        return true;
    case LR_PRED_EQUALS:
    case LR_PRED_ONE_OF:
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
    if (p->kind == LR_PRED_PRESENT) return have == p->present;
    if (!v.s) return false;
    switch (p->kind) {
    case LR_PRED_EQUALS:
    case LR_PRED_ONE_OF:
        for (size_t i = 0; i < p->n; i++)
            if (v.len == p->lens[i] && ieq_n(v.s, p->strs[i], v.len)) return true;
        return false;
    case LR_PRED_PREFIX: return v.len >= p->lens[0] && ieq_n(v.s, p->strs[0], p->lens[0]);
    case LR_PRED_SUFFIX:
        return v.len >= p->lens[0] && ieq_n(v.s + (v.len - p->lens[0]), p->strs[0], p->lens[0]);
    case LR_PRED_REGEX:
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
