# open: any public address and any name. Private, loopback, link-local and
# multicast ranges and the host stay unreachable (docs/design.md, policy rules).
# See nsproto.mk for the uplink of the simulated world.

RBRN_MONIKER                = open
RBRN_DESCRIPTION            = global egress and global DNS

RBRN_ENCLAVE_SUBNET         = 10.242.2.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.2.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.2.3

RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2
RBRN_UPLINK_DNS_SERVER      = 8.8.8.8

RBRN_ENTRY_ENABLED          = 0

RBRN_UPLINK_DNS_ENABLED     = 1
RBRN_UPLINK_DNS_GLOBAL      = 1
RBRN_UPLINK_DNS_INTERCEPT   = 1    # DNS sent elsewhere is answered by the sentry
RBRN_UPLINK_ACCESS_ENABLED  = 1
RBRN_UPLINK_ACCESS_GLOBAL   = 1
