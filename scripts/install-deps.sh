#!/usr/bin/env bash
# Installs what the tests and the demo need on Debian: PostgreSQL and
# PgBouncer (real servers for integration tests), promtool (package
# prometheus), Alertmanager and amtool (package prometheus-alertmanager),
# openssl, systemd-analyze
# (package systemd, to verify the units in deploy/systemd), testssl.sh (the
# scanner the TLS scan is compared with). Does nothing for what is already installed.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v stress-ng >/dev/null 2>&1 || need+=(stress-ng)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${need[*]}; run as root or install them" >&2
  exit 1
fi
# Keep Debian from creating (and starting) a cluster of its own.
mkdir -p /etc/postgresql-common
if ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf 2>/dev/null; then
  echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The prometheus packages may start servers of their own; tests start theirs.
if command -v service >/dev/null 2>&1; then
  service prometheus stop >/dev/null 2>&1 || true
  service prometheus-alertmanager stop >/dev/null 2>&1 || true
fi
