/* Bounded whole-file reads (file.h). */
#include "file.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_all(int fd, const char *what, const char *path, char *buf, size_t max,
		    size_t *len, struct rb_err *err)
{
	size_t n = 0;

	for (;;) {
		ssize_t got = read(fd, buf + n, max + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return rb_err_sys(err, errno, "cannot read %s \"%s\"", what, path);
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max)
			return rb_err_config(err, "%s \"%s\": larger than %zu bytes", what, path, max);
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

int rb_file_read(const char *what, const char *path, size_t max, char **text, size_t *len,
		 struct rb_err *err)
{
	cleanup_free char *buf = NULL;
	struct stat st;
	int fd, rc;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return rb_err_config_sys(err, errno, "cannot open %s \"%s\"", what, path);
	if (fstat(fd, &st) < 0)
		rc = rb_err_sys(err, errno, "cannot stat %s \"%s\"", what, path);
	else if (!S_ISREG(st.st_mode))
		rc = rb_err_config(err, "%s \"%s\": not a regular file", what, path);
	else if (!(buf = malloc(max + 1)))
		rc = rb_err_oom(err);
	else
		rc = read_all(fd, what, path, buf, max, len, err);
	close(fd);
	if (rc == 0)
		*text = steal_pointer(&buf);
	return rc;
}
