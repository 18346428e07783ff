/* Scope-bound cleanup in bubblewrap's and crun's style: a variable declared
 * `cleanup_free char *buf = NULL;` is freed whatever way its scope is left,
 * so a function with several exits frees each thing in one place.
 * steal_pointer()/steal_fd() hand a value on and leave the variable empty,
 * so the cleanup of a value that was returned does nothing.
 *
 * The libraries' release functions are declared here, not included: a
 * file that uses none of them (and the fuzzers, built without libnl's or
 * libiptc's include paths) still compiles, and an unused static inline
 * function references nothing at link time.
 *
 * cppcheck 2.10 (Debian 12's) does not know the cleanup attribute: a
 * return it takes for a leak of such a variable is marked
 * `// cppcheck-suppress [memleak,resourceLeak] cleanup_*` (--inline-suppr). */
#ifndef RB_UTILS_H
#define RB_UTILS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Returns *pp and sets it to NULL; the conditional keeps the pointer type. */
static inline void *steal_pointer_(void *pp)
{
	void **ptr = (void **)pp;
	void *ref = *ptr;

	*ptr = NULL;
	return ref;
}
/* the cast is explicit: clang-tidy 19+ flags a T ** passed as void * */
#define steal_pointer(pp) (0 ? (*(pp)) : steal_pointer_((void *)(pp)))

/* Returns *fdp and sets it to -1. */
static inline int steal_fd(int *fdp)
{
	int fd = *fdp;

	*fdp = -1;
	return fd;
}

static inline void cleanup_freep(void *p)
{
	void **pp = (void **)p;

	free(*pp);
}

/* close() keeps errno: a cleanup runs after the code that set it. */
static inline void cleanup_closep(int *fdp)
{
	int e = errno;

	if (*fdp >= 0)
		close(*fdp);
	errno = e;
}

static inline void cleanup_filep(FILE **fp)
{
	int e = errno;

	if (*fp)
		fclose(*fp);
	errno = e;
}

#define cleanup_free  __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_file  __attribute__((cleanup(cleanup_filep)))

/* libnl-3: sockets, caches, and the objects a request is built from. */
struct nl_sock;
struct nl_cache;
struct nl_addr;
struct rtnl_route;
struct rtnl_nexthop;
extern void nl_socket_free(struct nl_sock *);
extern void nl_cache_free(struct nl_cache *);
extern void nl_addr_put(struct nl_addr *);
extern void rtnl_route_put(struct rtnl_route *);
extern void rtnl_route_nh_free(struct rtnl_nexthop *);

static inline void cleanup_nl_sockp(struct nl_sock **p)
{
	if (*p)
		nl_socket_free(*p);
}

static inline void cleanup_nl_cachep(struct nl_cache **p)
{
	if (*p)
		nl_cache_free(*p);
}

static inline void cleanup_nl_addrp(struct nl_addr **p)
{
	if (*p)
		nl_addr_put(*p);
}

static inline void cleanup_rtnl_routep(struct rtnl_route **p)
{
	if (*p)
		rtnl_route_put(*p);
}

static inline void cleanup_rtnl_nhp(struct rtnl_nexthop **p)
{
	if (*p)
		rtnl_route_nh_free(*p);
}

#define cleanup_nl_sock   __attribute__((cleanup(cleanup_nl_sockp)))
#define cleanup_nl_cache  __attribute__((cleanup(cleanup_nl_cachep)))
#define cleanup_nl_addr   __attribute__((cleanup(cleanup_nl_addrp)))
#define cleanup_rtnl_route __attribute__((cleanup(cleanup_rtnl_routep)))
#define cleanup_rtnl_nh   __attribute__((cleanup(cleanup_rtnl_nhp)))

/* libiptc and libip6tc share the handle type. */
struct xtc_handle;
extern void iptc_free(struct xtc_handle *);
extern void ip6tc_free(struct xtc_handle *);

static inline void cleanup_iptcp(struct xtc_handle **p)
{
	if (*p)
		iptc_free(*p);
}

static inline void cleanup_ip6tcp(struct xtc_handle **p)
{
	if (*p)
		ip6tc_free(*p);
}

#define cleanup_iptc  __attribute__((cleanup(cleanup_iptcp)))
#define cleanup_ip6tc __attribute__((cleanup(cleanup_ip6tcp)))

/* libmnl */
struct mnl_socket;
extern int mnl_socket_close(struct mnl_socket *);

static inline void cleanup_mnl_socketp(struct mnl_socket **p)
{
	if (*p)
		mnl_socket_close(*p);
}

#define cleanup_mnl_socket __attribute__((cleanup(cleanup_mnl_socketp)))

/* cJSON */
struct cJSON;
extern void cJSON_Delete(struct cJSON *);

static inline void cleanup_cjsonp(struct cJSON **p)
{
	if (*p)
		cJSON_Delete(*p);
}

#define cleanup_cjson __attribute__((cleanup(cleanup_cjsonp)))

#endif
