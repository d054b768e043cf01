/* The logger: one line per event on stderr, with a journald priority prefix
 * ("<3>") when stderr is the journal (JOURNAL_STREAM set), otherwise plain. */
#ifndef SMB_LOG_H
#define SMB_LOG_H

#include <syslog.h>

void log_init(int max_priority);
void log_set_priority(int max_priority);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
