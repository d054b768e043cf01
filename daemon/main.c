/* smbreakd: wires the modules together and runs the event loop; nothing else. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "breaks.h"
#include "conf.h"
#include "control.h"
#include "dns.h"
#include "domains.h"
#include "enforce.h"
#include "hosts.h"
#include "instance.h"
#include "listenfd.h"
#include "lists.h"
#include "log.h"
#include "nft.h"
#include "notify.h"
#include "paths.h"
#include "policy.h"
#include "sched.h"
#include "startconf.h"
#include "state.h"
#include "usage.h"

struct options {
	const char *conf_path;
	const char *socket_path;
	const char *state_dir;
	const char *data_dir;
	const char *hosts_path;
	bool check_only;
	bool cleanup;
	bool cleanup_all;
	bool schedule;
	const char *from;
	uint32_t count;
	bool debug;
};

#define NO_UPSTREAM                                                                                \
	"no upstream DNS server: names that are not blocked get SERVFAIL and intercept is off; "   \
	"set `upstream =` in [daemon] to your resolver's address, or see smbreakd(8) for "         \
	"upstream = auto"

/* The one runtime context. */
struct smbd {
	struct event_base *base;
	struct instance *instance;
	struct breaks *breaks;
	struct enforce *enforce;
	struct dns *dns;
	struct lists_bypass bypass; /* the resolvers: the table's and the forwarder's */
	bool intercepting;
	struct control *control;
	struct usage *usage; /* the kernel's reports of allowance use */
	struct event *signals[3];
	struct event *watchdog;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: smbreakd [-f FILE] [-s SOCKET] [--state-dir DIR] [--data-dir DIR]\n"
	    "                [--hosts-file FILE] [-d]\n"
	    "       smbreakd --cleanup [--all]\n"
	    "       smbreakd --check-config [-f FILE] [--schedule [--from ISO8601] [--count N]]\n"
	    "\n"
	    "  -f, --config FILE     configuration (default %s)\n"
	    "  -s, --socket PATH     control socket (default %s)\n"
	    "      --state-dir DIR   state directory (default %s)\n"
	    "      --data-dir DIR    shipped data, services/NAME.list (default %s)\n"
	    "      --hosts-file FILE the hosts file whose listed names are learned (default %s)\n"
	    "  -n, --check-config    check the configuration and exit\n"
	    "      --cleanup         after a crash: take out the port-53 redirect left behind\n"
	    "                        (systemd's ExecStopPost runs it)\n"
	    "      --all             with --cleanup: remove the whole table, a strict break's\n"
	    "                        reject rules too (removing the package runs it)\n"
	    "      --schedule        with --check-config: print the next transitions\n"
	    "      --from TIME       start of --schedule (default: now), e.g. 2026-03-08T00:00:00\n"
	    "      --count N         transitions to print (default 10)\n"
	    "  -d, --debug           log debug messages\n"
	    "  -V, --version         print the version\n"
	    "  -h, --help            this help\n",
	    SMB_CONF_PATH, SMB_SOCKET_PATH, SMB_STATE_DIR, SMB_DATA_DIR, HOSTS_PATH_DEFAULT);
}

