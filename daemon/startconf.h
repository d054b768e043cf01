/* Which configuration a start runs on. A start is judged as a reload would
 * be: against the configuration last put in force (STATE_DIR/last-good.conf)
 * and the state, so that neither a broken file nor a good file that loosens
 * a strict break, followed by a restart, ends what a reload could not. */
#ifndef SMB_STARTCONF_H
#define SMB_STARTCONF_H

#include <stddef.h>

#include "conf.h"

enum startconf_kind {
	STARTCONF_FILE,     /* the file, as it is */
	STARTCONF_BROKEN,   /* the last good one: the file has errors, a strict break is on */
	STARTCONF_REFUSED,  /* the last good one: the file would loosen a strict break */
	STARTCONF_DEFERRED, /* the last good one, and the file is to be reloaded: it
	                       loosens a break with an unlock delay, so it waits that out */
};

struct startconf {
	enum startconf_kind kind;
	struct conf *conf; /* what to start on; its path is the file's either way */
	char *text;        /* the file's text, to keep as the last good one (STARTCONF_FILE) */
	size_t len;
};

/* Reads conf_path and chooses. The file's errors, and each part a refused
 * or deferred file would loosen, are printed on stderr. 0, or a negative
 * errno when smbreakd must not start (the file has errors and no strict
 * break is on); then nothing is left to free. */
int startconf_choose(const char *conf_path, const char *state_dir, const char *data_dir,
                     struct startconf *out);
/* Frees the text (the conf is handed to the daemon). */
void startconf_clear(struct startconf *s);

#endif
