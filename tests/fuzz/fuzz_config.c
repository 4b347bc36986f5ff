/* fuzz_config.c - libFuzzer harness for the configuration loader: arbitrary
 * bytes as the YAML file, through libyaml, the node tree and field maps
 * (config/cfg.c), every rule section into the core's rulebook and the Kafka
 * settings. A configuration either loads or is refused with "FILE:LINE: ...";
 * anything else (a crash, a leak, a hang, an error without its place) is a
 * finding.
 *
 * Time zones are read from the system's zoneinfo, as `lead-router check` does.
 * Run by tests/fuzz/run.sh; the seed corpus is tests/fuzz/corpus/fuzz_config/
 * (the documented example and the golden tests' configurations among them). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define NAME "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string(NAME, text, &err);
    if (cfg) {
        lr_config_free(cfg);
    } else if (strncmp(err.msg, NAME ":", strlen(NAME ":")) != 0) {
        fprintf(stderr, "fuzz_config: refused without FILE:LINE: '%s'\n", err.msg);
        abort();
    }
    free(text);
    return 0;
}
