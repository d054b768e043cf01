/* Durations as users write them ("90s", "45m", "1h30m", "2d"): the one parser
 * and formatter shared by the config (conf_parse_duration), the state file and
 * smctl, which must not link the config library. Pure. */
#ifndef SMB_DURATION_H
#define SMB_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* One or more groups of decimal digits followed by a unit, d, h, m or s, each
 * unit at most once and in that order ("1d12h", "1h30m", "90s", "0s"); no
 * spaces, no sign. A bare number is refused (say the unit). Returns 0, -EINVAL
 * for bad syntax, or -ERANGE when the total passes UINT32_MAX seconds (136
 * years; every caller stores seconds in 32 or 64 bits). */
int duration_parse(const char *s, uint64_t *secs);

/* Formats exactly, the way users write it: "1h30m", "45m", "2d", "1d0h5s" is
 * written "1d5s"; zero is "0s". A short buffer gets whole groups only ("1d"
 * of "1d2h"), always NUL-terminated when len > 0. */
void duration_format(uint64_t secs, char *buf, size_t len);

#endif
