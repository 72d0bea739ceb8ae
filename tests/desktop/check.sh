#!/usr/bin/env bash
# Checks the desktop integration files in assets/ and, if asked, the .deb built from them.
#
#   bash tests/desktop/check.sh                 # desktop entry, metainfo, icons (seconds)
#   bash tests/desktop/check.sh path/to/x.deb   # ... and that .deb
#   bash tests/desktop/check.sh --build         # ... and a .deb built now by scripts/package.sh
#                                               #     (a release build: minutes)
#
# The desktop entry must pass desktop-file-validate and the metainfo `appstreamcli validate
# --no-net` with no error or warning; names must agree across the files (and with the
# window's app id, desktop::APP_ID); every PNG must have the size its folder names. A .deb
# is unpacked with `dpkg -x` into a scratch root: every file must land where the desktop
# looks for it, byte-identical to assets/, the tree must pass `appstreamcli validate-tree`,
# the packaged binary must run, and `dpkg-deb -I` must show the right fields.
# Installs desktop-file-utils and appstream when missing (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")/../.."

deb=""
case "${1:-}" in
    "") ;;
    --build)
        bash scripts/package.sh
        deb=$(find target/debian -name 'secure-photo-gallery_*.deb' -printf '%T@ %p\n' | sort -rn | head -1 | cut -d' ' -f2-) ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) deb=$1; [ -f "$deb" ] || { echo "no such .deb: $deb" >&2; exit 2; } ;;
esac

need_pkgs=()
command -v desktop-file-validate >/dev/null || need_pkgs+=(desktop-file-utils)
command -v appstreamcli >/dev/null || need_pkgs+=(appstream)
command -v python3 >/dev/null || need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}"
fi

