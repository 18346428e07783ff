/* rb_priv_drop (priv.h), with the raw capget/capset interface: the two
 * calls rb needs do not justify libcap. */
#include "priv.h"
#include "addr.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int rb_priv_lookup(const char *user, uid_t *uid, gid_t *gid, struct rb_err *err)
{
	const struct passwd *pw;
	unsigned long v;

	/* a number is a uid (the sentry image has no passwd entry for it);
	 * anything that starts with a digit must be one */
	if (user[0] >= '0' && user[0] <= '9') {
		if (rb_parse_uint(user, 0x7fffffffUL, &v) < 0 || v == 0)
			return rb_err_config(err, "user \"%s\": not a non-root uid", user);
		*uid = (uid_t)v;
		*gid = (gid_t)v;
		return 0;
	}
	pw = getpwnam(user);
	if (!pw)
		return rb_err_config(err, "user \"%s\": no such user", user);
	if (pw->pw_uid == 0)
		return rb_err_config(err, "user \"%s\": is root", user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

int rb_priv_drop(uid_t uid, gid_t gid, uint64_t keep, struct rb_err *err)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t lo = (uint32_t)keep, hi = (uint32_t)(keep >> 32);

	if (uid == 0)
		return rb_err_config(err, "refusing to run as root");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return rb_err_sys(err, errno, "cannot set no-new-privs");
	/* the bounding set first, while CAP_SETPCAP is still effective */
	for (unsigned long c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			return rb_err_sys(err, errno, "cannot drop capability %lu from the bounding set", c);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return rb_err_sys(err, errno, "cannot clear the ambient set");
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return rb_err_sys(err, errno, "cannot keep capabilities");
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return rb_err_sys(err, errno, "cannot become uid %u", (unsigned int)uid);
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = lo;
	d[1].effective = d[1].permitted = hi;
	if (syscall(SYS_capset, &h, d) < 0)
		return rb_err_sys(err, errno, "cannot set capabilities");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return rb_err_sys(err, errno, "cannot reset keep-capabilities");
	memset(d, 0, sizeof(d));
	if (caps_get(d) < 0 || d[0].permitted != lo || d[1].permitted != hi || d[0].inheritable ||
	    d[1].inheritable || getuid() != uid || geteuid() != uid)
		return rb_err_set(err, -EPERM, "capabilities are not what was asked for");
	return 0;
}

int rb_priv_kill_as(pid_t pid, uid_t uid, int sig)
{
	int rc;

	if (kill(pid, sig) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* kill(2) lets a sender whose euid is the target's real uid through */
	if (seteuid(uid) < 0)
		return -errno;
	rc = kill(pid, sig) < 0 ? -errno : 0;
	/* back to 0: allowed by the real uid; the kernel restores the
	 * effective capabilities from the permitted ones */
	if (seteuid(0) < 0)
		abort();
	return rc;
}
