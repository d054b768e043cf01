/* A deterministic generator of realistic blocklist domains: a seeded PRNG,
 * a weighted mix of TLDs, 2 to 5 labels, ad/tracker-style subdomain labels,
 * and distinct names, written in the shapes of public hosts-format lists. */
#ifndef SMB_BENCH_GEN_H
#define SMB_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gen {
	uint64_t state;
};

void gen_seed(struct gen *g, uint64_t seed);
uint64_t gen_next(struct gen *g);
/* One realistic name of `labels` labels (0: drawn 2..5) into buf (>= 256
 * bytes); returns its length. Not necessarily distinct. */
size_t gen_name(struct gen *g, int labels, char *buf);
/* `n` distinct names into one buffer of NUL-separated strings (malloc'd);
 * offsets[i] is where name i starts. */
char *gen_names(uint64_t seed, size_t n, size_t **offsets);
/* Writes names as a hosts-format blocklist with the header, the localhost
 * block and the comments that public lists carry. */
int gen_write_hosts(FILE *f, const char *names, const size_t *off, size_t n);

#endif
