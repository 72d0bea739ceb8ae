# Sourced by bench-compare.sh and bench-backup.sh: the benchmark corpus of 12 MP photos.
#
# The corpus: the twelve 2560x1600 photographs of Debian's plasma-workspace-wallpapers
# (downloaded with apt-get, not installed), each cropped to 4:3 at a different place per
# copy, mirrored every other round, scaled to 4000x3000, given a little Gaussian noise
# and saved at quality 90 (about 4 MB, like a phone's 12 MP photo). Needs root or sudo
# the first time (libvips-tools, time, bc).

# need_tools [DEBIAN-PACKAGE-OF-A-COMMAND...]: installs libvips-tools, time, bc and the
# packages named whose command is missing.
need_tools() {
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    need=()
    command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
    [ -x /usr/bin/time ] || need+=(time)
    command -v bc >/dev/null || need+=(bc)
    for pkg in "$@"; do
        command -v "$pkg" >/dev/null || need+=("$pkg")
    done
    if [ ${#need[@]} -gt 0 ]; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
    fi
}

# build_corpus COUNT DIR: COUNT photos in DIR, built once.
build_corpus() {
    local count=$1 corpus=$2
    if [ ! -f "$corpus/.done" ]; then
        echo "building a corpus of $count photos in $corpus …"
        src=target/bench-corpus/src
        if [ ! -d "$src" ]; then
            tmp=$(mktemp -d)
            (cd "$tmp" && apt-get download plasma-workspace-wallpapers >/dev/null)
            dpkg-deb -x "$tmp"/plasma-workspace-wallpapers_*.deb "$tmp/x"
            mkdir -p "$src"
            for name in Autumn BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite \
                OneStandsOut Path summer_1am; do
                cp "$tmp/x/usr/share/wallpapers/$name/contents/images/2560x1600.jpg" "$src/$name.jpg"
            done
            rm -rf "$tmp"
        fi
        rm -rf "$corpus" && mkdir -p "$corpus"
        sources=("$src"/*.jpg)
        scratch=$(mktemp -d)
        for ((i = 0; i < count; i++)); do
            in=${sources[i % ${#sources[@]}]}
            round=$((i / ${#sources[@]}))
            left=$(((round * 97) % 427))             # 2560 − 2133 = 427 columns to choose from
            vips crop "$in" "$scratch/c.v" "$left" 0 2133 1600
            [ $((round % 2)) -eq 1 ] && vips flip "$scratch/c.v" "$scratch/f.v" horizontal && mv "$scratch/f.v" "$scratch/c.v"
            vips resize "$scratch/c.v" "$scratch/r.v" 1.8753
            vips crop "$scratch/r.v" "$scratch/e.v" 0 0 4000 3000
            vips gaussnoise "$scratch/n.v" 4000 3000 --sigma 4 --mean 0 --seed "$i"
            vips add "$scratch/e.v" "$scratch/n.v" "$scratch/s.v"
            vips cast "$scratch/s.v" "$scratch/u.v" uchar
            vips jpegsave "$scratch/u.v" "$corpus/photo-$(printf %03d "$i").jpg" --Q 90 --strip
        done 2>&1 | { grep -v -e "EXIF resolution unit" -e "^$" || true; }
        rm -rf "$scratch"
        touch "$corpus/.done"
    fi
}