app=secure-photo-gallery
desktop=assets/$app.desktop
metainfo=$(ls assets/*.metainfo.xml)
sizes=(16 24 32 48 64 128 256 512)
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
# shellcheck disable=SC2001  # indents every line of the detail
fail() { failed=$((failed + 1)); echo "FAIL $1"; if [ -n "${2:-}" ]; then sed 's/^/     /' <<<"$2"; fi; }
# equal NAME GOT WANT
equal() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got: $2"; fi; }
# check NAME COMMAND...: passes when COMMAND exits 0 and prints no error or warning
# (desktop-file-validate: nothing at all, not even a hint such as "might only show up in
# a catch-all section of the menu"; appstreamcli: infos and pedantic notes are fine).
check() {
    local name=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qE '^ *(E|W): |(error|warning|hint): ' <<<"$out"; then
        pass "$name"
    else
        fail "$name (exit $rc)" "$out"
    fi
}
# key FILE KEY: the value of KEY= in a desktop entry.
key() { sed -n "s/^$2=//p" "$1" | head -1; }

# --- the desktop entry ---------------------------------------------------------------
check "desktop-file-validate $desktop" desktop-file-validate "$desktop"
equal "Exec runs $app" "$(key "$desktop" Exec | cut -d' ' -f1)" "$app"
equal "Icon=$app" "$(key "$desktop" Icon)" "$app"
equal "StartupWMClass=$app" "$(key "$desktop" StartupWMClass)" "$app"
# The window's Wayland app id / X11 class is what desktops match against the entry.
if grep -q "pub const APP_ID: &str = \"$app\";" src/desktop.rs && grep -q "with_app_id(crate::desktop::APP_ID)" src/ui/mod.rs; then
    pass "the window's app id (desktop::APP_ID) is $app, the desktop entry's name"
else
    fail "the window's app id (desktop::APP_ID) is $app, the desktop entry's name" \
        "$(grep -n 'APP_ID' src/desktop.rs src/ui/mod.rs || echo 'no APP_ID')"
fi

# --- the AppStream metainfo -------------------------------------------------------------
check "appstreamcli validate --no-net $metainfo" appstreamcli validate --no-net "$metainfo"
names=$(python3 - "$metainfo" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(root.findtext("id"))
print(root.findtext("launchable[@type='desktop-id']"))
print(root.findtext("provides/binary"))
PY
)
{ read -r cid; read -r launchable; read -r binary; } <<<"$names"
equal "the metainfo file is named after its id $cid" "$(basename "$metainfo")" "$cid.metainfo.xml"
equal "launchable desktop-id is $app.desktop" "$launchable" "$app.desktop"
equal "provides binary $app" "$binary" "$app"

# --- the icons ----------------------------------------------------------------------------
for svg in assets/icon*.svg; do
    if python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$svg" 2>/dev/null; then
        pass "$svg is well-formed XML"
    else
        fail "$svg is well-formed XML"
    fi
done
# Every PNG under assets/icons/hicolor/NxN/ must be N by N (read from the PNG header).
out=$(python3 - "${sizes[@]}" <<'PY'
import pathlib, re, struct, sys
wanted = {int(n) for n in sys.argv[1:]}
found = set()
for png in sorted(pathlib.Path("assets/icons/hicolor").glob("*/apps/*.png")):
    folder = png.parts[-3]
    m = re.fullmatch(r"(\d+)x(\d+)", folder)
    head = png.read_bytes()[:26]
    if not m or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        print(f"FAIL {png}: not a PNG in an NxN folder"); continue
    w, h = struct.unpack(">II", head[16:24])
    colour = head[25]
    ok = (w, h) == (int(m[1]), int(m[2])) and png.name == "secure-photo-gallery.png" and colour in (4, 6)
    print(f"{'ok  ' if ok else 'FAIL'} {png}: {w}x{h}{'' if colour in (4, 6) else ' without alpha'}")
    found.add(w if ok and w == h else -1)
for n in sorted(wanted - found):
    print(f"FAIL assets/icons/hicolor/{n}x{n}/apps/secure-photo-gallery.png is missing or wrong")
PY
)
while IFS= read -r line; do
    case "$line" in
        "ok   "*) pass "${line#ok   }" ;;
        *) fail "${line#FAIL }" ;;
    esac
done <<<"$out"
# The .deb's asset list (Cargo.toml) names every size.
for n in "${sizes[@]}"; do
    if grep -q "\"assets/icons/hicolor/${n}x${n}/apps/$app.png\", \"usr/share/icons/hicolor/${n}x${n}/apps/\"" Cargo.toml; then
        pass "Cargo.toml packages the ${n}x${n} icon"
    else
        fail "Cargo.toml packages the ${n}x${n} icon"
    fi
done

# --- the .deb -----------------------------------------------------------------------------
if [ -n "$deb" ]; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    dpkg -x "$deb" "$root"
    echo "     $deb unpacked into $root"
    # same FILE_IN_ASSETS PATH_IN_PACKAGE
    same() {
        if [ ! -f "$1" ]; then fail "/$2 is $1" "$1 is missing"
        elif [ ! -f "$root/$2" ]; then fail "/$2 is in the package"
        elif ! cmp -s "$1" "$root/$2"; then fail "/$2 is $1" "the packaged file differs: rebuild the .deb"
        else pass "/$2 is $1"; fi
    }
    bin=usr/bin/$app
    if [ -x "$root/$bin" ] && [ "$(stat -c %a "$root/$bin")" = 755 ]; then pass "/$bin is there, mode 755"
    else fail "/$bin is there, mode 755" "$(ls -l "$root/$bin" 2>&1)"; fi
    version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
    got=$("$root/$bin" --version 2>&1 || true)
    equal "/$bin --version says $app $version" "$got" "$app $version"
    same "$desktop" "usr/share/applications/$app.desktop"
    same "$metainfo" "usr/share/metainfo/$(basename "$metainfo")"
    same assets/icon.svg "usr/share/icons/hicolor/scalable/apps/$app.svg"
    for n in "${sizes[@]}"; do
        same "assets/icons/hicolor/${n}x${n}/apps/$app.png" "usr/share/icons/hicolor/${n}x${n}/apps/$app.png"
    done
    unexpected=$(find "$root" -type f -printf '%P\n' | grep -vE "^(usr/bin/$app|usr/share/applications/$app\.desktop|usr/share/metainfo/[^/]+\.metainfo\.xml|usr/share/icons/hicolor/[^/]+/apps/$app\.(png|svg)|usr/share/doc/$app/(copyright|changelog\.Debian\.gz))$" || true)
    equal "the package holds nothing else" "$unexpected" ""
    # AppStream's view of the installed tree: the metainfo finds its desktop entry.
    check "appstreamcli validate-tree --no-net (the unpacked package)" appstreamcli validate-tree --no-net "$root"

    info=$(dpkg-deb -I "$deb")
    field() { dpkg-deb -f "$deb" "$1"; }
    equal "Package: $app" "$(field Package)" "$app"
    equal "Version: $version-N" "$(field Version | sed 's/-[0-9]*$/-N/')" "$version-N"
    equal "Architecture: $(dpkg --print-architecture)" "$(field Architecture)" "$(dpkg --print-architecture)"
    equal "Section: graphics" "$(field Section)" graphics
    if [ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ]; then
        pass "Maintainer and Description are set"
    else
        fail "Maintainer and Description are set" "$info"
    fi
    depends=$(field Depends)
    for dep in "libc6 (>= " libxkbcommon-x11-0 libxkbcommon0 libx11-6 libxcursor1 libxi6 \
        libwayland-client0 "libvulkan1 | libegl1"; do
        if [[ "$depends" == *"$dep"* ]]; then pass "Depends names ${dep% (>= }"
        else fail "Depends names ${dep% (>= }" "$depends"; fi
    done
    size_kib=$(field Installed-Size)
    if [ "$size_kib" -gt 1000 ]; then pass "Installed-Size: $size_kib KiB (the binary is in)"
    else fail "Installed-Size > 1000 KiB" "$size_kib"; fi
else
    echo "     no .deb given: the package was not checked (give its path, or --build)"
fi

echo "desktop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
