#!/usr/bin/env bash
# Deletes the kind cluster deploy/kind/up.sh created. Usage: deploy/kind/down.sh   Environment: CLUSTER (default kindred)
set -euo pipefail
kind delete cluster --name "${CLUSTER:-kindred}"
