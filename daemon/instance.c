/* The claim on a network namespace (see instance.h). */
#include "instance.h"

#include <errno.h>
#include <event2/event.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Abstract: the leading NUL, then the name; not NUL-terminated. */
static const char instance_name[] = "\0smbreakd/instance";

struct instance {
	int fd;
	struct event *ev;
};

static socklen_t instance_addr(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, instance_name, sizeof(instance_name) - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(instance_name) - 1);
}

/* Who holds it: the credentials of the listening socket, which a connect
 * gets without the holder doing anything. */
static pid_t holder_pid(void)
{
	struct sockaddr_un sa;
	socklen_t len = instance_addr(&sa);
	struct ucred cred = {0};
	socklen_t clen = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, len) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		pid = cred.pid;
	close(fd);
	return pid;
}

static void on_knock(evutil_socket_t fd, short what, void *arg)
{
	int c;

	(void)what, (void)arg;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(c);
}

int instance_claim(struct event_base *base, struct instance **out, pid_t *holder)
{
	struct sockaddr_un sa;
	socklen_t len = instance_addr(&sa);
	struct instance *in = calloc(1, sizeof(*in));
	int r;

	*holder = 0;
	if (!in)
		return -ENOMEM;
	in->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (in->fd < 0) {
		r = -errno;
		goto fail;
	}
	if (bind(in->fd, (struct sockaddr *)&sa, len) < 0) {
		r = -errno;
		if (r == -EADDRINUSE) {
			*holder = holder_pid();
			r = -EBUSY;
		}
		goto fail;
	}
	if (listen(in->fd, 8) < 0) {
		r = -errno;
		goto fail;
	}
	if (base) {
		in->ev = event_new(base, in->fd, EV_READ | EV_PERSIST, on_knock, in);
		if (!in->ev || event_add(in->ev, NULL) < 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
	*out = in;
	return 0;
fail:
	instance_free(in);
	return r;
}

void instance_free(struct instance *in)
{
	if (!in)
		return;
	if (in->ev)
		event_free(in->ev);
	if (in->fd >= 0)
		close(in->fd);
	free(in);
}
