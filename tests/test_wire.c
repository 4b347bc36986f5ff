/* test_wire.c - the wire contract's field tables: well formed, and their
 * lookups. (That they agree with the schema files is checked by lr_codec_new,
 * tested in test_codec.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "event.h"
#include "lead.h"
#include "wire.h"

static void check_record(const lr_wire_record *rec) {
    assert_non_null(rec);
    assert_true(rec->n > 0 && rec->n < 64); /* readers keep "seen" in 64 bits */
    for (uint32_t i = 0; i < rec->n; i++) {
        const lr_wire_field *f = &rec->f[i];
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(rec->f[j].name, f->name) == 0) fail_msg("%s.%s twice", rec->name, f->name);
        if (f->type != LR_F_VERSION && f->off >= rec->size)
            fail_msg("%s.%s: slot outside the struct", rec->name, f->name);
        if (f->is_time) assert_int_equal(f->type, LR_F_LONG);
        if (f->type == LR_F_ENUM) {
            assert_true(f->nsym > 0);
            for (int v = 0; v < f->nsym; v++) assert_non_null(f->sym(v));
        }
        if (f->type == LR_F_ARRAY) check_record(f->items);
    }
}

static void test_tables(void **state) {
    (void)state;
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) check_record(lr_wire_record_of((lr_schema_kind)k));
    assert_null(lr_wire_record_of(LR_SCHEMA__COUNT));
    assert_string_equal(lr_wire_record_of(LR_SCHEMA_LEAD)->name, "Lead");
    assert_int_equal(lr_wire_record_of(LR_SCHEMA_LEAD)->size, sizeof(lr_lead));
    assert_string_equal(lr_wire_attr_value()->name, "value");
}

static const lr_wire_field *field(lr_schema_kind k, const char *name) {
    const lr_wire_record *rec = lr_wire_record_of(k);
    for (uint32_t i = 0; i < rec->n; i++)
        if (strcmp(rec->f[i].name, name) == 0) return &rec->f[i];
    fail_msg("no field %s", name);
    return NULL;
}

static void test_enum_parse(void **state) {
    (void)state;
    const lr_wire_field *kind = field(LR_SCHEMA_SALES_ACTIVITY, "kind");
    int v = -1;
    assert_true(lr_wire_enum_parse(kind, "CONVERTED", &v));
    assert_int_equal(v, LR_SALES_CONVERTED);
    assert_true(lr_wire_enum_parse(kind, "rejected", &v));
    assert_int_equal(v, LR_SALES_REJECTED);
    assert_false(lr_wire_enum_parse(kind, "called", &v));
    const lr_wire_field *type = field(LR_SCHEMA_LEAD, "activities")->items->f;
    assert_string_equal(type->name, "type");
    assert_int_equal(type->unknown_as, LR_ACT_OTHER); /* what readers use for unknown types */
}

/* Defaults are the "absent" values the rest of the router expects. */
static void test_defaults(void **state) {
    (void)state;
    lr_lead l;
    memset(&l, 0x5a, sizeof(l));
    lr_wire_defaults(lr_wire_record_of(LR_SCHEMA_LEAD), &l);
    assert_null(l.source.s);
    assert_int_equal(l.company_size, -1);
    assert_int_equal(l.annual_revenue, -1);
    assert_false(l.consent_known);
    assert_int_equal(l.n_activities, 0);
    assert_int_equal(l.attrs_dropped, 0);
    lr_decision d;
    memset(&d, 0x5a, sizeof(d));
    lr_wire_defaults(lr_wire_record_of(LR_SCHEMA_DECISION), &d);
    assert_int_equal(d.sla_due_at, LR_TIME_NONE);
    assert_null(d.tier);
    assert_int_equal(d.n_reasons, 0);
    assert_string_equal(lr_wire_type_name(LR_F_OPT_TIME), "[null, long]");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_enum_parse),
        cmocka_unit_test(test_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
