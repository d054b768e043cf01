/* Benchmark of the nftables module against nft(8) in the same run: 100,000
 * addresses (half IPv4, half IPv6, each with its own timeout) spread over the
 * learned sets of 8 lists in one transaction, versus `nft -f` of a file with
 * the same elements; memory growth while doing it and over repeated sends;
 * carrying them into a new table (a restart: read back, replaced in one
 * transaction); break start and end latency with 64 lists configured and in
 * force (the call until every acknowledgement is in, i.e. the rules are in
 * force).
 * Must run as root inside a network namespace of its own (run.sh does that).
 *
 *   bench_nft [--quick] [--check]
 * --quick: fewer elements and rounds (a smoke run); --check: exit 1 when a
 * target of DESIGN.md section 10 is missed. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nft.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in kB. */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS, so that it then shows the peak of one step. */
static void reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define LISTS_LEARNED 8  /* lists the learned addresses are spread over */
#define LISTS_MAX     64 /* lists configured for the break start and the carry */

/* Deterministic addresses: 10.x.y.z and 2001:db8::/96 + i, timeouts 10 min to
 * about 2 h spread over the elements as learned addresses would be, each
 * address in one of the first LISTS_LEARNED lists. */
static struct nft_elem *make_elems(size_t n)
{
	struct nft_elem *v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = (uint32_t)(i / 2);
		v[i].timeout_ms = 600000u + (uint32_t)(i % 6000) * 1000u;
		v[i].lists = 1ull << (k % LISTS_LEARNED);
		if (i % 2 == 0) {
			v[i].family = AF_INET;
			v[i].addr.v4.s_addr = htonl(0x0a000000u + k);
		} else {
			v[i].family = AF_INET6;
			memcpy(v[i].addr.v6.s6_addr, "\x20\x01\x0d\xb8", 4);
			uint32_t be = htonl(k);
			memcpy(&v[i].addr.v6.s6_addr[12], &be, 4);
		}
	}
	return v;
}

static void list_config(struct nft_config *cfg, size_t n_lists)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_lists = n_lists;
	for (size_t i = 0; i < n_lists; i++)
		snprintf(cfg->lists[i], sizeof(cfg->lists[i]), "list%zu", i);
}

/* The same elements as an nft script: one add element command per set. */
static int write_nft_file(const char *path, const struct nft_config *cfg, const struct nft_elem *v,
                          size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	for (unsigned l = 0; l < LISTS_LEARNED; l++)
		for (int fam = 0; fam < 2; fam++) {
			int family = fam == 0 ? AF_INET : AF_INET6;
			bool first = true;
			char set[NFT_SET_NAME_MAX];
			nft_set_name(set, NFT_SET_LEARNED, family, cfg->lists[l]);
			fprintf(f, "add element inet %s %s { ", NFT_TABLE, set);
			for (size_t i = 0; i < n; i++) {
				char a[INET6_ADDRSTRLEN];
				if (v[i].family != family || !nft_elem_in(&v[i], l))
					continue;
				inet_ntop(family, &v[i].addr, a, sizeof(a));
				fprintf(f, "%s%s timeout %us", first ? "" : ", ", a,
				        v[i].timeout_ms / 1000);
				first = false;
			}
			fprintf(f, " }\n");
		}
	return fclose(f) == 0 ? 0 : -errno;
}

static double run_nft_f(const char *path)
{
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		execlp("nft", "nft", "-f", path, (char *)NULL);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return now_s() - t0;
}

static int fail_nft(struct nft *nft, const char *what, int r)
{
	fprintf(stderr, "bench_nft: %s: %s\n%s\n", what, strerror(-r), nft_error(nft));
	return 1;
}

