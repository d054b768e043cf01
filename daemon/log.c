/* The logger. The only global state of the program: where lines go and how
 * they are prefixed is decided once at start. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct {
	int max_priority;
	bool journal;
} logger = {LOG_INFO, false};

/* JOURNAL_STREAM is "dev:inode" of the journal's stream; trust it only if it
 * still names our stderr (a child of a journald-run shell inherits it). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(int max_priority)
{
	logger.max_priority = max_priority;
	logger.journal = stderr_is_journal();
}

void log_set_priority(int max_priority)
{
	logger.max_priority = max_priority;
}

void log_msg(int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = 0;

	if (priority > logger.max_priority)
		return;
	if (logger.journal)
		n = snprintf(line, sizeof(line), "<%d>", priority);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines from a crash-restart loop never interleave. */
	size_t len = strlen(line);
	if (len == sizeof(line) - 1)
		line[len - 1] = '\n';
	else
		line[len++] = '\n';
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}
