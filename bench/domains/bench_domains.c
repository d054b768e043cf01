/* Benchmark of the domain lists: parse and index time, resident memory and
 * reload peak with a generated 1,000,000-domain hosts list, lookups per second
 * of random mostly-miss names at 1k, 100k and 1M entries, and dnsmasq loading
 * the same list (as --addn-hosts and as address=/name/) in the same run.
 * Usage: bench_domains [--quick] [--n N] [--no-dnsmasq] [--dnsmasq PATH] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domains.h"
#include "gen.h"
#include "lists.h"

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), pid ? "/proc/%d/status" : "/proc/self/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	size_t fl = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS, so that a peak can be measured. */
static void reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

struct load_result {
	double seconds;
	long rss_before_kb, rss_after_kb, reload_peak_kb;
	size_t entries, memory, errors;
};

struct bctx {
	struct domains_builder *b;
	size_t errors;
};

static int add_cb(void *ctx, const char *name, size_t len, unsigned line)
{
	struct bctx *c = ctx;
	return domains_builder_add(c->b, name, len, 0, line);
}

static void count_err(void *ctx, const char *msg)
{
	struct bctx *c = ctx;
	(void)msg;
	c->errors++;
}

/* Loads one list file into a new structure, as a reload does. */
static struct domains *load(const char *path, size_t *errors)
{
	struct bctx c = {.b = domains_builder_new()};
	domains_builder_origin(c.b, 0, false, path);
	if (lists_load_file(path, add_cb, count_err, &c, NULL) < 0)
		fprintf(stderr, "cannot load %s\n", path);
	*errors = c.errors;
	return domains_builder_finish(c.b);
}

/* Runs in a fresh process (bench_domains --measure-load PATH), so that its
 * RSS is that of a process holding only the list: load, then a reload that
 * builds a second structure beside the first before freeing the first. */
static int measure_load_child(const char *path)
{
	struct load_result r = {0};
	size_t errors = 0;
	r.rss_before_kb = status_kb(0, "VmRSS");
	double t0 = now();
	struct domains *d = load(path, &r.errors);
	r.seconds = now() - t0;
	r.rss_after_kb = status_kb(0, "VmRSS");
	r.entries = domains_count(d);
	r.memory = domains_memory(d);
	reset_peak();
	struct domains *d2 = load(path, &errors);
	domains_free(d);
	r.reload_peak_kb = status_kb(0, "VmHWM");
	domains_free(d2);
	return write(1, &r, sizeof(r)) == sizeof(r) ? 0 : 1;
}

static struct load_result measure_load(const char *path)
{
	struct load_result r = {0};
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl("/proc/self/exe", "bench_domains", "--measure-load", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != sizeof(r))
		fprintf(stderr, "load measurement of %s failed\n", path);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return r;
}

/* Random query names, `hit_pct` percent of them subdomains of listed names. */
static char *make_queries(const char *names, const size_t *off, size_t n, size_t q, int hit_pct,
                          size_t **qoff, size_t **qlen)
{
	struct gen g;
	gen_seed(&g, 0xfeedfacecafebeefull);
	char *buf = malloc(q * 64);
	*qoff = malloc(q * sizeof(size_t));
	*qlen = malloc(q * sizeof(size_t));
	size_t o = 0;
	for (size_t i = 0; i < q; i++) {
		char tmp[512];
		size_t len;
		if ((int)(gen_next(&g) % 100) < hit_pct) {
			len = (size_t)snprintf(tmp, sizeof(tmp), "www.%s",
			                       names + off[gen_next(&g) % n]);
		} else {
			len = gen_name(&g, 0, tmp);
		}
		if (len > 63)
			len = (size_t)snprintf(tmp, sizeof(tmp), "x%zu.example.com", i);
		memcpy(buf + o, tmp, len);
		(*qoff)[i] = o;
		(*qlen)[i] = len;
		o += len;
	}
	return buf;
}

struct lookup_result {
	double per_sec;
	double hit_ratio;
};

