#!/usr/bin/env bash
# Prometheus and promtool for newswire's tests, from Debian's `prometheus` package.
#
#   deploy/prometheus/local-prometheus.sh install   apt-get install prometheus when `prometheus`
#                                                   or `promtool` is missing (idempotent)
#   deploy/prometheus/local-prometheus.sh check     exit 0 when both are on the PATH, 3 when not
#
# The tests start their own Prometheus (a generated config on 127.0.0.1, data in a tmp dir;
# tests/integration/test_prometheus_scrape.py); nothing here starts a server. The package's
# own service is stopped and disabled if the installer started it: it would listen on
# *:9090 with the distribution's config, which the tests neither need nor want.
set -euo pipefail

say() { echo "local-prometheus: $*" >&2; }

have() { command -v prometheus >/dev/null && command -v promtool >/dev/null; }

install() {
    if have; then
        say "present: $(promtool --version 2>&1 | head -n 1)"
        return 0
    fi
    say "installing Debian's prometheus package"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt-get may hold the dpkg lock for a while: wait for it instead of failing.
    local opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
    if ! apt-get install "${opts[@]}" prometheus; then
        apt-get update -q -o DPkg::Lock::Timeout=600
        apt-get install "${opts[@]}" prometheus
    fi
    if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
        systemctl disable --now prometheus || true
    fi
    have || { say "prometheus/promtool still missing after the install"; exit 1; }
    say "installed: $(promtool --version 2>&1 | head -n 1)"
}

case "${1:-}" in
    install) install ;;
    check) have || { say "prometheus or promtool missing: run $0 install"; exit 3; } ;;
    *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
