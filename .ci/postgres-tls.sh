#!/usr/bin/env bash
# Gives the machine's PostgreSQL a TLS certificate (self-signed, for localhost and 127.0.0.2), a
# second loopback listen address that the bridge does not treat as loopback (so its production
# default, verify-full, applies), and a role that may connect only over TLS — as RDS does with
# rds.force_ssl. Prints the CA file for TEST_DATABASE_TLS_CA. Safe to run again.
set -euo pipefail
version=$1 cluster=$2
dir=/var/lib/postgresql/bridge-tls
if [ ! -f "$dir/server.crt" ]; then
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" \
    -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
  chown -R postgres:postgres "$dir"
  chmod 600 "$dir/server.key"
fi
hba=$(su postgres -c "psql -Atc 'SHOW hba_file'")
if ! grep -q 'bridge_tls_only' "$hba"; then
  sed -i "1i hostnossl all bridge_tls_only all reject" "$hba"
fi
su postgres -c "psql -qc \"ALTER SYSTEM SET ssl = on\" -c \"ALTER SYSTEM SET ssl_cert_file = '$dir/server.crt'\" -c \"ALTER SYSTEM SET ssl_key_file = '$dir/server.key'\" -c \"ALTER SYSTEM SET listen_addresses = 'localhost,127.0.0.2'\""
su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bridge_tls_only') THEN CREATE ROLE bridge_tls_only LOGIN PASSWORD 'tls'; END IF; END \\\$\\\$\""
pg_ctlcluster "$version" "$cluster" restart
for _ in $(seq 1 30); do pg_isready -q -h /var/run/postgresql && break; sleep 1; done
echo "$dir/server.crt"
