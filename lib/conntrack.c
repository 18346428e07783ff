/* Flushing the conntrack table of the current netns over ctnetlink: an
 * IPCTNL_MSG_CT_DELETE without a tuple deletes every entry of the family.
 * Done after the new rules are in, so connections accepted under an older
 * (or no) policy cannot live on as ESTABLISHED. */
#include "fw_int.h"
#include "utils.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int flush_family(int fd, uint8_t family, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[1024];
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = seq;
	req.nf.nfgen_family = family;
	req.nf.version = NFNETLINK_V0;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error;
			}
		}
	}
}

int rb_conntrack_flush(struct rb_err *err)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, rc = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return rb_err_sys(err, errno, "cannot open ctnetlink");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = rb_err_sys(err, errno, "cannot bind ctnetlink");
		goto out;
	}
	for (size_t i = 0; i < N_ELEMENTS(families); i++) {
		rc = flush_family(fd, families[i], (uint32_t)i + 1);
		/* no conntrack in this netns yet means nothing to flush */
		if (rc == -ENOENT || rc == -EOPNOTSUPP)
			rc = 0;
		if (rc < 0) {
			rc = rb_err_sys(err, -rc, "cannot flush conntrack");
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}
