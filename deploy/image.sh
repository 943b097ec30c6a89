#!/usr/bin/env bash
# The newswire image (deploy/Dockerfile), built and run with Podman: no Docker engine, and no
# image registry needed.
#
#   deploy/image.sh build [TAG]     build deploy/Dockerfile as TAG (default $NEWSWIRE_IMAGE or
#                                   localhost/newswire:latest); prints its size and base
#   deploy/image.sh base            the Python base image only (built once, then cached)
#   deploy/image.sh packages        install podman, runc and mmdebstrap when missing (as root)
#   deploy/image.sh podman ARGS...  podman with this machine's settings (below)
#
# The base: with NEWSWIRE_PYTHON_IMAGE set (for example python:3.11.11-slim-bookworm, the
# Dockerfile's default), that image, pulled by Podman if it is not there. Unset (the default),
# a Python base made from Debian's own packages, for machines that reach a Debian mirror but no
# image registry: mmdebstrap writes a minimal bookworm with python3 and python3-venv to
# .local/image/ (about 20 s to 4 min, once; rebuilt only when the package list changes), and
# it is imported as $NEWSWIRE_BASE_IMAGE (localhost/newswire-python-base:bookworm) when Podman
# does not have it. Both bases work with the Dockerfile.
#
# Podman settings (CONTAINERS_CONF, unless already set): no default ulimits, and runc as the
# runtime when it is installed (sandboxes that refuse crun's cgroup handling or the default
# ulimits run containers this way). The build runs on the host network (pip reaches PyPI); a
# CA bundle for a TLS-inspecting proxy ($NEWSWIRE_BUILD_CA, else $PIP_CERT) is handed to the
# pip step as a build secret, never stored in the image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
home=${NEWSWIRE_LOCAL_DIR:-$root/.local}/image
image=${NEWSWIRE_IMAGE:-localhost/newswire:latest}
base_image=${NEWSWIRE_BASE_IMAGE:-localhost/newswire-python-base:bookworm}
mirror=${NEWSWIRE_DEBIAN_MIRROR:-http://deb.debian.org}
# The base's packages: python3 and its venv module; passwd for the Dockerfile's useradd.
base_packages=python3,python3-venv,passwd
base_tar=$home/python-base-bookworm.tar

say() { printf 'image: %s\n' "$*" >&2; }

packages() {
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  [ -n "${NEWSWIRE_PYTHON_IMAGE:-}" ] || command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing system packages; install them first: sudo apt-get install -y ${need[*]}"
    exit 2
  fi
  say "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  local opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  if ! apt-get install "${opts[@]}" "${need[@]}" >/dev/null; then
    apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
    apt-get install "${opts[@]}" "${need[@]}" >/dev/null
  fi
}

containers_conf() {
  [ -z "${CONTAINERS_CONF:-}" ] || return 0
  mkdir -p "$home"
  local conf=$home/containers.conf
  {
    printf '# written by deploy/image.sh\n[containers]\ndefault_ulimits = []\n'
    if command -v runc >/dev/null; then printf '\n[engine]\nruntime = "runc"\n'; fi
  } >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  export CONTAINERS_CONF=$conf
}

pod() { containers_conf; podman "$@"; }

# The Debian base's root file system, cached as a tarball beside the package list it holds.
base_tarball() {
  if [ -f "$base_tar" ] && [ "$(cat "$base_tar.packages" 2>/dev/null)" = "$base_packages" ]; then
    return 0
  fi
  mkdir -p "$home"
  say "building the Python base from Debian packages ($base_packages) with mmdebstrap..."
  local started=$SECONDS
  # Documentation, manual pages and translations are left out (copyright files stay).
  mmdebstrap --variant=minbase --format=tar --include="$base_packages" --quiet \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$base_tar.tmp" \
    "deb $mirror/debian bookworm main" \
    "deb $mirror/debian bookworm-updates main" \
    "deb $mirror/debian-security bookworm-security main" \
    >"$home/mmdebstrap.log" 2>&1 \
    || { say "mmdebstrap failed; the end of $home/mmdebstrap.log:"; tail -20 "$home/mmdebstrap.log" >&2; exit 1; }
  mv "$base_tar.tmp" "$base_tar"
  echo "$base_packages" >"$base_tar.packages"
  say "base file system cached in $base_tar ($(( SECONDS - started )) s)"
}

# Prints the base image to build on.
base() {
  if [ -n "${NEWSWIRE_PYTHON_IMAGE:-}" ]; then
    echo "$NEWSWIRE_PYTHON_IMAGE"
    return 0
  fi
  base_tarball
  # An image imported from another tarball (the package list changed) is replaced.
  local want have
  want=$(sha256sum "$base_tar" | cut -c1-16)
  have=$(pod image inspect --format '{{index .Labels "org.newswire.base-tarball"}}' "$base_image" 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    say "importing $base_tar as $base_image"
    pod import --quiet \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change "LABEL org.newswire.base-tarball=$want" \
      --change 'LABEL org.opencontainers.image.description="Debian bookworm minbase with python3 (mmdebstrap)"' \
      --change 'CMD ["python3"]' \
      "$base_tar" "$base_image" >/dev/null
  fi
  echo "$base_image"
}

build() {
  local tag=${1:-$image} from ca=${NEWSWIRE_BUILD_CA:-${PIP_CERT:-}}
  mkdir -p "$home"
  from=$(base)
  local args=(build --format docker --network host --build-arg "PYTHON_IMAGE=$from"
    -f "$here/Dockerfile" -t "$tag")
  # The Debian base exists only here: never ask a registry for it.
  [ -n "${NEWSWIRE_PYTHON_IMAGE:-}" ] || args+=(--pull=never)
  [ -n "$ca" ] && [ -f "$ca" ] && args+=(--secret "id=pip-ca,src=$ca")
  say "building $tag on $from..."
  local started=$SECONDS
  pod "${args[@]}" "$root" >"$home/build.log" 2>&1 \
    || { say "the build failed; the end of $home/build.log:"; tail -30 "$home/build.log" >&2; exit 1; }
  local size
  size=$(pod image inspect --format '{{.Size}}' "$tag")
  say "built $tag in $(( SECONDS - started )) s: $(( size / 1000000 )) MB, base $from"
}

case "${1:-}" in
  build) shift; packages; build "$@" ;;
  base) packages; base ;;
  packages) packages ;;
  podman) shift; pod "$@" ;;
  *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
