# agent: an AI coding agent's bottle. Its API, a code host over SSH and
# HTTPS, a package registry; nothing else. The workspace comes from the
# command line, read-write:
#   make bottle-start NAMEPLATE=agent RBRN_BOTTLE_VOLUMES=$PWD:/workspace:rw
# and the agent's key from an env file only root can read (never put it
# here, nor on a command line):
#   make bottle-start NAMEPLATE=agent ... RBRN_BOTTLE_ENV_FILE=/root/agent.env
# docs/workload.md says how to put your agent's image and command
# in. The uplink below is the simulated world of the tests (see nsproto.mk);
# on your real network: RBRN_UPLINK_NETWORK=podman RBRN_UPLINK_GATEWAY=
# RBRN_UPLINK_DNS_SERVER= (the host's resolver).

RBRN_MONIKER                = agent
RBRN_DESCRIPTION            = AI coding agent: its API, a code host, a package registry

RBRN_BOTTLE_IMAGE           = localhost/rb-bottle:latest
RBRN_BOTTLE_UID             = 1000

RBRN_ENCLAVE_SUBNET         = 10.242.3.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.3.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.3.3

RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2
RBRN_UPLINK_DNS_SERVER      = 8.8.8.8

# Optional SSH entry: the host's port 2222 to an sshd the bottle's image
# runs on port 22 as the bottle's uid (docs/workload.md, "SSH entry").
# Off here; on with RBRN_ENTRY_ENABLED=1 here or on the make command line.
# Nothing goes the other way: the bottle still cannot reach the host.
RBRN_ENTRY_ENABLED          = 0
RBRN_ENTRY_PORT_WORKSTATION = 2222
RBRN_ENTRY_PORT_ENCLAVE     = 22

RBRN_UPLINK_DNS_ENABLED     = 1
RBRN_UPLINK_ACCESS_ENABLED  = 1
# The agent's API on 443, the code host on 22 (git over SSH) and 443, the
# package registry on 443: NAME:PORTS opens those TCP ports of the name's
# answers only (README "Ports").
RBRN_UPLINK_ALLOWED_DOMAINS = api.anthropic.com:443 github.com:22,443 pypi.org:443

# A stand-in for the agent: it works in its workspace and talks to its API
# and the code host every 20 s, recording what answered; on its terminal
# (make bottle-attach) it answers each line typed and keeps it in
# .agent-heard. Put your agent's argv here, e.g.
# ["/usr/local/bin/agent", "--workspace", "/workspace"].
RBRN_BOTTLE_COMMAND         = ["/bin/sh", "-c", "echo agent: started; cd /workspace || exit 1; while :; do date -u > .agent-last; nc -w 3 api.anthropic.com 443 < /dev/null >> .agent-last 2>&1; nc -w 3 github.com 22 < /dev/null >> .agent-last 2>&1; sleep 20; done & tee -a .agent-heard | sed -u 's/^/agent heard: /'; wait"]
RBRN_BOTTLE_WORKDIR         = /workspace
RBRN_BOTTLE_TTY             = 1
# Limits: a runaway agent (a fork or allocation loop, a build on every
# core) stops here, not at the host's end.
RBRN_BOTTLE_MEMORY          = 2g
RBRN_BOTTLE_CPUS            = 1
RBRN_BOTTLE_PIDS            = 1024
