/* Locks around firewall writes: /run/xtables.lock as iptables -w takes it,
 * and the generic flock the whole-sentry apply lock is built on. */
#include "fw_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define XT_LOCK_PATH "/run/xtables.lock"
#define XT_LOCK_WAIT_MS 5000

/* An exclusive flock on path, waiting up to wait_ms: the fd, or -errno. */
int rb_flock(const char *path, int wait_ms, struct rb_err *err)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int fd, waited = 0;

	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return rb_err_sys(err, errno, "cannot open %s", path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e != EWOULDBLOCK || waited >= wait_ms) {
			close(fd);
			if (e == EWOULDBLOCK)
				return rb_err_set(err, -EBUSY, "%s is held by another program for %d s",
						  path, wait_ms / 1000);
			return rb_err_sys(err, e, "cannot lock %s", path);
		}
		nanosleep(&ts, NULL);
		waited += 50;
	}
	return fd;
}

int rb_xtables_lock(struct rb_err *err)
{
	return rb_flock(XT_LOCK_PATH, XT_LOCK_WAIT_MS, err);
}

void rb_xtables_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