static struct lookup_result measure_lookups(const struct domains *d, const char *q,
                                            const size_t *qoff, const size_t *qlen, size_t nq,
                                            double secs)
{
	struct lookup_result r = {0};
	size_t done = 0, hits = 0;
	double t0 = now(), t;
	do {
		for (size_t i = 0; i < nq; i++) {
			struct domains_match m;
			hits += domains_match(d, q + qoff[i], qlen[i], &m);
		}
		done += nq;
		t = now();
	} while (t - t0 < secs);
	r.per_sec = (double)done / (t - t0);
	r.hit_ratio = (double)hits / (double)done;
	return r;
}

static struct domains *build_first(const char *names, const size_t *off, size_t n)
{
	struct domains_builder *b = domains_builder_new();
	domains_builder_origin(b, 0, false, "generated");
	for (size_t i = 0; i < n; i++)
		domains_builder_add(b, names + off[i], strlen(names + off[i]), 0, (uint32_t)i + 1);
	return domains_builder_finish(b);
}

/* ---- dnsmasq in the same run ---- */

static size_t dns_query(uint16_t id, const char *name, uint8_t *pkt)
{
	uint8_t hdr[12] = {(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(pkt, hdr, 12);
	size_t o = 12;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		pkt[o++] = (uint8_t)l;
		memcpy(pkt + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	pkt[o++] = 0;
	pkt[o++] = 0;
	pkt[o++] = 1; /* A */
	pkt[o++] = 0;
	pkt[o++] = 1; /* IN */
	return o;
}

static int udp_to(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	return fd;
}

struct dm_result {
	bool ok;
	double ready_s;
	long rss_kb, hwm_kb;
	double miss_qps;
};

/* Starts dnsmasq with `extra` arguments, measures the time until it answers a
 * query for `probe`, its memory, then its rate on miss queries. */
static struct dm_result run_dnsmasq(const char *bin, const char *dir, int port, const char *extra,
                                    const char *probe, const char *q, const size_t *qoff,
                                    const size_t *qlen, size_t nq, double miss_secs)
{
	struct dm_result r = {0};
	char portarg[32], log[512];
	snprintf(portarg, sizeof(portarg), "--port=%d", port);
	snprintf(log, sizeof(log), "%s/dnsmasq.log", dir);
	char *argv[] = {(char *)bin,
	                "--keep-in-foreground",
	                "--no-resolv",
	                "--no-hosts",
	                "--conf-file=/dev/null",
	                "--listen-address=127.0.0.1",
	                "--bind-interfaces",
	                "--pid-file=",
	                "--log-facility=-",
	                portarg,
	                (char *)extra,
	                getuid() == 0 ? "--user=nobody" : NULL,
	                NULL};
	double t0 = now();
	/* fork and exec by hand: daemon/sched.h shadows <sched.h>, which <spawn.h> needs. */
	pid_t pid = fork();
	if (pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		execve(bin, argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return r;
	int fd = udp_to(port);
	uint8_t pkt[512], ans[4096];
	size_t pl = dns_query(0x4242, probe, pkt);
	/* Ask every 2 ms until answered (up to 120 s). */
	while (now() - t0 < 120) {
		if (send(fd, pkt, pl, 0) < 0 && errno != ECONNREFUSED) {
			/* not listening yet */
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2) > 0 && recv(fd, ans, sizeof(ans), 0) >= 12 && ans[0] == 0x42 &&
		    ans[1] == 0x42) {
			r.ok = true;
			break;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			close(fd);
			return r;
		}
	}
	r.ready_s = now() - t0;
	r.rss_kb = status_kb(pid, "VmRSS");
	r.hwm_kb = status_kb(pid, "VmHWM");
	/* Misses, a window of 32 queries in flight. */
	size_t sent = 0, got = 0, inflight = 0;
	double ts = now(), last = ts;
	while (r.ok && now() - ts < miss_secs) {
		while (inflight < 32) {
			char name[128];
			size_t i = sent % nq;
			memcpy(name, q + qoff[i], qlen[i]);
			name[qlen[i]] = '\0';
			size_t l = dns_query((uint16_t)sent, name, pkt);
			if (send(fd, pkt, l, 0) < 0)
				break;
			sent++;
			inflight++;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 20) > 0) {
			while (recv(fd, ans, sizeof(ans), 0) > 0) {
				got++;
				inflight--;
				last = now();
			}
		} else if (now() - last > 0.05) {
			inflight = 0; /* lost in a full socket buffer: send more */
		}
	}
	r.miss_qps = (double)got / (now() - ts);
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return r;
}

static void write_subset(const char *path, const char *names, const size_t *off, size_t n,
                         bool address_form)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	if (address_form) {
		for (size_t i = 0; i < n; i++)
			fprintf(f, "address=/%s/\n", names + off[i]);
	} else {
		gen_write_hosts(f, names, off, n);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t n = 1000000;
	bool quick = false, use_dnsmasq = true;
	const char *dnsmasq = "/usr/sbin/dnsmasq";
	if (argc == 3 && strcmp(argv[1], "--measure-load") == 0)
		return measure_load_child(argv[2]);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
			n = 20000;
			use_dnsmasq = false;
		} else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--no-dnsmasq") == 0) {
			use_dnsmasq = false;
		} else if (strcmp(argv[i], "--dnsmasq") == 0 && i + 1 < argc) {
			dnsmasq = argv[++i];
		} else {
			fprintf(stderr,
			        "usage: %s [--quick] [--n N] [--no-dnsmasq] [--dnsmasq PATH]\n",
			        argv[0]);
			return 2;
		}
	}
	if (use_dnsmasq && access(dnsmasq, X_OK) != 0) {
		fprintf(stderr, "%s not found: install dnsmasq-base, or pass --no-dnsmasq\n",
		        dnsmasq);
		return 1;
	}
	char dir[] = "/tmp/bench_domains.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755); /* dnsmasq reads the files as nobody */
	double secs = quick ? 0.2 : 1.5;

	size_t *off;
	double tg = now();
	char *names = gen_names(1, n, &off);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(names + off[i]);
	char hosts[600];
	snprintf(hosts, sizeof(hosts), "%s/hosts.txt", dir);
	write_subset(hosts, names, off, n, false);
	printf("generated %zu distinct names (mean length %.1f bytes) in %.2f s: %s\n", n,
	       (double)total / (double)n, now() - tg, hosts);

	struct load_result lr = measure_load(hosts);
	printf("\n## smbreak: parse and index the hosts file\n");
	printf("entries %zu, bad lines %zu\n", lr.entries, lr.errors);
	printf("parse+index %.3f s; process RSS before %ld kB, with the list %ld kB (list %.1f MB; "
	       "structure %.1f MB); reload peak %ld kB = %.2fx steady (list alone: %.2fx)\n",
	       lr.seconds, lr.rss_before_kb, lr.rss_after_kb,
	       (double)(lr.rss_after_kb - lr.rss_before_kb) / 1024.0, (double)lr.memory / 1048576.0,
	       lr.reload_peak_kb, (double)lr.reload_peak_kb / (double)lr.rss_after_kb,
	       (double)(lr.reload_peak_kb - lr.rss_before_kb) /
	           (double)(lr.rss_after_kb - lr.rss_before_kb));

	size_t nq = 1000000, *qoff, *qlen;
	size_t sizes[] = {1000, 100000, n};
	if (quick) {
		sizes[1] = 10000;
		nq = 100000;
	}
	printf("\n## smbreak: lookups of random names (one core)\n");
	printf("| entries | mix | lookups/s | ns/lookup | matched |\n|---|---|---|---|---|\n");
	double miss_rate[3] = {0};
	for (int s = 0; s < 3; s++) {
		if (sizes[s] > n)
			continue;
		struct domains *d = build_first(names, off, sizes[s]);
		for (int hit = 0; hit < 2; hit++) {
			int pct = hit ? 5 : 0;
			char *q = make_queries(names, off, sizes[s], nq, pct, &qoff, &qlen);
			struct lookup_result r = measure_lookups(d, q, qoff, qlen, nq, secs);
			printf("| %zu | %s | %.2fM | %.0f | %.2f%% |\n", sizes[s],
			       hit ? "95% misses" : "all misses", r.per_sec / 1e6, 1e9 / r.per_sec,
			       100 * r.hit_ratio);
			if (!hit)
				miss_rate[s] = r.per_sec;
			free(q);
			free(qoff);
			free(qlen);
		}
		domains_free(d);
	}
	printf("miss rate at %zu entries / at 1000 entries: %.2f\n", n,
	       miss_rate[2] / miss_rate[0]);

	if (use_dnsmasq) {
		char *q = make_queries(names, off, n, 100000, 0, &qoff, &qlen);
		int port = 20000 + (int)(getpid() % 20000);
		const char *probe = names + off[n - 1];
		char arg[700], conf1k[600], confn[600];
		snprintf(conf1k, sizeof(conf1k), "%s/address-1k.conf", dir);
		snprintf(confn, sizeof(confn), "%s/address-all.conf", dir);
		write_subset(conf1k, names, off, 1000, true);
		write_subset(confn, names, off, n, true);
		printf("\n## dnsmasq, same list, same run\n");
		printf("| dnsmasq setup | ready (s) | VmRSS (kB) | VmHWM (kB) | miss queries/s |\n"
		       "|---|---|---|---|---|\n");
		struct dm_result base = run_dnsmasq(dnsmasq, dir, port, "--cache-size=150",
		                                    "nothing.invalid", q, qoff, qlen, 100000, secs);
		printf("| no list | %.3f | %ld | %ld | %.0f |\n", base.ready_s, base.rss_kb,
		       base.hwm_kb, base.miss_qps);
		snprintf(arg, sizeof(arg), "--addn-hosts=%s", hosts);
		struct dm_result ah =
		    run_dnsmasq(dnsmasq, dir, port + 1, arg, probe, q, qoff, qlen, 100000, secs);
		printf("| --addn-hosts, %zu names | %.3f | %ld | %ld | %.0f |\n", n, ah.ready_s,
		       ah.rss_kb, ah.hwm_kb, ah.miss_qps);
		snprintf(arg, sizeof(arg), "--conf-file=%s", conf1k);
		struct dm_result a1 = run_dnsmasq(dnsmasq, dir, port + 2, arg, names + off[999], q,
		                                  qoff, qlen, 100000, secs);
		printf("| address=/name/, 1000 names | %.3f | %ld | %ld | %.0f |\n", a1.ready_s,
		       a1.rss_kb, a1.hwm_kb, a1.miss_qps);
		snprintf(arg, sizeof(arg), "--conf-file=%s", confn);
		struct dm_result an =
		    run_dnsmasq(dnsmasq, dir, port + 3, arg, probe, q, qoff, qlen, 100000, secs);
		printf("| address=/name/, %zu names | %.3f | %ld | %ld | %.0f |\n", n, an.ready_s,
		       an.rss_kb, an.hwm_kb, an.miss_qps);
		double ours_mb = (double)(lr.rss_after_kb - lr.rss_before_kb) / 1024.0;
		printf("\n## ratios (dnsmasq / smbreak)\n");
		printf("load time: addn-hosts %.1fx, address= %.1fx\n", ah.ready_s / lr.seconds,
		       an.ready_s / lr.seconds);
		printf("memory for the list: addn-hosts %.1fx (%.1f MB), address= %.1fx (%.1f MB), "
		       "smbreak %.1f MB\n",
		       (double)(ah.rss_kb - base.rss_kb) / 1024.0 / ours_mb,
		       (double)(ah.rss_kb - base.rss_kb) / 1024.0,
		       (double)(an.rss_kb - base.rss_kb) / 1024.0 / ours_mb,
		       (double)(an.rss_kb - base.rss_kb) / 1024.0, ours_mb);
		printf("miss slowdown from 1000 to %zu entries: dnsmasq address= %.1fx, smbreak "
		       "%.2fx\n",
		       n, a1.miss_qps / an.miss_qps, miss_rate[0] / miss_rate[2]);
		free(q);
		free(qoff);
		free(qlen);
	}
	free(names);
	free(off);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return 0;
}
