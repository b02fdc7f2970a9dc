"""Shell scripts standing in for sudo, systemctl and supervisorctl (put first on PATH).

State lives in files next to the scripts: ``password`` (sudo wants it when
present), ``state_<unit>`` (``ActiveState SubState`` of a systemd unit).
"""

SUDO = r'''
dir=$(dirname "$0")
need=""
stdin=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) need="never"; shift;;
    -S) stdin="yes"; shift;;
    -k) shift;;
    -p) shift 2;;
    *) break;;
  esac
done
if [ -f "$dir/password" ]; then
  if [ -z "$stdin" ]; then echo "sudo: a password is required" >&2; exit 1; fi
  read -r given
  if [ "$given" != "$(cat "$dir/password")" ]; then echo "sudo: 1 incorrect password attempt" >&2; exit 1; fi
fi
exec "$@"
'''

SYSTEMCTL = r'''
dir=$(dirname "$0")
state() { if [ -f "$dir/state_$1" ]; then cat "$dir/state_$1"; else echo "active running"; fi; }
case "$1" in
  list-units)
    for unit in klipper moonraker webcamd ssh crowsnest-2; do
      set -- $(state $unit)
      echo "$unit.service loaded $1 $2 The $unit service"
    done;;
  show)
    shift 3
    first=1
    for unit in "$@"; do
      name=${unit%.service}
      set -- $(state $name)
      [ $first = 1 ] || echo
      first=0
      printf 'Id=%s\nActiveState=%s\nSubState=%s\n' "$unit" "$1" "$2"
    done;;
  stop) echo "inactive dead" > "$dir/state_${2%.service}";;
  start|restart) echo "active running" > "$dir/state_${2%.service}";;
  reboot|poweroff|halt) ;;
  *) echo "Unknown command $1" >&2; exit 1;;
esac
'''

SUPERVISORCTL = r'''
case "$1" in -c) shift 2;; esac
case "$1" in
  status)
    echo "klipper                          RUNNING   pid 10, uptime 0:10:00"
    echo "moonraker                        RUNNING   pid 11, uptime 0:10:00"
    echo "webcams:webcamd                  FATAL     Exited too quickly"
    echo "other                            STOPPED   Not started";;
  restart|start|stop) echo "$2: $1ed";;
  *) exit 2;;
esac
'''
