#!/usr/bin/env bash
# Installs what the failover test (tests/e2e/tests/failover.rs) runs, as root on Debian 12:
# Debian's etcd-server 3.4.23, and Patroni 4.1.5 with its etcd3 client and psycopg2 from PyPI,
# pinned, in a virtualenv made with Debian's /usr/bin/python3 under /var/cache/phone_holds
# (the `postgres` user runs Patroni: root's home, and a pyenv Python, are closed to it).
# The etcd service the package installs is stopped and disabled: the test starts its own etcd
# on private loopback ports, and nothing should listen on etcd's default ports 2379/2380.
# Idempotent: a second run only checks (about a second). Prints the patroni program's path
# last: PHONE_HOLDS_PATRONI=$(bash scripts/patroni.sh) for the test.
set -euo pipefail

PATRONI_VERSION=4.1.5
ETCD_VERSION=3.4.23
# Everything the virtualenv holds, pinned (pip freeze of a working install, 2026-12).
PATRONI_REQUIREMENTS=(
    "patroni[etcd3]==$PATRONI_VERSION"
    psycopg2-binary==2.9.13
    python-etcd==0.4.5
    dnspython==2.9.2
    urllib3==2.8.0
    PyYAML==6.0.4
    click==8.5.1
    prettytable==3.19.0
    wcwidth==0.9.5
    psutil==7.2.2
    python-dateutil==4.0.0
    ydiff==1.4.2
    py-consul==1.8.0
    requests==2.34.2
    certifi==2026.10.19.post1
    charset-normalizer==3.5.3
    idna==3.21
    tzdata==2026.6
)

if [[ $(id -u) -eq 0 ]]; then
    PATRONI_CACHE=${PHONE_HOLDS_POSTGRES_CACHE:-/var/cache/phone_holds}
else
    PATRONI_CACHE=${PHONE_HOLDS_POSTGRES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phone_holds}
fi
PATRONI_VENV=$PATRONI_CACHE/patroni-$PATRONI_VERSION
PATRONI=$PATRONI_VENV/bin/patroni

patroni_say() { printf '\033[1mpatroni.sh:\033[0m %s\n' "$*" >&2; }

patroni_install_etcd() {
    if ! dpkg-query -W -f='${Status} ${Version}' etcd-server 2>/dev/null | grep -q "install ok installed $ETCD_VERSION"; then
        patroni_say "installing Debian's etcd-server $ETCD_VERSION (its service is left stopped and disabled)"
        # A policy-rc.d that answers 101 keeps the package's service from starting (containers
        # often have one already; then it stays as it is).
        local policy=/usr/sbin/policy-rc.d made=
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy"
            chmod 755 "$policy"
            made=1
        fi
        local version
        version=$(apt-cache madison etcd-server 2>/dev/null | awk -v v="$ETCD_VERSION" '$3 ~ "^"v {print $3; exit}')
        if [[ -z $version ]]; then
            apt-get update -q
            version=$(apt-cache madison etcd-server | awk -v v="$ETCD_VERSION" '$3 ~ "^"v {print $3; exit}')
        fi
        [[ -n $version ]] || { patroni_say "Debian has no etcd-server $ETCD_VERSION here"; [[ -z $made ]] || rm -f "$policy"; return 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "etcd-server=$version" >&2 \
            || { [[ -z $made ]] || rm -f "$policy"; return 1; }
        [[ -z $made ]] || rm -f "$policy"
    fi
    # Stopped and disabled, under systemd or not; each step is a no-op when already so.
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now etcd >/dev/null 2>&1 || true
    else
        [[ ! -e /etc/systemd/system/multi-user.target.wants/etcd.service ]] || systemctl disable etcd >/dev/null 2>&1 || true
        if [[ -x /etc/init.d/etcd ]] && ls /etc/rc[2-5].d/S*etcd >/dev/null 2>&1; then
            update-rc.d etcd disable >/dev/null 2>&1 || true
        fi
        # The package's own daemon, if its init script started it (its pid file says so).
        if [[ -s /run/etcd.pid ]] && kill -0 "$(cat /run/etcd.pid)" 2>/dev/null; then
            /etc/init.d/etcd stop >/dev/null 2>&1 || true
        fi
    fi
}

patroni_install_venv() {
    if [[ -x $PATRONI ]] && [[ $("$PATRONI" --version 2>/dev/null) == "patroni $PATRONI_VERSION" ]]; then
        return
    fi
    patroni_say "installing Patroni $PATRONI_VERSION into $PATRONI_VENV (once)"
    if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2 \
            || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2; }
    fi
    mkdir -p "$PATRONI_CACHE"
    chmod 755 "$PATRONI_CACHE"
    # Made in place (a venv's scripts name their interpreter by absolute path, so it cannot be
    # moved after); a run cut short leaves one whose patroni --version fails, made again here.
    rm -rf "$PATRONI_VENV"
    /usr/bin/python3 -m venv "$PATRONI_VENV"
    # No pip cache (root's home is not for the postgres user's files); quietly: the legacy
    # setup.py notes of two packages are noise.
    "$PATRONI_VENV/bin/pip" install -q --no-cache-dir "${PATRONI_REQUIREMENTS[@]}" >&2
    chmod -R a+rX "$PATRONI_VENV"
    [[ $("$PATRONI" --version) == "patroni $PATRONI_VERSION" ]] || { patroni_say "$PATRONI does not say patroni $PATRONI_VERSION"; return 1; }
}

patroni_install_etcd
patroni_install_venv
# The postgres user must be able to run it (the test runs it through runuser).
if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- "$PATRONI" --version >/dev/null 2>&1; then
    patroni_say "the postgres user cannot run $PATRONI"
    exit 1
fi
echo "$PATRONI"
