# A nameplate with ported entries of every form, for test/golden/ports.*:
# CIDRs and names on some ports, a UDP port, a range, a CIDR inside
# another with an overlapping port, an entry also listed without ports.
RBRN_MONIKER                = ports
RBRN_ENCLAVE_SUBNET         = 10.242.9.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.9.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.9.3
RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2
RBRN_UPLINK_DNS_SERVER      = 8.8.8.8
RBRN_UPLINK_DNS_ENABLED     = 1
RBRN_UPLINK_ACCESS_ENABLED  = 1
RBRN_UPLINK_ALLOWED_CIDRS   = 160.79.104.0/23:443 160.79.104.0/24:443,8443 203.0.113.0/24:5000/udp 198.51.100.0/24:8000-8003 93.184.216.0/24 93.184.216.0/24:22
RBRN_UPLINK_ALLOWED_DOMAINS = api.anthropic.com:443 github.com:22,443 pypi.org
