/* Network namespaces and sysctls: the two things rb-net-create needs from
 * /proc. setns() moves only the calling thread, so the saved fd is the
 * thread's own namespace (/proc/thread-self), not the thread group's. */
#include "netns.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int enter(const char *path, int *saved, struct rb_err *err)
{
	cleanup_close int self = -1;
	cleanup_close int target = -1;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return rb_err_sys(err, errno, "cannot open /proc/thread-self/ns/net");
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return rb_err_sys(err, errno, "cannot open network namespace %s", path);
	if (setns(target, CLONE_NEWNET) < 0)
		return rb_err_sys(err, errno, "cannot enter network namespace %s", path);
	*saved = steal_fd(&self);
	return 0;
}

int rb_netns_enter_pid(pid_t pid, int *saved, struct rb_err *err)
{
	char path[64];

	if (pid <= 0)
		return rb_err_set(err, -ESRCH, "cannot enter the network namespace of pid %ld",
				  (long)pid);
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)pid);
	return enter(path, saved, err);
}

int rb_netns_enter_path(const char *path, int *saved, struct rb_err *err)
{
	if (!path || !*path)
		return rb_err_config(err, "empty network namespace path");
	return enter(path, saved, err);
}

int rb_netns_leave(int *saved, struct rb_err *err)
{
	int rc = 0;

	if (!saved || *saved < 0)
		return 0;
	/* Staying in a container's netns after this point would make every
	 * later step act on the wrong network: the caller must treat a failure
	 * here as fatal. */
	if (setns(*saved, CLONE_NEWNET) < 0)
		rc = rb_err_sys(err, errno, "cannot return to the original network namespace");
	close(*saved);
	*saved = -1;
	return rc;
}

int rb_netns_leave_after(int *saved, int rc, struct rb_err *err)
{
	struct rb_err later = { 0 };
	int lrc;

	lrc = rb_netns_leave(saved, rc < 0 ? &later : err);
	return rc < 0 || lrc == 0 ? rc : lrc;
}

/* Keys come partly from podman's JSON (interface names): refuse anything
 * that could climb out of /proc/sys. Like sysctl(8), a key that contains a
 * '/' is taken as a path, so interface names with dots
 * (net/ipv6/conf/eth0.100/disable_ipv6) stay expressible. */
static int sysctl_path(const char *key, char *path, size_t len, struct rb_err *err)
{
	const char *p;
	size_t off, comp = 0;
	int slashes = strchr(key, '/') != NULL;

	off = (size_t)snprintf(path, len, "/proc/sys/");
	if (!*key)
		return rb_err_config(err, "empty sysctl key");
	for (p = key; *p; p++) {
		char c = *p;

		if (!slashes && c == '.')
			c = '/';
		if (c == '/') {
			if (comp == 0)
				return rb_err_config(err, "invalid sysctl key \"%s\"", key);
			comp = 0;
		} else {
			comp++;
		}
		if (off + 1 >= len)
			return rb_err_config(err, "sysctl key too long: \"%.64s...\"", key);
		path[off++] = c;
	}
	path[off] = '\0';
	if (comp == 0 || strstr(path, "/../") || strstr(path, "/./") ||
	    (off >= 3 && strcmp(path + off - 3, "/..") == 0) ||
	    (off >= 2 && strcmp(path + off - 2, "/.") == 0))
		return rb_err_config(err, "invalid sysctl key \"%s\"", key);
	return 0;
}

int rb_sysctl_set(const char *key, const char *value, struct rb_err *err)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	cleanup_close int fd = -1;
	ssize_t n;
	int rc;

	rc = sysctl_path(key, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return rb_err_sys(err, errno, "cannot set %s", key);
	n = write(fd, value, len);
	if (n < 0)
		return rb_err_sys(err, errno, "cannot set %s to %s", key, value);
	if ((size_t)n != len)
		return rb_err_set(err, -EIO, "cannot set %s to %s: short write", key, value);
	return 0;
}

int rb_sysctl_get(const char *key, char *buf, size_t len, struct rb_err *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t n;
	int rc;

	if (len == 0)
		return rb_err_set(err, -EINVAL, "no room to read %s", key);
	rc = sysctl_path(key, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rb_err_sys(err, errno, "cannot read %s", key);
	n = read(fd, buf, len - 1);
	if (n < 0)
		return rb_err_sys(err, errno, "cannot read %s", key);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return 0;
}
