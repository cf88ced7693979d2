#!/bin/sh
# gambi installer: downloads the release archive for this machine, checks it against the
# release's SHA256SUMS, and puts the gambi executable in ~/.local/bin. No root needed; running
# it again upgrades in place.
#
#   curl -fsSL <download folder>/install.sh | sh
#   wget -qO- <download folder>/install.sh | sh
#
# Environment:
#   GAMBI_DOWNLOAD_URL  the folder holding one release's archives, SHA256SUMS and manifest.json
#                       (default: the project's GitHub releases, latest/download)
#   GAMBI_VERSION       a version to install instead of the latest (0.2.0 or v0.2.0)
#   GAMBI_INSTALL_DIR   where to put gambi (default: ~/.local/bin)
#
# On any failure it says why, exits non-zero and leaves nothing behind.
set -eu

# scripts/release.ts fills this in with the project's releases page.
RELEASES_URL=""

tmp=""
partial=""
cleanup() {
  [ -z "$partial" ] || rm -f "$partial"
  [ -z "$tmp" ] || rm -rf "$tmp"
}

say() { printf '%s\n' "$*"; }
# A URL as it may be printed: without a user:password@ part.
shown() { printf '%s' "$1" | sed 's#//[^/@]*@#//#'; }
die() {
  printf 'gambi install: %s\n' "$*" >&2
  exit 1
}

# The release target for this machine: <os>-<cpu>[-baseline|-musl], as scripts/release.ts names them.
detect_target() {
  os=$(uname -s 2>/dev/null || echo unknown)
  cpu=$(uname -m 2>/dev/null || echo unknown)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) die "this is Windows: use install.ps1 (irm <download folder>/install.ps1 | iex)" ;;
    *) die "unsupported operating system: $os (gambi is built for Linux, macOS and Windows; from source it runs wherever Bun does)" ;;
  esac
  case "$cpu" in
    x86_64 | amd64) cpu=x64 ;;
    aarch64 | arm64) cpu=arm64 ;;
    *) die "unsupported CPU: $cpu on $os (gambi is built for x64 and arm64)" ;;
  esac
  variant=""
  if [ "$os" = darwin ] && [ "$cpu" = x64 ]; then
    # A shell under Rosetta says x86_64 on Apple silicon: the arm64 build runs natively there.
    if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then cpu=arm64; fi
  fi
  if [ "$os" = linux ]; then
    if getconf GNU_LIBC_VERSION >/dev/null 2>&1; then
      libc=glibc
    elif ls /lib/ld-musl-* >/dev/null 2>&1 || (ldd --version 2>&1 | grep -qi musl); then
      libc=musl
    else
      libc=glibc
    fi
    if [ "$libc" = musl ]; then
      variant=-musl
    elif [ "$cpu" = x64 ] && [ -r /proc/cpuinfo ] && ! grep -q avx2 /proc/cpuinfo; then
      variant=-baseline
    fi
  fi
  target="$os-$cpu$variant"
}

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1" || die "download failed: $(shown "$1")"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "download failed: $(shown "$1")"
  else
    die "neither curl nor wget is installed: install one of them and run this again"
  fi
}

# The first of sha256sum, shasum and openssl that exists; checked before anything is downloaded.
sha_tool() {
  for tool in sha256sum shasum openssl; do
    if command -v "$tool" >/dev/null 2>&1; then
      echo "$tool"
      return
    fi
  done
  die "no sha256sum, shasum or openssl to check the download with: install one of them and run this again"
}

sha256_of() { # FILE
  case "$sha" in
    sha256sum) sha256sum "$1" | cut -d ' ' -f 1 ;;
    shasum) shasum -a 256 "$1" | cut -d ' ' -f 1 ;;
    openssl) openssl dgst -sha256 "$1" | sed 's/^.*= *//' ;;
  esac
}

main() {
  detect_target
  sha=$(sha_tool) || exit 1
  if [ -n "${GAMBI_DOWNLOAD_URL:-}" ]; then
    folder=${GAMBI_DOWNLOAD_URL%/}
  elif [ -n "$RELEASES_URL" ]; then
    if [ -n "${GAMBI_VERSION:-}" ]; then
      folder="$RELEASES_URL/download/v${GAMBI_VERSION#v}"
    else
      folder="$RELEASES_URL/latest/download"
    fi
  else
    die "this copy of install.sh does not know where gambi is released: set GAMBI_DOWNLOAD_URL to the folder that holds SHA256SUMS and the archives"
  fi
  if [ -n "${GAMBI_INSTALL_DIR:-}" ]; then
    dir=$GAMBI_INSTALL_DIR
  elif [ -n "${HOME:-}" ]; then
    dir="$HOME/.local/bin"
  else
    die "HOME is not set: set GAMBI_INSTALL_DIR to the folder gambi should go in"
  fi

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t gambi) || die "cannot make a temporary folder"

  say "gambi install: $target from $(shown "$folder")"
  fetch "$folder/SHA256SUMS" "$tmp/SHA256SUMS"
  case "$target" in windows-*) ext=zip ;; *) ext=tar.gz ;; esac
  line=$(grep -E "^[0-9a-fA-F]{64}  \*?gambi-[0-9A-Za-z.+-]+-$target\.$ext\$" "$tmp/SHA256SUMS" | head -n 1 || true)
  [ -n "$line" ] || die "this release has no build for $target (see $(shown "$folder")/SHA256SUMS)"
  expected=$(printf '%s\n' "$line" | cut -d ' ' -f 1 | tr 'A-F' 'a-f')
  archive=$(printf '%s\n' "$line" | sed 's/^[0-9a-fA-F]*  \*\{0,1\}//')

  fetch "$folder/$archive" "$tmp/$archive"
  actual=$(sha256_of "$tmp/$archive")
  [ "$actual" = "$expected" ] || die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; nothing was installed"

  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$archive" -C "$tmp/unpacked" || die "cannot unpack $archive"
  new="$tmp/unpacked/${archive%.tar.gz}/gambi"
  [ -f "$new" ] || die "$archive holds no ${archive%.tar.gz}/gambi"
  chmod 755 "$new"
  version=$("$new" --version 2>/dev/null) || die "the downloaded gambi does not run on this machine ($target)"

  mkdir -p "$dir" 2>/dev/null || die "cannot create $dir: choose another folder with GAMBI_INSTALL_DIR"
  [ -w "$dir" ] || die "cannot write to $dir: choose another folder with GAMBI_INSTALL_DIR (no root needed)"
  previous=""
  [ ! -x "$dir/gambi" ] || previous=$("$dir/gambi" --version 2>/dev/null || true)
  # Copy beside the old one, then rename over it: a running gambi keeps working, and an
  # interrupted install leaves the old executable whole.
  partial="$dir/.gambi.install.$$"
  cp "$new" "$partial" || die "cannot write to $dir"
  chmod 755 "$partial"
  mv -f "$partial" "$dir/gambi" || die "cannot replace $dir/gambi"
  partial=""

  if [ -n "$previous" ] && [ "$previous" != "$version" ]; then
    say "gambi $version installed in $dir/gambi (was $previous)"
  else
    say "gambi $version installed in $dir/gambi"
  fi
  case ":${PATH:-}:" in
    *":$dir:"*) ;;
    *)
      say ""
      say "$dir is not on your PATH. Add it, for example:"
      say "  echo 'export PATH=\"$dir:\$PATH\"' >> ~/.profile && . ~/.profile"
      ;;
  esac
  say "Start a hub: gambi hub    Upgrade later: gambi upgrade"
}

main "$@"
