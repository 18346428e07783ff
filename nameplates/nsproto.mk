# nsproto: the RBM prototype service (docs/design.md), confined behind its sentry.
# Read by rb (lib/nameplate.c), never by make: plain NAME = value lines.
#
# The uplink below is the simulated world of the tests (docs/testing.md): an
# --internal podman network whose "world" container owns 8.8.8.8 and the
# allowed addresses. Real use sets RBRN_UPLINK_NETWORK = podman and drops
# RBRN_UPLINK_GATEWAY (the sentry then routes via that network's gateway),
# or overrides them: make bottle-start RBRN_UPLINK_NETWORK=podman RBRN_UPLINK_GATEWAY=

RBRN_MONIKER                = nsproto
RBRN_DESCRIPTION            = RBM prototype service, egress to anthropic.com only

RBRN_SENTRY_IMAGE           = localhost/rb-sentry:latest
RBRN_BOTTLE_IMAGE           = localhost/rb-bottle:latest
RBRN_BOTTLE_UID             = 1000

RBRN_ENCLAVE_SUBNET         = 10.242.0.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.0.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.0.3

RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2
RBRN_UPLINK_DNS_SERVER      = 8.8.8.8

RBRN_ENTRY_ENABLED          = 1
RBRN_ENTRY_PORT_WORKSTATION = 8890
RBRN_ENTRY_PORT_ENCLAVE     = 8888

RBRN_UPLINK_DNS_ENABLED     = 1
RBRN_UPLINK_DNS_GLOBAL      = 0    # allowlisted names only
RBRN_UPLINK_DNS_INTERCEPT   = 0    # DNS to other servers is rejected
RBRN_UPLINK_DNS_LOG         = 0    # 1: the sentry's podman logs show every question
RBRN_UPLINK_ACCESS_ENABLED  = 1
RBRN_UPLINK_ACCESS_GLOBAL   = 0    # allowlisted addresses only
RBRN_UPLINK_ALLOWED_CIDRS   = 160.79.104.0/23
RBRN_UPLINK_ALLOWED_DOMAINS = anthropic.com