int main(int argc, char **argv)
{
	bool quick = false, check = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else {
			fprintf(stderr, "usage: bench_nft [--quick] [--check]\n");
			return 2;
		}
	}
	const size_t n = quick ? 10000 : 100000;
	const int rounds = quick ? 3 : 7, breaks = quick ? 50 : 500, repeats = quick ? 3 : 20;
	char path[] = "/tmp/bench_nft.XXXXXX";
	struct nft *nft;
	struct nft_config cfg;
	int r;

	log_init(LOG_WARNING);
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	struct nft_elem *v = make_elems(n);
	list_config(&cfg, LISTS_LEARNED);
	if (!v || write_nft_file(path, &cfg, v, n) < 0) {
		fprintf(stderr, "bench_nft: cannot prepare the elements\n");
		return 1;
	}
	if ((r = nft_new(&nft)) < 0) {
		fprintf(stderr, "bench_nft: netlink socket: %s\n", strerror(-r));
		return 1;
	}
	if ((r = nft_table_replace(nft, &cfg, NULL, NULL)) < 0)
		return fail_nft(nft, "table", r);

	/* 1. n elements in one transaction, ours and nft -f, alternating */
	double ours[16], theirs[16], grow_kb_max = 0;
	struct nft_batch_stats bs = {0};
	for (int i = 0; i < rounds; i++) {
		if ((r = nft_elements_flush(nft)) < 0)
			return fail_nft(nft, "flush", r);
		long rss0 = status_kb("VmRSS");
		reset_peak();
		double t0 = now_s();
		if ((r = nft_elements_add(nft, v, n)) < 0)
			return fail_nft(nft, "add", r);
		ours[i] = now_s() - t0;
		double grow = (double)(status_kb("VmHWM") - rss0);
		if (grow > grow_kb_max)
			grow_kb_max = grow;
		nft_last_batch(nft, &bs);

		if ((r = nft_elements_flush(nft)) < 0)
			return fail_nft(nft, "flush", r);
		theirs[i] = run_nft_f(path);
		if (theirs[i] < 0) {
			fprintf(stderr, "bench_nft: nft -f %s failed\n", path);
			return 1;
		}
	}
	struct nft_counts c;
	if ((r = nft_counts(nft, &c)) < 0)
		return fail_nft(nft, "counts", r);
	if (c.learned4 + c.learned6 != n) {
		fprintf(stderr, "bench_nft: nft -f left %zu elements, want %zu\n",
		        c.learned4 + c.learned6, n);
		return 1;
	}
	if ((r = nft_elements_add(nft, v, n)) < 0 || (r = nft_counts(nft, &c)) < 0)
		return fail_nft(nft, "add", r);
	if (c.learned4 != n / 2 || c.learned6 != n - n / 2) {
		fprintf(stderr, "bench_nft: %zu + %zu elements in the sets, want %zu\n", c.learned4,
		        c.learned6, n);
		return 1;
	}
	double med_ours = median(ours, (size_t)rounds), med_theirs = median(theirs, (size_t)rounds);

	/* 2. memory over repeated sends of the same elements (timeouts refreshed) */
	long rss_first = 0, rss_last = 0;
	for (int i = 0; i < repeats; i++) {
		if ((r = nft_elements_add(nft, v, n)) < 0)
			return fail_nft(nft, "add", r);
		if (i == 0)
			rss_first = status_kb("VmRSS");
		rss_last = status_kb("VmRSS");
	}

	/* 3. a restart: the n elements carried into a new table with 64 lists */
	struct nft_elem *carried = NULL;
	size_t n_carried = 0;
	list_config(&cfg, LISTS_MAX);
	double t_carry = now_s();
	if ((r = nft_table_replace(nft, &cfg, &carried, &n_carried)) < 0)
		return fail_nft(nft, "replace with the elements", r);
	t_carry = now_s() - t_carry;
	free(carried);
	if ((r = nft_counts(nft, &c)) < 0)
		return fail_nft(nft, "counts", r);
	if (n_carried != n || c.learned4 + c.learned6 != n) {
		fprintf(stderr, "bench_nft: %zu carried, %zu in the new table, want %zu\n",
		        n_carried, c.learned4 + c.learned6, n);
		return 1;
	}

	/* 4. break start, every list in force: the call until the rules are in
	 * force, and break end */
	double *on = calloc((size_t)breaks, sizeof(double));
	double *off = calloc((size_t)breaks, sizeof(double));
	if (!on || !off)
		return 1;
	for (int i = 0; i < breaks; i++) {
		double t0 = now_s();
		if ((r = nft_set_blocking(nft, ~0ull, 0)) < 0)
			return fail_nft(nft, "block on", r);
		on[i] = now_s() - t0;
		t0 = now_s();
		if ((r = nft_set_blocking(nft, 0, 0)) < 0)
			return fail_nft(nft, "block off", r);
		off[i] = now_s() - t0;
	}
	qsort(on, (size_t)breaks, sizeof(double), cmp_double);
	double on_med = median(on, (size_t)breaks), on_p99 = on[(size_t)breaks * 99 / 100];
	double off_med = median(off, (size_t)breaks);

	printf("elements: %zu (half IPv4, half IPv6, per-element timeouts) over %d lists' sets, "
	       "%d rounds each\n",
	       n, LISTS_LEARNED, rounds);
	printf("batch: %zu bytes in %zu netlink messages, one transaction\n", bs.bytes,
	       bs.messages);
	printf("smbreak nft_elements_add: median %.1f ms\n", med_ours * 1e3);
	printf("nft -f (same elements):   median %.1f ms\n", med_theirs * 1e3);
	printf("ratio nft -f / smbreak:   %.2fx\n", med_theirs / med_ours);
	printf("memory growth during the add (peak RSS - RSS before): %.1f MB\n",
	       grow_kb_max / 1024);
	printf("RSS after send 1 / after send %d of the same %zu elements: %.1f / %.1f MB\n",
	       repeats, n, (double)rss_first / 1024, (double)rss_last / 1024);
	printf("restart: %zu elements carried into a new table (read back + replace, one "
	       "transaction): %.1f ms\n",
	       n_carried, t_carry * 1e3);
	printf("break start, %d lists in force (rules in force): median %.3f ms, p99 %.3f ms over "
	       "%d; break end median %.3f ms\n",
	       LISTS_MAX, on_med * 1e3, on_p99 * 1e3, breaks, off_med * 1e3);

	int missed = 0;
	if (check && !quick) {
		if (med_ours >= 0.25 || med_ours >= med_theirs) {
			fprintf(
			    stderr,
			    "target missed: 100k elements under 0.25 s and faster than nft -f\n");
			missed++;
		}
		if (grow_kb_max >= 10 * 1024) {
			fprintf(stderr, "target missed: memory growth under 10 MB\n");
			missed++;
		}
		if (t_carry >= 0.5) {
			fprintf(stderr, "target missed: carrying 100k elements under 0.5 s\n");
			missed++;
		}
		if (on_med >= 0.005 || off_med >= 0.005) {
			fprintf(stderr, "target missed: break start under 5 ms\n");
			missed++;
		}
		if (rss_last - rss_first > 1024) {
			fprintf(stderr, "target missed: memory must not grow with elements sent\n");
			missed++;
		}
	}
	nft_table_delete(nft);
	nft_free(nft);
	free(v);
	free(on);
	free(off);
	unlink(path);
	return missed ? 1 : 0;
}
