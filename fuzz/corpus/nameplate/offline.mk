# offline: a service reachable on its entry port that can reach nothing:
# no egress, no DNS. See nsproto.mk for the uplink of the simulated world.

RBRN_MONIKER                = offline
RBRN_DESCRIPTION            = published service without any egress

RBRN_ENCLAVE_SUBNET         = 10.242.1.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.1.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.1.3

# The sentry still needs an uplink to publish the entry port.
RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2

RBRN_ENTRY_ENABLED          = 1
RBRN_ENTRY_PORT_WORKSTATION = 8891
RBRN_ENTRY_PORT_ENCLAVE     = 8888

RBRN_UPLINK_DNS_ENABLED     = 0
RBRN_UPLINK_ACCESS_ENABLED  = 0
