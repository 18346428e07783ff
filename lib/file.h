/* Reading a whole file that rb was told to read (a nameplate, a seccomp
 * profile, the learner's configuration): bounded, and only a regular file. */
#ifndef RB_FILE_H
#define RB_FILE_H

#include "rb.h"

#include <stddef.h>

/* Reads path whole into *text (malloc'd, NUL-terminated, *len bytes before
 * the NUL). what names the file in the messages:
 *   cannot open WHAT "PATH": strerror      (exit 1: the name was given)
 *   WHAT "PATH": not a regular file
 *   WHAT "PATH": larger than MAX bytes
 * Opened non-blocking, so a FIFO is refused instead of hanging. */
int rb_file_read(const char *what, const char *path, size_t max, char **text, size_t *len,
		 struct rb_err *err);

#endif
