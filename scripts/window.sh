# Sourced by xvfb-smoke.sh and bench-window.sh: the real app in a 1280x800 window under
# Xvfb, and a login typed into it with xdotool.

# start_window DISPLAY BINARY VAULT LOG: starts Xvfb and the app on VAULT and waits for
# its window; sets $xvfb, $app (their PIDs) and $win (the window).
start_window() {
    export DISPLAY=$1
    Xvfb "$DISPLAY" -screen 0 1280x800x24 >/dev/null 2>&1 & xvfb=$!
    sleep 1
    "$2" --vault "$3" > "$4" 2>&1 & app=$!
    win=""
    for _ in $(seq 1 60); do
        win=$(xdotool search --name "Secure Photo Gallery" 2>/dev/null | head -1 || true)
        [ -n "$win" ] && break
        sleep 0.5
    done
    [ -n "$win" ] || { echo "no window appeared"; cat "$4"; exit 1; }
    sleep 2
    xdotool windowfocus --sync "$win" 2>/dev/null || true
}

# type_login USER PASSWORD: types the user name, Tab, the password and Enter in one go,
# at a password manager's auto-type speed (1 ms a key).
type_login() {
    xdotool key --window "$win" ctrl+a
    xdotool type --delay 1 "$1"$'\t'"$2"
    xdotool key --delay 1 Return
}
