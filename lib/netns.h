/* Entering a container's network namespace by PID (setns on
 * /proc/PID/ns/net) from the host, and coming back. Affects the calling
 * thread only; sockets opened while inside stay bound to that netns. */
#ifndef RB_NETNS_H
#define RB_NETNS_H

#include "rb.h"

#include <sys/types.h>

/* Saves the current netns in *saved (an fd) and enters pid's. */
int rb_netns_enter_pid(pid_t pid, int *saved, struct rb_err *err);
/* Enters the netns at path (e.g. /run/netns/NAME), for tests and scripts. */
int rb_netns_enter_path(const char *path, int *saved, struct rb_err *err);
/* Returns to *saved and closes it; *saved becomes -1. Safe on -1. */
int rb_netns_leave(int *saved, struct rb_err *err);
/* Leaves after work that returned rc, keeping the first error: a failed
 * return is reported only when the work succeeded (rc >= 0). Returns rc
 * when it is a failure, else the return's result, else rc. */
int rb_netns_leave_after(int *saved, int rc, struct rb_err *err);

/* Writes value to /proc/sys/<key with dots as slashes> of the current netns. */
int rb_sysctl_set(const char *key, const char *value, struct rb_err *err);
int rb_sysctl_get(const char *key, char *buf, size_t len, struct rb_err *err);

#endif
