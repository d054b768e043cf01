/* Input files for the DNS forwarder benchmark (bench/dns/run.sh), all
 * deterministic: the 1M-domain hosts list of bench/domains (same generator,
 * same seed), the same names as dnsmasq address=/name/ lines, dnsperf query
 * files of listed names (blocked during a break) and of names that no list
 * entry covers (forwarded), and the forwarded names as a one-name-per-line
 * file for the latency client.
 * Usage: bench_dns_gen DIR [--n LIST_NAMES] [--q QUERY_NAMES] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../domains/gen.h"
#include "domains.h"

#define LIST_SEED    1                     /* bench_domains' list */
#define FORWARD_SEED 0x5eedf0a4d0000001ull /* names asked that are in no list */
#define PICK_SEED    0x5eedb10c00000002ull /* which listed names are asked */

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench_dns_gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void close_out(FILE *f, const char *name)
{
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "bench_dns_gen: writing %s failed\n", name);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	size_t n = 1000000, q = 1000000;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [--n LIST_NAMES] [--q QUERY_NAMES]\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--q") == 0 && i + 1 < argc)
			q = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "bench_dns_gen: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (n == 0 || q == 0)
		return 2;

	size_t *off;
	char *names = gen_names(LIST_SEED, n, &off);
	FILE *f = open_out(dir, "list.txt");
	gen_write_hosts(f, names, off, n);
	close_out(f, "list.txt");

	/* address=/name/ without an address: NXDOMAIN for the name and its
	 * subdomains, the same answer and scope as our blocked_answer = nxdomain. */
	f = open_out(dir, "dnsmasq-list.conf");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "address=/%s/\n", names + off[i]);
	close_out(f, "dnsmasq-list.conf");

	/* Listed names in a random order, so that neither daemon gets the cache
	 * locality of asking them in list order. */
	struct gen g;
	gen_seed(&g, PICK_SEED);
	f = open_out(dir, "q-blocked.txt");
	for (size_t i = 0; i < q; i++)
		fprintf(f, "%s A\n", names + off[gen_next(&g) % n]);
	close_out(f, "q-blocked.txt");

	/* Forwarded names: same generator, another seed, minus every name that a
	 * list entry covers (itself or a parent listed), so that none is blocked. */
	struct domains_builder *b = domains_builder_new();
	if (!b || domains_builder_origin(b, 0, false, "generated") < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (domains_builder_add(b, names + off[i], strlen(names + off[i]), 0,
		                        (uint32_t)i + 1) < 0)
			return 1;
	struct domains *d = domains_builder_finish(b);
	if (!d)
		return 1;
	size_t *qoff;
	size_t cand = q + q / 20 + 100;
	char *qn = gen_names(FORWARD_SEED, cand, &qoff);
	FILE *fq = open_out(dir, "q-forward.txt");
	FILE *fl = open_out(dir, "forward-names.txt");
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < cand && kept < q; i++) {
		struct domains_match m;
		const char *s = qn + qoff[i];
		if (domains_match(d, s, strlen(s), &m)) {
			dropped++;
			continue;
		}
		fprintf(fq, "%s A\n", s);
		fprintf(fl, "%s\n", s);
		kept++;
	}
	close_out(fq, "q-forward.txt");
	close_out(fl, "forward-names.txt");
	if (kept < q) {
		fprintf(stderr, "bench_dns_gen: only %zu forwarded names\n", kept);
		return 1;
	}
	printf("list %zu names; %zu blocked queries; %zu forwarded queries (%zu candidates "
	       "covered by the list dropped)\n",
	       n, q, kept, dropped);
	domains_free(d);
	free(qn);
	free(qoff);
	free(names);
	free(off);
	return 0;
}
