/* List files and the service catalog: a pure parser for one line of a list
 * (plain domain, hosts format, adblock ||name^), a streaming loader that reads
 * a file with bounded lines and reports each bad line as "file:line: why", the
 * catalog in DATADIR/services/NAME.list, and the build of a domains structure
 * from a configuration's [list] sections. Never logs: errors go to a callback. */
#ifndef SMB_LISTS_H
#define SMB_LISTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domains.h"

#define LISTS_LINE_MAX     4096 /* bytes of one line; longer lines are reported and skipped */
#define LISTS_LINE_NAMES   32   /* names taken from one hosts line */
#define LISTS_ERRORS_MAX   20   /* bad lines reported per file; the rest are counted */
#define LISTS_WHY_MAX      160  /* bytes of one line's reason */
#define LISTS_SERVICES_MAX 256  /* services in the catalog directory */

/* What one line held: 0..LISTS_LINE_NAMES normalised names, and a reason when
 * the line (or one name on it) was bad. A hosts line with one bad name among
 * good ones gives the good names and the reason. */
struct lists_line {
	size_t n;
	char names[LISTS_LINE_NAMES][DOMAINS_NAME_MAX + 1];
	uint8_t lens[LISTS_LINE_NAMES];
	size_t ignored;              /* localhost-style hosts entries and addresses skipped */
	char addr[INET6_ADDRSTRLEN]; /* a hosts line's address, as written; "" otherwise */
	char why[LISTS_WHY_MAX];     /* empty when nothing was wrong */
};

/* Parses one line (without its newline; a trailing CR is ignored). Returns the
 * number of names (>= 0), or -EINVAL when the line is bad and gave no name;
 * out->why says why whenever something was wrong. */
int lists_parse_line(const char *line, size_t len, struct lists_line *out);

/* Totals of one file. */
struct lists_stats {
	size_t lines;   /* lines read */
	size_t names;   /* names handed to on_name */
	size_t errors;  /* bad lines (reported or not) */
	size_t ignored; /* localhost-style entries skipped */
};

/* Called for every good name; a negative return stops the load with that
 * value (e.g. -E2BIG from the builder). */
typedef int (*lists_name_fn)(void *ctx, const char *name, size_t len, unsigned line);
/* Called with one complete message: "file:line: why", or "file: why" for the
 * file as a whole and for the summary of unreported lines. */
typedef void (*lists_error_fn)(void *ctx, const char *msg);

/* Reads a list file. Returns 0 when the file was read (bad lines do not fail
 * it), or a negative errno when it cannot be opened or read, is a directory
 * (-EISDIR), not a regular file (-EINVAL) or UTF-16 text (-EILSEQ), or when
 * on_name stopped it; that error is also reported. */
int lists_load_file(const char *path, lists_name_fn on_name, lists_error_fn on_error, void *ctx,
                    struct lists_stats *st);

/* Expands one `files =` pattern (glob(3) syntax) into a sorted, malloc'd
 * array of paths. A pattern without wildcards names exactly one path, which
 * must exist (-ENOENT otherwise); a pattern with wildcards may match nothing. */
int lists_glob(const char *pattern, char ***paths, size_t *n);
void lists_strv_free(char **v, size_t n);

/* Service names follow value_valid_name. The services in DATADIR/services, sorted, as a malloc'd
 * array. */
int lists_services(const char *datadir, char ***names, size_t *n);
/* Whether DATADIR/services/NAME.list exists. */
bool lists_service_exists(const char *datadir, const char *name);
/* Formats "unknown service 'NAME' (known: a, b, c)" into buf. */
void lists_unknown_service(const char *datadir, const char *name, char *buf, size_t len);
/* Loads DATADIR/services/NAME.list like a list file. */
int lists_load_service(const char *datadir, const char *name, lists_name_fn on_name,
                       lists_error_fn on_error, void *ctx, struct lists_stats *st);

/* The bypass hygiene lists shipped in DATADIR: bypass.list, the public
 * DoH/DoT/DoQ resolvers, by name (list LISTS_BYPASS_ENDPOINT of `names`) and,
 * on hosts-format lines, by address (`resolvers`); and wildcard.list, the
 * wildcard-IP services such as nip.io (list LISTS_BYPASS_WILDCARD), whose
 * answers carry whatever address the name spells. Both are blocked by name
 * during every break. */
#define LISTS_BYPASS_FILE     "bypass.list"
#define LISTS_WILDCARD_FILE   "wildcard.list"
#define LISTS_BYPASS_ENDPOINT 0u
#define LISTS_BYPASS_WILDCARD 1u
#define LISTS_RESOLVERS_MAX   512

/* One resolver address of bypass.list, with the first name of its line. */
struct lists_resolver {
	int family;
	uint8_t addr[16];
	unsigned line;
	char name[DOMAINS_NAME_MAX + 1];
};

struct lists_bypass {
	struct domains *names;
	struct lists_resolver *resolvers;
	size_t n_resolvers;
	char *path; /* bypass.list's, for explanations */
};

/* Loads both files of datadir. They ship with smbreak, so a missing file or
 * a bad line fails the load (-ENOENT, -EINVAL...), each reported; *out is
 * then empty. */
int lists_bypass_load(const char *datadir, lists_error_fn on_error, void *ctx,
                      struct lists_bypass *out);
/* The resolver entry holding an address, or NULL. */
const struct lists_resolver *lists_bypass_resolver(const struct lists_bypass *b, int family,
                                                   const uint8_t *addr);
/* NULL-safe; leaves *b empty. */
void lists_bypass_free(struct lists_bypass *b);

struct conf;

/* Per-list totals of a build, for the load summary. */
struct lists_summary {
	size_t entries[SMB_LISTS_MAX]; /* names added, block and allow */
	size_t errors[SMB_LISTS_MAX];  /* bad lines and bad names */
	size_t files[SMB_LISTS_MAX];   /* list files read */
};

/* Builds the structure for every [list] of a configuration: services from
 * the catalog, `domains =`, the files of `files =`, `allow =`. List i of the
 * conf is list index i; its `domains =` and `allow =` names are normalised
 * already (conf_parse); -EINVAL when one is not. Bad lines of list files are
 * reported and skipped; an
 * unknown service, a file that is missing or unreadable, or more than
 * SMB_LISTS_MAX lists fail the whole build (so a reload keeps the old
 * structure): the return is then negative and *out untouched. */
int lists_build(const struct conf *c, const char *datadir, lists_error_fn on_error, void *ctx,
                struct domains **out, struct lists_summary *sum);

#endif