static int check_options(int argc, char **argv, const struct options *o);

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_STATE = 256,
		OPT_DATA,
		OPT_HOSTS,
		OPT_SCHEDULE,
		OPT_FROM,
		OPT_COUNT,
		OPT_CLEANUP,
		OPT_ALL
	};
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'f'},
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"data-dir", required_argument, NULL, OPT_DATA},
	    {"hosts-file", required_argument, NULL, OPT_HOSTS},
	    {"check-config", no_argument, NULL, 'n'},
	    {"cleanup", no_argument, NULL, OPT_CLEANUP},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"schedule", no_argument, NULL, OPT_SCHEDULE},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"debug", no_argument, NULL, 'd'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	*o = (struct options){.conf_path = SMB_CONF_PATH,
	                      .socket_path = SMB_SOCKET_PATH,
	                      .state_dir = SMB_STATE_DIR,
	                      .data_dir = SMB_DATA_DIR,
	                      .hosts_path = HOSTS_PATH_DEFAULT,
	                      .count = 10};
	while ((ch = getopt_long(argc, argv, "f:s:ndVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 's':
			o->socket_path = optarg;
			break;
		case OPT_STATE:
			o->state_dir = optarg;
			break;
		case OPT_DATA:
			o->data_dir = optarg;
			break;
		case OPT_HOSTS:
			o->hosts_path = optarg;
			break;
		case 'n':
			o->check_only = true;
			break;
		case OPT_CLEANUP:
			o->cleanup = true;
			break;
		case OPT_ALL:
			o->cleanup_all = true;
			break;
		case OPT_SCHEDULE:
			o->schedule = true;
			break;
		case OPT_FROM:
			o->from = optarg;
			break;
		case OPT_COUNT:
			if (value_parse_count(optarg, 1, 10000, &o->count) < 0) {
				fprintf(stderr, "smbreakd: --count takes 1 to 10000\n");
				return 2;
			}
			break;
		case 'd':
			o->debug = true;
			break;
		case 'V':
			printf("smbreakd %s\n", SMB_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	return check_options(argc, argv, o);
}

/* The combinations parse_options leaves to check. */
static int check_options(int argc, char **argv, const struct options *o)
{
	if (optind < argc) {
		fprintf(stderr, "smbreakd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->cleanup_all && !o->cleanup) {
		fprintf(stderr, "smbreakd: --all goes with --cleanup\n");
		return 2;
	}
	if ((o->schedule || o->from) && !o->check_only) {
		fprintf(stderr, "smbreakd: --schedule and --from go with --check-config\n");
		return 2;
	}
	return 0;
}

static int load_conf(const char *path, struct conf **out)
{
	struct conf_errors errs = {0};
	int r = conf_load(path, out, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (errs.dropped)
		fprintf(stderr, "%s: %zu more errors not shown\n", path, errs.dropped);
	conf_errors_clear(&errs);
	return r;
}

static void print_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* --check-config [--schedule]: what a user runs before making a config live. */
static int check_config(const struct options *o)
{
	struct conf *c;
	time_t from = time(NULL);

	if (o->from && sched_parse_iso(o->from, &from) < 0) {
		fprintf(stderr, "smbreakd: bad --from '%s': use 2026-03-08T09:00:00\n", o->from);
		return 2;
	}
	if (load_conf(o->conf_path, &c) < 0)
		return 1;
	/* The lists too: an unknown service or a missing list file fails the start. */
	struct domains *d = NULL;
	struct lists_summary sum;
	if (lists_build(c, o->data_dir, print_error, NULL, &d, &sum) < 0) {
		conf_free(c);
		return 1;
	}
	domains_free(d);
	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *b = &c->breaks[i];
		time_t end;
		if (b->dated && !sched_active(b, from, NULL, NULL) &&
		    !sched_next_interval(b, from, NULL, &end))
			printf(
			    "note: break '%s' ends in the past (%04d-%02d-%02d %02u:%02u); it does "
			    "nothing\n",
			    b->name, b->until.y, b->until.m, b->until.d, b->until.secs / 3600,
			    b->until.secs / 60 % 60);
	}
	if (!o->schedule) {
		printf("configuration OK\n");
	} else if (c->n_breaks == 0) {
		printf("no breaks are scheduled\n");
	} else {
		size_t cap = (size_t)o->count * 96 + 1;
		char *buf = malloc(cap);
		if (!buf) {
			conf_free(c);
			return 1;
		}
		sched_format_transitions(c, from - 1, (size_t)o->count, buf, cap);
		fputs(buf, stdout);
		free(buf);
	}
	conf_free(c);
	return 0;
}

/* --cleanup: a daemon that died without a clean stop leaves its table, and
 * with it a redirect of port 53 to a forwarder that is gone; that would leave
 * the machine without DNS. The reject rules stay: they end with their break.
 * --all removes the table whole: the package's prerm, which cannot count on
 * nft(8) being installed, ends a strict break that way. */
static int cleanup(bool all)
{
	struct instance *in = NULL;
	struct nft *n;
	pid_t holder;
	int r = instance_claim(NULL, &in, &holder);

	if (r == -EBUSY) {
		fprintf(stderr,
		        "smbreakd: smbreakd (pid %d) is running in this network namespace; "
		        "--cleanup changes nothing while it runs\n",
		        (int)holder);
		return 1;
	}
	/* Any other failure to claim: cleaning up is still right. */
	r = nft_new(&n);
	if (r < 0) {
		fprintf(stderr, "smbreakd: cannot open netlink: %s\n", strerror(-r));
		instance_free(in);
		return 1;
	}
	r = all ? nft_table_delete(n) : nft_table_leave(n);
	if (r == -ENOENT)
		printf("no table inet smbreak: nothing to clean up\n");
	else if (r < 0)
		fprintf(stderr, "smbreakd: %s\n", *nft_error(n) ? nft_error(n) : strerror(-r));
	else if (all)
		printf("removed table inet smbreak\n");
	else
		printf("removed the port-53 redirect of table inet smbreak\n");
	nft_free(n);
	instance_free(in);
	return r < 0 && r != -ENOENT ? 1 : 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct smbd *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading the configuration");
		breaks_reload_async(d->breaks, NULL); /* logs the outcome itself */
		return;
	}
	log_notice("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(d->base);
}

/* The event loop until a signal stops it. It sleeps in epoll_wait but for
 * the moments in which the forwarder expects a fast upstream's answer
 * (dns_polling: tens of microseconds after a query, with few in flight):
 * then it polls without sleeping, giving the CPU to whatever else is
 * runnable between polls (the upstream itself, on a machine of one CPU). */
static void loop_run(struct smbd *d)
{
	while (!event_base_got_break(d->base)) {
		bool poll = dns_polling(d->dns);
		if (event_base_loop(d->base, poll ? EVLOOP_NONBLOCK : EVLOOP_ONCE) != 0)
			return;
		if (poll)
			sched_yield();
	}
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	notify_watchdog();
}

static void on_event(void *arg, const struct proto_msg *ev)
{
	struct smbd *d = arg;

	if (d->control)
		control_broadcast(d->control, ev);
}

static void on_enforce(void *arg, const struct inforce *in)
{
	struct smbd *d = arg;

	enforce_apply(d->enforce, in);
	if (d->dns) {
		dns_set_inforce(d->dns, in);
		dns_set_floor(d->dns, in->strict ? in->end : 0);
	}
}

static void on_hold(void *arg, const struct conf *c, const time_t *until)
{
	struct smbd *d = arg;

	if (d->enforce)
		enforce_set_holds(d->enforce, c, until);
}

static void on_learn(void *arg, const struct nft_elem *add, size_t n_add,
                     const struct nft_elem *del, size_t n_del)
{
	struct smbd *d = arg;

	enforce_learn(d->enforce, add, n_add, del, n_del);
}

static void on_used(void *arg, const char *name)
{
	struct smbd *d = arg;

	breaks_used(d->breaks, name);
}

static void on_blocked(void *arg, const char *key, const char *name, size_t len)
{
	struct smbd *d = arg;

	breaks_count_blocked(d->breaks, key);
	breaks_blocked(d->breaks, key, name, len);
}

static void on_check_addr(void *arg, int family, const uint8_t *addr, uint64_t inforce,
                          struct proto_msg *reply)
{
	struct smbd *d = arg;

	dns_check_addr(d->dns, family, addr, inforce, reply);
}

static const struct neigh_tab *on_neighbours(void *arg)
{
	struct smbd *d = arg;

	return d->dns ? dns_neighbours(d->dns) : NULL;
}

static bool on_check_bypass(void *arg, const char *name, size_t len, struct breaks_bypass_hit *hit)
{
	struct smbd *d = arg;
	struct dns_bypass_why why;

	if (!d->dns || !dns_bypass_explain(d->dns, name, len, &why))
		return false;
	snprintf(hit->entry, sizeof(hit->entry), "%s", why.hit.entry);
	hit->rule = why.rule;
	hit->source = why.source ? why.source : "built-in";
	hit->line = why.hit.line;
	return true;
}

static bool on_check_cloak(void *arg, const char *name, size_t len, struct breaks_cloak_hit *hit)
{
	struct smbd *d = arg;
	struct dns_cloak_why why;

	if (!d->dns || !dns_cloak_explain(d->dns, name, len, &why))
		return false;
	snprintf(hit->target, sizeof(hit->target), "%s", why.target);
	snprintf(hit->chain, sizeof(hit->chain), "%s", why.chain);
	return true;
}

static void on_status(void *arg, struct proto_msg *reply)
{
	struct smbd *d = arg;

	enforce_put_status(d->enforce, reply);
	dns_put_status(d->dns, reply);
	control_put_status(d->control, reply);
}

/* The forwarder with nowhere to relay to answers SERVFAIL for every name that
 * is not blocked, and intercept stays off: the user must be told where they
 * look (status, reload), not only in the journal. */
static void on_warnings(void *arg, struct proto_msg *reply)
{
	struct smbd *d = arg;

	if (d->dns && !dns_has_upstream(d->dns))
		proto_put_str(reply, PROTO_A_WARNING, NO_UPSTREAM);
}

static void on_finish(void *arg, struct proto_msg *reply)
{
	struct smbd *d = arg;

	control_finish(d->control, reply);
}

/* A control group that does not exist leaves breaks to root alone: said at
 * start and at every reload (into the reply too), never only in a log. */
static void check_group(struct smbd *d, const struct conf *c, struct conf_errors *warnings)
{
	if (!d->control || control_set_group(d->control, c->control_group) == 0)
		return;
	log_warn("control: group '%s' not found; only root may change breaks (create it with "
	         "`groupadd %s`, or set control_group)",
	         c->control_group, c->control_group);
	if (warnings)
		conf_errors_add(warnings,
		                "warning: control group '%s' not found; only root may change "
		                "breaks",
		                c->control_group);
}

static void on_reloaded(void *arg, const struct conf *c, struct conf_errors *warnings)
{
	struct smbd *d = arg;

	enforce_set_conf(d->enforce, c);
	if (d->dns) {
		dns_set_conf(d->dns, c, breaks_domains(d->breaks));
		bool want = c->intercept && dns_can_intercept(d->dns);
		if (!dns_has_upstream(d->dns))
			log_warn("%s", NO_UPSTREAM);
		if (want != d->intercepting && enforce_set_intercept(d->enforce, want) == 0)
			d->intercepting = want;
	}
	check_group(d, c, warnings);
}

/* mkdir -p: a /usr/local build's state directory, /usr/local/var/lib/smbreak,
 * usually has no parents yet. */
static int ensure_dir(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void smbd_shutdown(struct smbd *d)
{
	control_free(d->control);
	usage_free(d->usage);
	dns_free(d->dns);
	breaks_free(d->breaks);
	enforce_free(d->enforce);
	lists_bypass_free(&d->bypass);
	for (size_t i = 0; i < sizeof(d->signals) / sizeof(d->signals[0]); i++)
		if (d->signals[i])
			event_free(d->signals[i]);
	if (d->watchdog)
		event_free(d->watchdog);
	instance_free(d->instance); /* last of what touches the kernel */
	if (d->base)
		event_base_free(d->base);
}

/* The state directory (with its parents: a /usr/local build's default has
 * none on a fresh machine) and the socket's directory. */
static int prepare_dirs(const struct options *o)
{
	int r = ensure_dir(o->state_dir, 0755);
	char *sockdir;

	if (r < 0) {
		log_error("cannot create state directory %s: %s", o->state_dir, strerror(-r));
		return r;
	}
	sockdir = strdup(o->socket_path);
	if (sockdir && strrchr(sockdir, '/') && strrchr(sockdir, '/') != sockdir) {
		*strrchr(sockdir, '/') = '\0';
		ensure_dir(sockdir, 0755);
	}
	free(sockdir);
	return 0;
}

/* The DNS forwarder, on the sockets systemd handed over where there are. */
static int start_dns(struct smbd *d, const struct conf *c)
{
	struct listenfd inherited;
	char what[96];
	int r;

	if (listenfd_init(&inherited) < 0)
		log_warn("ignoring LISTEN_PID/LISTEN_FDS: they do not parse");
	r = dns_new(d->base, c, breaks_domains(d->breaks), &d->bypass, &inherited, on_learn,
	            on_blocked, d, &d->dns);
	for (size_t i = 0; listenfd_close_unused(&inherited, &i, what, sizeof(what));)
		log_warn("dns: %s came from systemd but is not in `listen`; closed it (take it "
		         "out of smbreakd.socket with `systemctl edit smbreakd.socket`)",
		         what);
	return r;
}

static const struct addrset *on_learned(void *arg)
{
	struct smbd *d = arg;

	return d->dns ? dns_learned(d->dns) : NULL;
}

/* The table, once nothing else can fail but the kernel: a start that fails
 * before it leaves a table of a strict break (its rules) as it found it. What
 * the table it replaced held, the forwarder knows again. */
static int start_enforce(struct smbd *d, const struct options *o, const struct conf *c)
{
	struct nft_elem *carried;
	size_t n;
	int r = enforce_new(c, DNS_SOCKET_MARK, o->state_dir, &d->bypass, &d->enforce);

	if (r < 0)
		return r;
	enforce_take_carried(d->enforce, &carried, &n);
	dns_learned_seed(d->dns, carried, n);
	free(carried);
	time_t held[SMB_LISTS_MAX];
	time_t unmatched = enforce_old_holds(d->enforce, c, held);
	breaks_restore_holds(d->breaks, held, unmatched);
	if (dns_hosts_watch(d->dns, o->hosts_path) < 0)
		return -ENOMEM;
	(void)enforce_watch(d->enforce, d->base, on_learned, d);
	return 0;
}

/* Signals as loop events, and the watchdog's keep-alive at half its period. */
static int start_events(struct smbd *d)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT};
	uint64_t wd = notify_watchdog_usec();

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		if (!d->signals[i] || event_add(d->signals[i], NULL) < 0)
			return -ENOMEM;
	}
	if (wd) {
		struct timeval tv = {(time_t)(wd / 2 / 1000000), (suseconds_t)(wd / 2 % 1000000)};
		d->watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, NULL);
		if (d->watchdog)
			event_add(d->watchdog, &tv);
	}
	return 0;
}

static void on_bypass_error(void *arg, const char *msg)
{
	(void)arg;
	log_error("%s", msg);
}

/* Creates the modules in order (each logs its own failure); c passes to
 * breaks, which owns it from then on, even when this fails. */
static int smbd_start(struct smbd *d, const struct options *o, struct conf *c)
{
	struct breaks_hooks hooks = {.enforce = on_enforce,
	                             .hold = on_hold,
	                             .event = on_event,
	                             .reloaded = on_reloaded,
	                             .status = on_status,
	                             .warnings = on_warnings,
	                             .check_addr = on_check_addr,
	                             .check_bypass = on_check_bypass,
	                             .check_cloak = on_check_cloak,
	                             .finish = on_finish,
	                             .neighbours = on_neighbours,
	                             .arg = d};
	int r;

	d->base = event_base_new();
	if (!d->base) {
		log_error("cannot create the event loop");
		conf_free(c);
		return -ENOMEM;
	}
	/* Before anything touches the kernel: the table is this namespace's. */
	pid_t holder;
	r = instance_claim(d->base, &d->instance, &holder);
	if (r < 0) {
		if (r == -EBUSY)
			log_error("another smbreakd (pid %d) is running in this network namespace "
			          "and owns table inet smbreak; this one changes nothing and exits",
			          (int)holder);
		else
			log_error("cannot claim the network namespace: %s", strerror(-r));
		conf_free(c);
		return r;
	}
	r = lists_bypass_load(o->data_dir, on_bypass_error, NULL, &d->bypass);
	if (r < 0) {
		log_error("cannot start without the DoH/DoT endpoints that breaks block: %s/%s and "
		          "%s/%s "
		          "(shipped with smbreak) must load whole",
		          o->data_dir, LISTS_BYPASS_FILE, o->data_dir, LISTS_WILDCARD_FILE);
		conf_free(c);
		return r;
	}
	r = breaks_new(d->base, c, o->state_dir, o->data_dir, &hooks, &d->breaks);
	if (r < 0)
		return r;
	r = start_dns(d, c);
	if (r < 0)
		return r;
	r = control_new(d->base, o->socket_path, c->control_group, breaks_handle_request, d->breaks,
	                &d->control);
	if (r < 0) {
		log_error("control: cannot listen on %s: %s", o->socket_path, strerror(-r));
		return r;
	}
	check_group(d, c, NULL);
	r = start_events(d);
	if (r == 0)
		r = start_enforce(d, o, c);
	if (r < 0)
		return r;
	r = usage_new(d->base, on_used, d, &d->usage);
	if (r < 0)
		log_warn("allowances: cannot read the kernel's usage logs (NFLOG group %d): %s; "
		         "no use is counted",
		         NFT_USAGE_GROUP, strerror(-r));
	r = breaks_start(d->breaks);
	if (r < 0)
		return r;
	/* Only with somewhere to relay to: a redirect to a forwarder that can only
	 * answer SERVFAIL would take the machine's DNS away. */
	if (!dns_has_upstream(d->dns))
		log_warn("%s", NO_UPSTREAM);
	if (c->intercept && dns_can_intercept(d->dns)) {
		r = enforce_set_intercept(d->enforce, true);
		if (r < 0)
			return r;
		d->intercepting = true;
	}
	return 0;
}

/* A second daemon would replace the running one's table and take its
 * socket: refuse before touching anything when the control socket answers. */
static bool already_running(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Nonblocking: a live daemon with a full backlog answers EAGAIN. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	close(fd);
	return r == 0 || r == EAGAIN || r == EINPROGRESS;
}

static int run(const struct options *o)
{
	struct smbd d = {0};
	struct startconf sc;
	char stopped[256];
	int r;

	if (already_running(o->socket_path)) {
		fprintf(
		    stderr,
		    "smbreakd: another smbreakd is running (its control socket %s answers); "
		    "nothing was changed. Stop it first (systemctl stop smbreakd), or talk to it "
		    "with smctl\n",
		    o->socket_path);
		return 1;
	}
	if (startconf_choose(o->conf_path, o->state_dir, o->data_dir, &sc) < 0)
		return 1;
	if (prepare_dirs(o) < 0) {
		startconf_clear(&sc);
		conf_free(sc.conf);
		return 1;
	}
	r = smbd_start(&d, o, sc.conf);
	if (r == 0 && sc.kind == STARTCONF_FILE)
		breaks_keep_good(d.breaks, sc.text, sc.len);
	else if (r == 0 && sc.kind == STARTCONF_BROKEN)
		breaks_set_fallback(d.breaks, "the configuration file has errors: running on the "
		                              "last good configuration until it is fixed and "
		                              "reloaded (a strict break is on)");
	else if (r == 0 && sc.kind == STARTCONF_REFUSED)
		breaks_set_fallback(d.breaks, "the configuration file would loosen a strict break: "
		                              "running on the last good configuration; reload the "
		                              "file once the break is over");
	else if (r == 0 && sc.kind == STARTCONF_DEFERRED)
		breaks_reload_async(d.breaks, NULL); /* waits out the unlock delay, as a reload */
	startconf_clear(&sc);
	if (r == 0) {
		log_notice("smbreakd %s running: config %s, socket %s, state %s", SMB_VERSION,
		           o->conf_path, o->socket_path, o->state_dir);
		notify_ready();
		loop_run(&d);
		notify_stopping();
	}
	if (r == 0) {
		/* systemctl status shows the last STATUS= after the stop too. */
		breaks_describe(d.breaks, true, stopped, sizeof(stopped));
		smbd_shutdown(&d);
		notify_status(stopped);
	} else {
		smbd_shutdown(&d);
	}
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	int r;

	log_init(LOG_INFO);
	r = parse_options(argc, argv, &o);
	if (r)
		return r;
	if (o.debug)
		log_set_priority(LOG_DEBUG);
	signal(SIGPIPE, SIG_IGN); /* writes to gone clients fail with EPIPE instead */
	if (o.check_only)
		return check_config(&o);
	if (o.cleanup)
		return cleanup(o.cleanup_all);
	return run(&o);
}
