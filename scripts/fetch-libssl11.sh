#!/usr/bin/env bash
# Fetch OpenSSL 1.1 (Debian bullseye's libssl1.1) into a project folder, without touching the system.
#
# Why: Aspose OCR bundles a .NET Core 3.1 runtime that needs libssl.so.1.1; Debian 12 only has
# OpenSSL 3. The mirror is read from this machine's own apt sources, so no host name is written here.
#
# Usage: scripts/fetch-libssl11.sh [DEST]   (default: vendor/openssl11)
set -euo pipefail

dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/vendor/openssl11}"
if [[ -e "$dest/libssl.so.1.1" && -e "$dest/libcrypto.so.1.1" ]]; then
    exit 0
fi

mirror_uri() {
    # First Debian (non-security) URI from deb822 sources, then from the one-line format.
    local uri=""
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' /etc/apt/sources.list.d/*.sources \
            | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
    fi
    if [[ -z "$uri" ]]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
            | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
    fi
    [[ -n "$uri" ]] || { echo "fetch-libssl11: no Debian mirror found in /etc/apt sources" >&2; return 1; }
    echo "${uri%/}"
}

uri=$(mirror_uri)
security_uri="${uri%/debian}/debian-security"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc"
cat > "$work/etc/bullseye.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security_uri bullseye-security main
SOURCES
apt_opts=(
    -o "Dir::Etc::SourceList=$work/etc/bullseye.list"
    -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache::Archives=$work/archives"
    -o "APT::Get::List-Cleanup=0"
    -o "Acquire::Check-Valid-Until=false"
    -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update -qq >/dev/null
(cd "$work" && apt-get "${apt_opts[@]}" download -qq libssl1.1 >/dev/null)
deb=$(ls "$work"/libssl1.1_*.deb)
dpkg -x "$deb" "$work/x"
mkdir -p "$dest"
cp -L "$work"/x/usr/lib/*/libssl.so.1.1 "$work"/x/usr/lib/*/libcrypto.so.1.1 "$dest/"
basename "$deb" > "$dest/SOURCE"
echo "fetch-libssl11: installed $(cat "$dest/SOURCE") into $dest"
