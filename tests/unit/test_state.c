/* Unit tests for the state file: text round trips, strict parsing, a bad file
 * set aside as state.bad, atomic replacement, skips; and the file helpers
 * under it (bounded reads, loads that set a bad file aside). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "file.h"
#include "state.h"

static void test_round_trip(void)
{
	struct state s = {0}, t;
	char buf[4096], err[128];

	s.adhoc.on = true;
	s.adhoc.strict = true;
	s.adhoc.start = 1772960400;
	s.adhoc.end = 1772964000;
	s.adhoc.boot_start = 1234;
	s.adhoc.length = 3600;
	strcpy(s.adhoc.boot_id, "0123abcd-0123-4567-89ab-0123456789ab");
	strcpy(s.adhoc.lists[0], "social");
	strcpy(s.adhoc.lists[1], "news");
	s.adhoc.n_lists = 2;
	CHECK_INT(state_add_skip(&s, "work", 1772985600), 0);
	CHECK_INT(state_add_skip(&s, "work", 1772985600), 0); /* idempotent */
	CHECK_INT(s.n_skips, 1);

	int len = state_format(&s, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(strstr(buf, "adhoc 1772960400 1772964000 1 1234 3600 "
	                  "0123abcd-0123-4567-89ab-0123456789ab social,news\n") != NULL);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK(t.adhoc.on && t.adhoc.strict);
	CHECK_INT(t.adhoc.end, 1772964000);
	CHECK_INT(t.adhoc.length, 3600);
	CHECK_STR(t.adhoc.boot_id, s.adhoc.boot_id);
	CHECK_INT(t.adhoc.n_lists, 2);
	CHECK_STR(t.adhoc.lists[1], "news");
	CHECK_INT(t.n_skips, 1);
	CHECK(state_is_skipped(&t, "work", 1772985600));
	CHECK(!state_is_skipped(&t, "work", 1772985601));
	CHECK(!state_is_skipped(&t, "night", 1772985600));

	/* An all-lists break without a boot id. */
	memset(&s, 0, sizeof(s));
	s.adhoc.on = true;
	s.adhoc.start = 10;
	s.adhoc.end = 20;
	len = state_format(&s, buf, sizeof(buf));
	CHECK(strstr(buf, "adhoc 10 20 0 0 0 - *\n") != NULL);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.adhoc.n_lists, 0);
	CHECK_STR(t.adhoc.boot_id, "");
	CHECK_INT(t.adhoc.whom.n_uids, 0);

	/* A pause for some users keeps them. */
	s.adhoc.whom = (struct whom){.n_uids = 2, .uids = {0, 4242}};
	len = state_format(&s, buf, sizeof(buf));
	CHECK(strstr(buf, "adhoc 10 20 0 0 0 - *\nusers 0,4242\n") != NULL);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK(whom_equal(&t.adhoc.whom, &s.adhoc.whom));
	s.adhoc.whom.n_uids = 0;

	/* A pause for some devices keeps their names (a file without the
	 * record, as before it, is a pause for everyone: see above). */
	s.adhoc.n_devices = 2;
	strcpy(s.adhoc.devices[0], "phone1");
	strcpy(s.adhoc.devices[1], "tablet-2");
	len = state_format(&s, buf, sizeof(buf));
	CHECK(strstr(buf, "adhoc 10 20 0 0 0 - *\ndevices phone1,tablet-2\n") != NULL);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.adhoc.n_devices, 2);
	CHECK_STR(t.adhoc.devices[1], "tablet-2");
	CHECK_INT(t.adhoc.whom.devices, 0);
	s.adhoc.n_devices = 0;

	CHECK_INT(state_format(&s, buf, 10), -ENOSPC);
}

static void expect_bad(const char *text, const char *why)
{
	struct state t;
	char err[128] = "";

	CHECK_INT(state_parse(text, strlen(text), &t, err, sizeof(err)), -EINVAL);
	if (strcmp(err, why) != 0) {
		check_failures++;
		fprintf(stderr, "parse of \"%s\": error \"%s\", want \"%s\"\n", text, err, why);
	}
}

