/* Whether the sentry's learner answers (learner_health.h). */
#include "learner_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_FILE "/proc/self/net/netfilter/nfnetlink_queue"
#define LEARNER_COMM "rb-learner"

int rb_learner_queue_parse(const char *text, unsigned int q, struct rb_learner_queue *out)
{
	memset(out, 0, sizeof(*out));
	for (const char *l = text; l && *l;) {
		unsigned int num, portid, mode, range;
		unsigned long waiting, dropped, udropped, seq;

		if (sscanf(l, "%u %u %lu %u %u %lu %lu %lu", &num, &portid, &waiting, &mode, &range,
			   &dropped, &udropped, &seq) == 8 &&
		    num == q) {
			out->bound = 1;
			out->waiting = waiting;
			/* ids are 32 bits and wrap: so does the difference */
			out->decided = (seq - udropped - waiting) & 0xffffffffUL;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -ENOENT;
}

static int queue_read(unsigned int q, struct rb_learner_queue *out)
{
	char buf[4096];
	size_t n = 0;
	FILE *f = fopen(QUEUE_FILE, "r");

	memset(out, 0, sizeof(*out));
	if (!f)
		return -ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return rb_learner_queue_parse(buf, q, out);
}

/* The learner among rb-sentryd's children, and its state letter ('T' when
 * stopped); 0 when it is not there. */
static pid_t learner_state(pid_t sentry, char *state)
{
	char path[96], kids[4096], buf[512];
	pid_t found = 0;
	size_t n;
	FILE *f;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)sentry, (int)sentry);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(kids, 1, sizeof(kids) - 1, f);
	fclose(f);
	kids[n] = '\0';
	for (char *save = NULL, *t = strtok_r(kids, " \n", &save); t && !found;
	     t = strtok_r(NULL, " \n", &save)) {
		char *end = NULL, *open, *close;
		long pid = strtol(t, &end, 10);

		if (!end || *end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "pid (comm) S ...": comm may hold anything, the last ')' ends it */
		open = strchr(buf, '(');
		close = strrchr(buf, ')');
		if (!open || !close || close < open || close[1] != ' ' || !close[2])
			continue;
		*close = '\0';
		if (strcmp(open + 1, LEARNER_COMM) != 0)
			continue;
		*state = close[2];
		found = (pid_t)pid;
	}
	return found;
}

int rb_learner_health(pid_t sentry_pid, unsigned int q, unsigned int wait_ms, char *why,
		      size_t len)
{
	struct rb_learner_queue first, now;
	char state = '?';
	pid_t pid = sentry_pid > 0 ? learner_state(sentry_pid, &state) : 0;
	int stopped;

	/* a zombie has exited: rb-sentryd has not reaped it yet */
	if (sentry_pid > 0 && (!pid || state == 'Z' || state == 'X')) {
		snprintf(why, len, "not running: upstream answers are dropped");
		return 0;
	}
	if (queue_read(q, &first) < 0) {
		snprintf(why, len, "not running (NFQUEUE %u unbound): upstream answers are "
				   "dropped", q);
		return 0;
	}
	stopped = state == 'T' || state == 't';
	now = first;
	for (unsigned int t = 0; now.waiting > 0 && t < wait_ms; t += 100) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (queue_read(q, &now) < 0) {
			snprintf(why, len, "not running (NFQUEUE %u unbound): upstream answers "
					   "are dropped", q);
			return 0;
		}
		if (now.decided != first.decided)
			break;
	}
	if (now.waiting > 0 && now.decided == first.decided) {
		snprintf(why, len, "not answering: %lu answers wait, no verdict in %u ms%s",
			 now.waiting, wait_ms, stopped ? " (stopped)" : "");
		return 0;
	}
	if (stopped) {
		snprintf(why, len, "not answering: pid %d is stopped", (int)pid);
		return 0;
	}
	snprintf(why, len, "bound to NFQUEUE %u", q);
	return 1;
}
