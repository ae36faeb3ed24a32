#!/usr/bin/env bash
# Builds the Debian package of phone_holds for one PostgreSQL major version NN, named and laid
# out like Debian's own PostgreSQL extension packages:
# target/debian/postgresql-NN-phone-holds_<version>-<revision>_amd64.deb, the library under
# /usr/lib/postgresql/NN/lib/, the control file, install and upgrade scripts under
# /usr/share/postgresql/NN/extension/, the copyright, changelog and pgTAP check under /usr/share/doc/.
#
#   bash scripts/package.sh                   this tree, for PostgreSQL 15
#   bash scripts/package.sh --pg 18           this tree, for PostgreSQL 18 (built against the
#                                             server headers scripts/postgres.sh fetches)
#   bash scripts/package.sh --release 0.8.0   an earlier release for 15, built from this clone's
#                                             git history (the package test upgrades from it)
#
# Building needs the toolchain (scripts/setup.sh, run first); the server that installs the
# package needs none of it. The package's path is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/postgres.sh
CHANGELOG=$ROOT/packaging/debian/changelog
OUT=$ROOT/target/debian

fail() { echo "package.sh: $*" >&2; exit 1; }

release=
pg=15
while (($#)); do
    case $1 in
        --release) release=${2:?--release needs a version, such as 0.8.0}; shift 2 ;;
        --pg) pg=${2:?--pg needs a major version: ${PG_VERSIONS[*]}}; shift 2 ;;
        *) fail "unknown argument '$1' (usage: the comment at the top of scripts/package.sh)" ;;
    esac
done

[[ " ${PG_VERSIONS[*]} " == *" $pg "* ]] || fail "--pg $pg: phone_holds builds for PostgreSQL ${PG_VERSIONS[*]}"
PACKAGE=postgresql-$pg-phone-holds
LIBDIR=usr/lib/postgresql/$pg/lib
EXTDIR=usr/share/postgresql/$pg/extension

bash scripts/setup.sh >&2
PG_CONFIG=$(pg_config_for "$pg")
export PATH="$HOME/.cargo/bin:$PATH"

WORK=$(mktemp -d /tmp/phone_holds-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

current=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
if [[ -z $release || $release == "$current" ]]; then
    version=$current
    src=$ROOT
    target=$ROOT/target
else
    # The last commit of a release is the parent of the one that moved Cargo.toml past it.
    moved=$(git log -1 --format=%H -G"^version = \"${release//./\\.}\"\$" -- Cargo.toml 2>/dev/null || true)
    last=${moved:+$(git rev-parse --verify -q "$moved^" || true)}
    if [[ -z $last ]] || ! git show "$last:Cargo.toml" | grep -qx "version = \"$release\""; then
        fail "no commit in this clone's git history has version $release in Cargo.toml (never released, or a shallow clone: 'git fetch --unshallow')"
    fi
    echo "package.sh: building $release from commit ${last:0:12}" >&2
    [[ $pg == 15 ]] || fail "--release builds an earlier release for PostgreSQL 15 only: the package test upgrades from it there"
    version=$release
    src=$WORK/src
    mkdir "$src"
    git archive "$last" | tar -x -C "$src"
    # Its own target directory: the dependencies are built once for every release, and this
    # tree's release build is left alone.
    target=$ROOT/target/package-releases
fi

# The Debian version is the changelog's entry for this upstream version (revision included).
debversion=$(dpkg-parsechangelog -l "$CHANGELOG" --count 1000 --format rfc822 -S Version | grep -m1 -x "${version//./\\.}-[0-9][0-9a-z.+~]*" || true)
[[ -n $debversion ]] || fail "packaging/debian/changelog has no entry for $version: add one at the top ($version-1)"

# cargo pgrx package lays the files out where pg_config says; for the relocatable builds of 16
# to 18 that is their unpacked folder, so the files are moved to Debian's paths for NN.
built=$WORK/built
mapfile -t features < <(features_for "$pg")
(cd "$src" && CARGO_TARGET_DIR=$target cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$built" "${features[@]}") >&2
stage=$WORK/stage
install -d "$stage/$LIBDIR" "$stage/$EXTDIR"
mv "$built$("$PG_CONFIG" --pkglibdir)/phone_holds.so" "$stage/$LIBDIR/"
mv "$built$("$PG_CONFIG" --sharedir)"/extension/phone_holds* "$stage/$EXTDIR/"
so=$stage/$LIBDIR/phone_holds.so
[[ -f $so && -f $stage/$EXTDIR/phone_holds--$version.sql ]] \
    || fail "cargo pgrx package did not produce $so and phone_holds--$version.sql"
# As dh_strip does: the debug symbols and the compiler's notes are not shipped.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$so"

doc=$stage/usr/share/doc/$PACKAGE
install -d "$doc"
install -m 644 packaging/debian/copyright "$doc/copyright"
# This version's entry and every earlier one.
awk -v head="phone-holds ($debversion)" 'index($0, head) == 1 { on = 1 } on' "$CHANGELOG" | gzip -9n >"$doc/changelog.Debian.gz"
# The pgTAP check users run in their own database (docs/operations/pgtap.md), since 0.15.0.
if [[ -f $src/test/pgtap/phone_holds.sql ]]; then
    install -d "$doc/examples"
    install -m 644 "$src/test/pgtap/phone_holds.sql" "$doc/examples/phone_holds.pgtap.sql"
fi

# The libraries the .so links (libc, libgcc) with their minimum versions, as dh_shlibdeps
# computes them; PostgreSQL's own symbols come from the server, hence Depends: postgresql-NN.
mkdir -p "$WORK/shlibs/debian"
printf 'Source: phone-holds\n\nPackage: %s\nArchitecture: amd64\n' "$PACKAGE" >"$WORK/shlibs/debian/control"
shlibs=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O --warnings=0 "$so" | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || fail "dpkg-shlibdeps found no library dependency for $so"

find "$stage" -type d -exec chmod 755 {} +
find "$stage" -type f -exec chmod 644 {} +
install -d "$stage/DEBIAN"
size=$(du -sk --apparent-size "$stage/usr" | cut -f1)
sed -e "s/@PG@/$pg/g" -e "s/@VERSION@/$debversion/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
    packaging/debian/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$OUT"
deb=$OUT/${PACKAGE}_${debversion}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