static void test_bad(void)
{
	expect_bad("", "empty or without a version line");
	expect_bad("version 2\n", "line 1: expected 'version 1'");
	expect_bad("adhoc 1 2 0 0 0 - *\n", "line 1: expected 'version 1'");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *", "line 2: unterminated (truncated file?)");
	expect_bad("version 1\nadhoc 2 1 0 0 0 - *\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 2 3 0 0 - *\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 xyz *\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - Bad!\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - a,B\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\nadhoc 1 2 0 0 0 - *\n",
	           "line 3: bad adhoc record");
	expect_bad("version 1\nskip work\n", "line 2: bad skip record");
	expect_bad("version 1\nskip work 12x\n", "line 2: bad skip record");
	expect_bad("version 1\nfrobnicate 1\n", "line 2: unknown record 'frobnicate'");
	expect_bad("version 1\nusers 1\n", "line 2: bad users record"); /* no pause */
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\nusers 1,x\n", "line 3: bad users record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\nusers -1\n", "line 3: bad users record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\nusers 1\nusers 2\n",
	           "line 4: bad users record");
	expect_bad("version 1\ndevices phone1\n", "line 2: bad devices record"); /* no pause */
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\ndevices *\n", "line 3: bad devices record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\ndevices Phone\n", "line 3: bad devices record");
	expect_bad("version 1\nadhoc 1 2 0 0 0 - *\ndevices a\ndevices b\n",
	           "line 4: bad devices record");

	struct state t;
	char err[128];
	const char nul[] = "version 1\n\0\n";
	CHECK_INT(state_parse(nul, sizeof(nul) - 1, &t, err, sizeof(err)), -EINVAL);
}

/* Planned pauses, for everyone (the old 7-field line) and for some users or
 * devices (users= and devices= fields). */
