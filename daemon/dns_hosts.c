/* The hosts file, learned as answers are (hosts.h): a line that names a
 * listed name puts its address into that list's sets, for learn_max, by the
 * rules of an answer (dns_policy_learnable, shared addresses kept out). It
 * is read at start, whenever it changes (inotify on its directory, since
 * editors replace the file), after a reload (the lists may have changed),
 * and as a break starts, so that a line older than learn_max is in the sets
 * when it matters. Nothing else wakes for it. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns_int.h"
#include "file.h"
#include "hosts.h"
#include "log.h"

struct hosts_read {
	struct dns *dns;
	size_t listed; /* names of a list (or a bypass endpoint) seen */
};

static void on_entry(void *ctx, int family, const uint8_t *addr, const char *name, size_t len)
{
	struct hosts_read *h = ctx;
	struct dns *dns = h->dns;
	struct domains_match m;
	uint64_t lists = domains_match(dns->domains, name, len, &m) ? m.lists : 0;
	bool endpoint = dns->bypass && domains_match(dns->bypass, name, len, &m);
	uint8_t v4[4];

	if (!lists && !endpoint)
		return;
	/* ::ffff:a.b.c.d reaches a.b.c.d (glibc maps it for IPv4 lookups, and a
	 * dual-stack socket sends it over IPv4) */
	if (family == AF_INET6 && memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memcpy(v4, addr + 12, 4);
		family = AF_INET;
		addr = v4;
	}
	h->listed++;
	struct dns_msg_learned *l = &dns->scratch;
	l->n_names = 1;
	memcpy(l->names[0].name, name, len);
	l->names[0].name[len] = '\0';
	l->names[0].len = len;
	l->n_addrs = 1;
	l->n_dropped = 0;
	l->addrs[0].family = family;
	memcpy(l->addrs[0].addr, addr, family == AF_INET ? 4 : 16);
	l->addrs[0].ttl = dns->conf->learn_max;
	dns_learn_answer(dns, l, lists, endpoint);
}

void dns_hosts_read(struct dns *dns)
{
	struct hosts_read h = {dns, 0};
	uint64_t before = dns->n.learned;
	char *text = NULL;
	size_t len = 0, bad;
	int r;

	if (!dns->hosts_path)
		return;
	r = file_read_all(dns->hosts_path, HOSTS_FILE_MAX, &text, &len);
	if (r < 0) {
		if (r != -ENOENT)
			log_warn("hosts: cannot read %s: %s; its lines are not learned",
			         dns->hosts_path, strerror(-r));
		return;
	}
	bad = hosts_parse(text, len, on_entry, &h);
	free(text);
	if (h.listed || bad != dns->hosts_bad)
		log_info("hosts: %s: %zu listed %s, %llu %s learned%s", dns->hosts_path, h.listed,
		         h.listed == 1 ? "name" : "names",
		         (unsigned long long)(dns->n.learned - before),
		         dns->n.learned - before == 1 ? "address" : "addresses",
		         bad ? "; lines with a bad address skipped" : "");
	dns->hosts_bad = bad;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && strcmp(ev->name, dns->hosts_base) == 0))
				ours = true; /* an overflow may have hidden a change */
			p += sizeof(*ev) + ev->len;
		}
	if (ours)
		dns_hosts_read(dns);
}

int dns_hosts_watch(struct dns *dns, const char *path)
{
	char *d = strdup(path), *b = strdup(path);

	dns->hosts_path = strdup(path);
	if (!d || !b || !dns->hosts_path) {
		free(d);
		free(b);
		return -ENOMEM;
	}
	dns->hosts_base = strdup(basename(b));
	errno = ENOMEM;
	dns->hosts_ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!dns->hosts_base || dns->hosts_ifd < 0 ||
	    inotify_add_watch(dns->hosts_ifd, dirname(d),
	                      IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0 ||
	    !(dns->hosts_ev =
	          event_new(dns->base, dns->hosts_ifd, EV_READ | EV_PERSIST, on_inotify, dns)) ||
	    event_add(dns->hosts_ev, NULL) < 0)
		log_warn("hosts: cannot watch %s (%s): its lines are learned at start, at a reload "
		         "and as a break starts only",
		         path, strerror(errno ? errno : ENOMEM));
	free(d);
	free(b);
	dns_hosts_read(dns);
	return 0;
}

void dns_hosts_free(struct dns *dns)
{
	if (dns->hosts_ev)
		event_free(dns->hosts_ev);
	if (dns->hosts_ifd >= 0)
		close(dns->hosts_ifd);
	free(dns->hosts_path);
	free(dns->hosts_base);
}
