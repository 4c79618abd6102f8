#!/bin/sh
# Starts dns_peer the way an Elixir release starts a node (rel/env.sh.eex's variables):
#   RELEASE_DISTRIBUTION  name (long names, erl -name) or sname (erl -sname)
#   RELEASE_NODE          basename@host; a bare basename takes the host erl finds (the pod's FQDN in Kubernetes, from
#                         /etc/hosts, what `hostname -f` prints); basename@ip takes this container's address
#                         (`hostname -i`: Docker, where containers have no FQDN)
#   RELEASE_COOKIE        the cluster cookie: written to $HOME/.erlang.cookie (owner-only), never on the command line
#   ERL_AFLAGS            read by erl itself, e.g. "-kernel inet_dist_listen_min 8585 inet_dist_listen_max 8585"
# erl starts epmd (port ERL_EPMD_PORT, else 4369) as Erlang releases do.
set -eu
: "${RELEASE_COOKIE:?set RELEASE_COOKIE to the cluster cookie}"
node="${RELEASE_NODE:?set RELEASE_NODE to basename or basename@host}"
case "$node" in
  *@ip) node="${node%@ip}@$(hostname -i | cut -d' ' -f1)" ;;
esac
case "${RELEASE_DISTRIBUTION:-name}" in
  name) flag=-name ;;
  sname) flag=-sname ;;
  *) echo "RELEASE_DISTRIBUTION must be name or sname, got ${RELEASE_DISTRIBUTION}" >&2; exit 2 ;;
esac
umask 077
printf '%s' "$RELEASE_COOKIE" > "$HOME/.erlang.cookie"
unset RELEASE_COOKIE
exec erl -noshell -noinput "$flag" "$node" -pa /opt/dns_peer/ebin -s dns_peer main