static void test_plans(void)
{
	static struct state s, t;
	char buf[8192], err[128];

	s.plans[0] = (struct state_plan){.id = 3, .start = 100, .end = 200, .strict = true};
	strcpy(s.plans[0].lists[0], "social");
	s.plans[0].n_lists = 1;
	s.plans[1] =
	    (struct state_plan){.id = 4, .start = 300, .end = 400, .cycle = 1, .cycles = 2};
	s.plans[1].whom.n_uids = 2;
	s.plans[1].whom.uids[0] = 1000;
	s.plans[1].whom.uids[1] = 1001;
	strcpy(s.plans[1].devices[0], "phone1");
	strcpy(s.plans[1].devices[1], "tablet");
	s.plans[1].n_devices = 2;
	s.n_plans = 2;
	int len = state_format(&s, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(strstr(buf, "plan 3 100 200 1 social 0/0\n") != NULL);
	CHECK(strstr(buf, "plan 4 300 400 0 * 1/2 users=1000,1001 devices=phone1,tablet\n") !=
	      NULL);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.n_plans, 2);
	CHECK_INT(t.plans[0].whom.n_uids, 0);
	CHECK_INT(t.plans[0].n_devices, 0);
	CHECK_INT(t.plans[1].whom.n_uids, 2);
	CHECK_INT(t.plans[1].whom.uids[1], 1001);
	CHECK_INT(t.plans[1].n_devices, 2);
	CHECK_STR(t.plans[1].devices[1], "tablet");
	CHECK_INT(t.next_plan_id, 5);
	/* The longest plan line the daemon writes reads back. */
	memset(&s, 0, sizeof(s));
	struct state_plan *big = &s.plans[0];
	*big = (struct state_plan){.id = 9, .start = 100, .end = 200, .strict = true};
	for (size_t i = 0; i < STATE_PLAN_LISTS; i++)
		snprintf(big->lists[i], sizeof(big->lists[i]), "%0*zu", VALUE_NAME_MAX, i);
	big->n_lists = STATE_PLAN_LISTS;
	for (uint32_t i = 0; i < SMB_WHOM_USERS_MAX; i++)
		big->whom.uids[big->whom.n_uids++] = 4000000000u + i;
	for (size_t i = 0; i < SMB_DEVICES_MAX; i++)
		snprintf(big->devices[i], sizeof(big->devices[i]), "d%0*zu", VALUE_NAME_MAX - 1, i);
	big->n_devices = SMB_DEVICES_MAX;
	s.n_plans = 1;
	len = state_format(&s, buf, sizeof(buf));
	CHECK(len > 2048);
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.plans[0].n_devices, SMB_DEVICES_MAX);
	CHECK_STR(t.plans[0].devices[SMB_DEVICES_MAX - 1], big->devices[SMB_DEVICES_MAX - 1]);
	/* Either field alone; each at most once, nothing else after the cycle. */
	static const char *const good[] = {
	    "version 1\nplan 1 10 20 0 * 0/0 users=0\n",
	    "version 1\nplan 1 10 20 0 * 0/0 devices=kid\n",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_INT(state_parse(good[i], strlen(good[i]), &t, err, sizeof(err)), 0);
	static const char *const bad[] = {
	    "version 1\nplan 1 10 20 0 * 0/0 users=\n",
	    "version 1\nplan 1 10 20 0 * 0/0 users=x\n",
	    "version 1\nplan 1 10 20 0 * 0/0 users=1 users=2\n",
	    "version 1\nplan 1 10 20 0 * 0/0 devices=\n",
	    "version 1\nplan 1 10 20 0 * 0/0 devices=*\n",
	    "version 1\nplan 1 10 20 0 * 0/0 devices=bad!name\n",
	    "version 1\nplan 1 10 20 0 * 0/0 whom=1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (state_parse(bad[i], strlen(bad[i]), &t, err, sizeof(err)) != -EINVAL)
			CHECK_STR(bad[i], "refused");
}

static void test_files(void)
{
	char dir[] = "/tmp/smb-state-XXXXXX", path[256], err[128];
	struct state s = {0}, t;

	CHECK(mkdtemp(dir) != NULL);
	/* Missing file: empty state. */
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 0);
	CHECK(!t.adhoc.on);

	s.adhoc.on = true;
	s.adhoc.start = 100;
	s.adhoc.end = 200;
	CHECK_INT(state_save(dir, &s), 0);
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 0);
	CHECK(t.adhoc.on);
	CHECK_INT(t.adhoc.end, 200);
	snprintf(path, sizeof(path), "%s/.state.tmp", dir);
	CHECK(access(path, F_OK) < 0); /* no temp file left behind */

	/* A corrupt file is kept as state.bad and the state starts empty. */
	snprintf(path, sizeof(path), "%s/state", dir);
	FILE *f = fopen(path, "w");
	fputs("version 1\ngarbage here\n", f);
	fclose(f);
	/* A peek reads it as empty and leaves it for the load to set aside. */
	t.adhoc.on = true;
	CHECK_INT(state_peek(dir, &t, err, sizeof(err)), 1);
	CHECK_STR(err, "line 2: unknown record 'garbage'");
	CHECK(!t.adhoc.on);
	CHECK(access(path, F_OK) == 0);
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 1);
	CHECK_STR(err, "line 2: unknown record 'garbage'");
	CHECK(!t.adhoc.on);
	CHECK(access(path, F_OK) < 0);
	snprintf(path, sizeof(path), "%s/state.bad", dir);
	CHECK(access(path, F_OK) == 0);

	/* What is not a regular file is set aside without being read: a FIFO
	 * (opened without waiting), a directory (with state.bad a file in the
	 * way), a symbolic link loop, a link to another file (not followed). */
	char state[300], bad1[300], target[300];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(bad1, sizeof(bad1), "%s/state.bad.1", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	CHECK_INT(mkfifo(state, 0600), 0);
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 1);
	CHECK_STR(err, "not a regular file");
	CHECK(access(state, F_OK) < 0);
	CHECK_INT(mkdir(state, 0700), 0);
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 1);
	CHECK_STR(err, "a directory, not a file");
	CHECK(access(state, F_OK) < 0);
	CHECK(access(bad1, F_OK) == 0);    /* state.bad, the FIFO, was in the way */
	CHECK_INT(state_save(dir, &s), 0); /* and the place is free again */
	unlink(state);
	CHECK_INT(symlink(state, state), 0); /* a loop */
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 1);
	CHECK_STR(err, "a symbolic link, not a file");
	CHECK(access(state, F_OK) < 0);
	CHECK_INT(state_save(dir, &s), 0);
	rename(state, target);
	CHECK_INT(symlink(target, state), 0);
	CHECK_INT(state_load(dir, &t, err, sizeof(err)), 1);
	CHECK(!t.adhoc.on); /* the link was not followed */

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

static int parse_ok(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	*(size_t *)out = len + (text[len] == '\0'); /* the text ends in a NUL */
	return 0;
}

static int parse_oom(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	(void)text, (void)len, (void)out, (void)err, (void)errlen;
	return -ENOMEM;
}

static void test_file_helpers(void)
{
	char dir[] = "/tmp/smb-file-XXXXXX", path[256], err[128];
	char *text = NULL;
	size_t len = 0, got = 0;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	f = fopen(path, "w");
	fputs("0123456789", f);
	fclose(f);
	/* exactly max bytes is read, one byte less of room is too little */
	CHECK_INT(file_read_all(path, 10, &text, &len), 0);
	CHECK_INT(len, 10);
	CHECK_STR(text, "0123456789");
	free(text);
	text = NULL;
	CHECK_INT(file_read_all(path, 9, &text, &len), -EFBIG);
	CHECK(text == NULL);
	CHECK_INT(file_read_all(dir, 10, &text, &len), -EISDIR);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(file_read_all(path, 10, &text, &len), -ENOENT);

	/* file_load: missing is fine, parsed is fine, too large is set aside,
	 * and a parser out of memory leaves the file where it is */
	CHECK_INT(file_load(dir, "missing", 10, parse_ok, &got, err, sizeof(err)), 0);
	CHECK_INT(file_load(dir, "f", 10, parse_ok, &got, err, sizeof(err)), 0);
	CHECK_INT(got, 11);
	CHECK_INT(file_load(dir, "f", 10, parse_oom, &got, err, sizeof(err)), -ENOMEM);
	CHECK_INT(file_load(dir, "f", 9, parse_ok, &got, err, sizeof(err)), 1);
	CHECK_STR(err, "larger than 9 bytes");
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(access(path, F_OK) < 0);
	snprintf(path, sizeof(path), "%s/f.bad", dir);
	CHECK(access(path, F_OK) == 0);

	unlink(path);
	rmdir(dir);
}

static void test_prune(void)
{
	struct state s = {0};

	state_add_skip(&s, "a", 100);
	state_add_skip(&s, "b", 200);
	state_add_skip(&s, "c", 300);
	state_prune(&s, 200);
	CHECK_INT(s.n_skips, 1);
	CHECK_STR(s.skips[0].name, "c");
	for (int i = 0; i < STATE_SKIPS_MAX; i++)
		state_add_skip(&s, "x", 1000 + i);
	CHECK_INT(state_add_skip(&s, "y", 5000), -ENOSPC);
}

/* A strict pause whose strict part ends before it, and holds of strict
 * breaks on CLOCK_BOOTTIME. */
static void test_strict_part_and_holds(void)
{
	struct state s = {0}, t;
	char buf[4096], err[128];
	const char *boot = "0123abcd-0123-4567-89ab-0123456789ab";

	s.adhoc.on = s.adhoc.strict = true;
	s.adhoc.start = 100;
	s.adhoc.strict_end = 200;
	s.adhoc.end = 300;
	strcpy(s.adhoc.boot_id, boot);
	strcpy(s.holds[0].name, "night");
	s.holds[0].start = 50;
	s.holds[0].end = 400;
	s.holds[0].boot_end = 9999;
	strcpy(s.holds[0].boot_id, boot);
	s.n_holds = 1;
	int len = state_format(&s, buf, sizeof(buf));
	CHECK(strstr(buf, "adhoc 100 300 1 0 0 0123abcd-0123-4567-89ab-0123456789ab * 200\n"));
	CHECK(strstr(buf, "hold night 50 400 9999 0123abcd-0123-4567-89ab-0123456789ab\n"));
	CHECK_INT(state_parse(buf, (size_t)len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.adhoc.strict_end, 200);
	CHECK_INT(t.n_holds, 1);
	CHECK_STR(t.holds[0].name, "night");
	CHECK_INT(t.holds[0].boot_end, 9999);
	CHECK_STR(t.holds[0].boot_id, boot);

	/* A strict pause written before STRICT_END: strict to its end. */
	const char *old = "version 1\nadhoc 1 2 1 0 0 - *\n";
	CHECK_INT(state_parse(old, strlen(old), &t, err, sizeof(err)), 0);
	CHECK_INT(t.adhoc.strict_end, 2);
	/* A strict part past the end, or on a pause that is not strict. */
	expect_bad("version 1\nadhoc 1 5 1 0 0 - * 6\n", "line 2: bad adhoc record");
	expect_bad("version 1\nadhoc 1 5 0 0 0 - * 3\n", "line 2: bad adhoc record");
	expect_bad("version 1\nhold night 5 1 9 0123abcd-0123-4567-89ab-0123456789ab\n",
	           "line 2: bad hold record");
	expect_bad("version 1\nhold night 1 5 9 -\n", "line 2: bad hold record");
	expect_bad("version 1\nhold Night 1 5 9 0123abcd-0123-4567-89ab-0123456789ab\n",
	           "line 2: bad hold record");
}

int main(void)
{
	test_round_trip();
	test_plans();
	test_strict_part_and_holds();
	test_bad();
	test_files();
	test_file_helpers();
	test_prune();
	CHECK_DONE();
}
