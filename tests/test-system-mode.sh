#!/bin/sh
# System mode end to end (issue 6, item 7; docs/policy.md "How it is tested").
#
# As root: `make install` into a staging root under a temporary directory; a
# private dbus-daemon with the system bus configuration (and Hull's installed
# bus policy); the real polkitd with Hull's actions and a rules file granting
# read/create/manage-own (not manage-others) to a test group; two test users
# in that group; hulld --system on its own state, runtime and log
# directories. Then, as each user and as root, through hullctl and through
# direct D-Bus calls: ownership, every refused path, quotas, the kernel-file
# check, and the workers' credentials. TAP on stdout, plan at the end.
#
# Skips (77) when not root or when dbus-daemon, polkitd, useradd & co. are
# missing. Changes to the host (the policy and rules files, the users and
# group) are undone on exit, whatever happened; every process it started is
# stopped by its pid.
#
# Environment (set by tests/Makefile.am): HULL_SYSTEST_TOP_BUILDDIR (the
# build tree to install from), HULL_SYSTEST_MAKE, and the install directories
# HULL_SYSTEST_{BINDIR,SBINDIR,LIBDIR,LIBEXECDIR,DATADIR,LOCALEDIR}.

if [ -z "${BASH_VERSION:-}" ]; then
  if command -v bash >/dev/null 2>&1; then
    exec bash "$0" "$@"
  fi
  echo "1..0 # SKIP bash not found"
  exit 77
fi

set -u
export LC_ALL=C.UTF-8
unset LANGUAGE

skip_all () {
  echo "1..0 # SKIP $*"
  exit 77
}

# --- preconditions -------------------------------------------------------
[ "$(id -u)" = 0 ] || skip_all "not root (creates users, installs a polkit rules file, runs polkitd)"
for tool in dbus-daemon useradd userdel groupadd groupdel runuser gdbus pkcheck timeout sha256sum getent \
  flock; do
  command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not found"
done
POLKITD=""
for p in /usr/lib/polkit-1/polkitd /usr/libexec/polkitd /usr/libexec/polkit-1/polkitd; do
  if [ -x "$p" ]; then POLKITD=$p; break; fi
done
[ -n "$POLKITD" ] || skip_all "polkitd not found (Debian package polkitd)"
[ -r /usr/share/dbus-1/system.conf ] || skip_all "/usr/share/dbus-1/system.conf not found"
[ -d /usr/share/polkit-1/actions ] && [ -d /etc/polkit-1/rules.d ] ||
  skip_all "polkit's actions or rules directory is missing"
TOP=${HULL_SYSTEST_TOP_BUILDDIR:-}
[ -n "$TOP" ] && [ -f "$TOP/Makefile" ] || skip_all "HULL_SYSTEST_TOP_BUILDDIR unset: run through make check"
MAKE_CMD=${HULL_SYSTEST_MAKE:-make}
prefix_bindir=${HULL_SYSTEST_BINDIR:-/usr/local/bin}
prefix_sbindir=${HULL_SYSTEST_SBINDIR:-/usr/local/sbin}
prefix_libdir=${HULL_SYSTEST_LIBDIR:-/usr/local/lib}
prefix_libexecdir=${HULL_SYSTEST_LIBEXECDIR:-/usr/local/libexec}
prefix_datadir=${HULL_SYSTEST_DATADIR:-/usr/local/share}
prefix_localedir=${HULL_SYSTEST_LOCALEDIR:-$prefix_datadir/locale}

USER_A=hulltest-a
USER_B=hulltest-b
GROUP=hulltest
GECOS="Hull system-mode test user"
POLICY_DST=/usr/share/polkit-1/actions/org.hullvm.hull1.policy
RULES_DST=/etc/polkit-1/rules.d/49-hull-system-mode-test.rules

# One run at a time on a host (the users, the rules file and the policy file
# are host-wide): a lock on polkit's rules directory, which adds no file.
exec 9</etc/polkit-1/rules.d
flock -w 90 9 || skip_all "another run of this test held its lock for 90 s"

# A user or group of ours left by a run that was killed outright is removed;
# anyone else's of the same name makes the test skip rather than touch it.
for u in "$USER_A" "$USER_B"; do
  if getent passwd "$u" >/dev/null; then
    if [ "$(getent passwd "$u" | cut -d: -f5)" = "$GECOS" ]; then
      userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1
    else
      skip_all "a user '$u' exists that this test did not create"
    fi
  fi
done
if getent group "$GROUP" >/dev/null; then
  if [ -z "$(getent group "$GROUP" | cut -d: -f4)" ]; then
    groupdel "$GROUP" >/dev/null 2>&1
  else
    skip_all "a group '$GROUP' with members exists that this test did not create"
  fi
fi

# --- TAP -------------------------------------------------------------------
n=0
failed=0
failures=""
OUT=""
ERR=""
RC=0

ok () {
  n=$((n + 1))
  echo "ok $n - $*"
}
not_ok () {
  n=$((n + 1))
  failed=$((failed + 1))
  failures="$failures
  $n - $*"
  echo "not ok $n - $*"
  diag_last
}
skip_line () {
  n=$((n + 1))
  echo "ok $n - $1 # SKIP $2"
}
diag () {
  printf '%s\n' "$*" | sed 's/^/# /'
}
diag_last () {
  diag "last command: exit $RC"
  [ -n "$OUT" ] && diag "stdout: $OUT"
  [ -n "$ERR" ] && diag "stderr: $ERR"
  return 0
}
# check DESCRIPTION COMMAND...: one TAP line from a command's status.
check () {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
bail () {
  echo "Bail out! $*"
  for f in hulld.log polkitd.log install.log; do
    [ -s "$TMP/$f" ] && { diag "--- $f (tail)"; diag "$(tail -n 30 "$TMP/$f")"; }
  done
  exit 1
}

# --- cleanup (runs on every exit) ------------------------------------------
TMP=""
HULLD_PID=""
POLKITD_PID=""
BUS_PID=""
POLICY_BACKUP=""
CREATED_USERS=""
CREATED_GROUP=""
ETC_BACKUP=""

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL.
stop_pid () {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie of ours counts as gone once reaped.
    if [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ]; then
      wait "$pid" 2>/dev/null
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# Processes this test started, directly or through hulld: those whose command
# line names the temporary directory (hulld, its workers, hullctl), and any
# process of the test users. Listed by pid.
our_pids () {
  local d pid uid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ "$pid" = "$$" ] && continue
    [ "$pid" = "${BASHPID:-$$}" ] && continue
    if [ -n "$TMP" ] && tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -qF "$TMP/"; then
      echo "$pid"
      continue
    fi
    uid=$(awk '/^Uid:/ {print $2}' "$d/status" 2>/dev/null)
    if [ -n "$uid" ] && [ -n "${UID_A:-}" ] && { [ "$uid" = "$UID_A" ] || [ "$uid" = "${UID_B:-}" ]; }; then
      echo "$pid"
    fi
  done
}

cleanup () {
  local status=$? pid f
  trap - EXIT INT TERM
  set +e
  [ -n "$HULLD_PID" ] && stop_pid "$HULLD_PID"
  # Workers outlive hulld by design (docs/daemon.md): stop them by the pids in
  # their status records, then anything else of ours.
  if [ -n "$TMP" ]; then
    for f in "$TMP"/run/vm/*.status; do
      [ -f "$f" ] || continue
      pid=$(sed -n 's/^pid=//p' "$f" | head -n 1)
      case "$pid" in '' | *[!0-9]*) continue ;; esac
      tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'hull-vm' && stop_pid "$pid"
    done
    for pid in $(our_pids); do stop_pid "$pid"; done
  fi
  [ -n "$POLKITD_PID" ] && stop_pid "$POLKITD_PID"
  rm -f "$RULES_DST"
  if [ -n "$POLICY_BACKUP" ] && [ -f "$POLICY_BACKUP" ]; then
    cp -p "$POLICY_BACKUP" "$POLICY_DST"
  else
    rm -f "$POLICY_DST"
  fi
  [ -n "$BUS_PID" ] && stop_pid "$BUS_PID"
  for u in $CREATED_USERS; do
    userdel -r "$u" >/dev/null 2>&1 || userdel -f "$u" >/dev/null 2>&1
  done
  [ -n "$CREATED_GROUP" ] && groupdel "$CREATED_GROUP" >/dev/null 2>&1
  if [ -n "$ETC_BACKUP" ]; then
    for f in "$ETC_BACKUP"/*-; do
      [ -f "$f" ] && cp -p "$f" "/etc/${f##*/}"
    done
  fi
  [ -n "$TMP" ] && rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Workers run as the test users: the whole tree must be traversable.
TMP=$(mktemp -d /tmp/hull-sysmode.XXXXXX) || bail "mktemp failed"
chmod 755 "$TMP"

# --- 1. make install into a staging root ------------------------------------
ROOT=$TMP/root
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE_CMD" -s -C "$TOP" install DESTDIR="$ROOT" \
  >"$TMP/install.log" 2>&1; then
  bail "make install DESTDIR=$ROOT failed"
fi
HULLD=$ROOT$prefix_sbindir/hulld
HULLCTL=$ROOT$prefix_bindir/hullctl
WORKER=$ROOT$prefix_libexecdir/hull/hull-vm
BACKENDS=$ROOT$prefix_libdir/hull/backends
LIBDIR=$ROOT$prefix_libdir
LOCALEDIR=$ROOT$prefix_localedir
POLICY_SRC=$ROOT$prefix_datadir/polkit-1/actions/org.hullvm.hull1.policy
BUS_POLICY_DIR=$ROOT$prefix_datadir/dbus-1/system.d
GUEST_HELLO=$ROOT$prefix_datadir/hull/guests/hello
for f in "$HULLD" "$HULLCTL" "$WORKER" "$BACKENDS/hull-backend-test.so" "$POLICY_SRC" \
  "$BUS_POLICY_DIR/org.hullvm.Hull1.conf"; do
  [ -e "$f" ] || bail "make install did not install $f"
done
chmod -R a+rX "$ROOT"

# --- 2. a private system bus -----------------------------------------------
BUS_SOCKET=$TMP/sysbus
sed -e "s|<listen>[^<]*</listen>|<listen>unix:path=$BUS_SOCKET</listen>|" \
  -e '/<pidfile>/d' -e '/<syslog\/>/d' \
  -e '/<standard_system_servicedirs\/>/d' -e '/<servicehelper>/d' \
  -e "s|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir><includedir>$BUS_POLICY_DIR</includedir>|" \
  /usr/share/dbus-1/system.conf >"$TMP/system.conf"
grep -q "$BUS_POLICY_DIR" "$TMP/system.conf" || bail "could not adapt the system bus configuration"
dbus-daemon --config-file="$TMP/system.conf" --fork --print-pid=3 3>"$TMP/bus.pid" \
  >"$TMP/dbus.log" 2>&1 9<&- || bail "dbus-daemon failed: $(cat "$TMP/dbus.log")"
BUS_PID=$(head -n 1 "$TMP/bus.pid")
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BUS_SOCKET
unset DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR HULL_BUS HULL_BACKEND_DIR HULL_WORKER HULL_LOCALEDIR

bus_has_name () {
  gdbus call --system --timeout 5 --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}

# --- 3. the test users, polkit's files, polkitd ----------------------------
# useradd, userdel and groupdel leave the previous passwd, group, shadow and
# gshadow (and subuid, subgid) as FILE-: restored at the end, so the test
# users leave no trace there either.
mkdir -m 700 "$TMP/etc-backup"
for f in passwd group shadow gshadow subuid subgid; do
  [ -f "/etc/$f-" ] && cp -p "/etc/$f-" "$TMP/etc-backup/$f-"
done
ETC_BACKUP=$TMP/etc-backup
groupadd "$GROUP" || bail "groupadd $GROUP failed"
CREATED_GROUP=$GROUP
for u in "$USER_A" "$USER_B"; do
  # No home, no lastlog/faillog entry, no subordinate ids: nothing to undo
  # but the passwd, shadow and group entries.
  useradd -M -N -l -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -g "$GROUP" -d /nonexistent \
    -s /usr/sbin/nologin -c "$GECOS" "$u" || bail "useradd $u failed"
  CREATED_USERS="$CREATED_USERS $u"
done
UID_A=$(id -u "$USER_A")
UID_B=$(id -u "$USER_B")
GID_T=$(getent group "$GROUP" | cut -d: -f3)

if [ -e "$POLICY_DST" ]; then
  POLICY_BACKUP=$TMP/policy.backup
  cp -p "$POLICY_DST" "$POLICY_BACKUP"
fi
install -m 644 "$POLICY_SRC" "$POLICY_DST" || bail "cannot install $POLICY_DST"
cat >"$RULES_DST" <<EOF
// Installed by Hull's tests/test-system-mode.sh while it runs; removed at its end.
polkit.addRule(function(action, subject) {
    if ((action.id == "org.hullvm.hull1.read" ||
         action.id == "org.hullvm.hull1.create" ||
         action.id == "org.hullvm.hull1.manage-own") &&
        subject.isInGroup("$GROUP")) {
        return polkit.Result.YES;
    }
});
EOF
chmod 644 "$RULES_DST"

"$POLKITD" --no-debug >"$TMP/polkitd.log" 2>&1 </dev/null 9<&- &
POLKITD_PID=$!
for _ in $(seq 1 150); do
  bus_has_name org.freedesktop.PolicyKit1 && break
  kill -0 "$POLKITD_PID" 2>/dev/null || bail "polkitd exited: $(cat "$TMP/polkitd.log")"
  sleep 0.1
done
bus_has_name org.freedesktop.PolicyKit1 || bail "polkitd did not take its name in 15 s"

# as USER COMMAND...: run a command as USER (or root) with a clean
# environment (the bus address, the staged tree's libraries and messages),
# stdin from /dev/null, at most 30 s. Sets OUT, ERR, RC.
as () {
  local user=$1
  shift
  (cd / && runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ LC_ALL=C.UTF-8 \
    DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" LD_LIBRARY_PATH="$LIBDIR" \
    HULL_LOCALEDIR="$LOCALEDIR" timeout -k 5 30 "$@") </dev/null >"$TMP/out" 2>"$TMP/err" 9<&-
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  return 0
}
hctl () {
  local user=$1
  shift
  as "$user" "$HULLCTL" --system "$@"
}
# dcall USER OBJECT-PATH INTERFACE.METHOD ARGS...: a direct D-Bus call.
dcall () {
  local user=$1 path=$2 method=$3
  shift 3
  as "$user" gdbus call --system --timeout 25 --dest org.hullvm.Hull1 --object-path "$path" \
    --method "$method" "$@"
}
dom_path () {
  echo "/org/hullvm/Hull1/domain/_$(echo "$1" | tr '-' '_')"
}
# prop UUID NAME: a Domain property, as root (e.g. running, 1000).
prop () {
  gdbus call --system --timeout 10 --dest org.hullvm.Hull1 --object-path "$(dom_path "$1")" \
    --method org.freedesktop.DBus.Properties.Get org.hullvm.Hull1.Domain "$2" 2>/dev/null |
    sed -e "s/^(<//" -e "s/>,)$//" -e "s/^'//" -e "s/'$//" -e 's/^uint32 //'
}

# Expectations on the last command.
succeeded () { [ "$RC" = 0 ]; }
refused () {
  [ "$RC" = 4 ] && return 0
  [ "$RC" = 1 ] && printf '%s' "$ERR" | grep -qi 'not'
}
dbus_error () { [ "$RC" != 0 ] && printf '%s' "$ERR" | grep -q "org\.hullvm\.Hull1\.Error\.$1"; }
err_has () { printf '%s' "$ERR" | grep -qF -- "$1"; }
out_is () { [ "$OUT" = "$1" ]; }

check "polkit grants the test group org.hullvm.hull1.create" \
  as "$USER_A" sh -c 'exec pkcheck --action-id org.hullvm.hull1.create --process $$'
check "polkit grants the test group org.hullvm.hull1.manage-own" \
  as "$USER_B" sh -c 'exec pkcheck --action-id org.hullvm.hull1.manage-own --process $$'
as "$USER_A" sh -c 'exec pkcheck --action-id org.hullvm.hull1.manage-others --process $$'
check "polkit does not grant the test users org.hullvm.hull1.manage-others" test "$RC" != 0
check "the staged install is readable by the test users" \
  as "$USER_A" sh -c "test -x '$WORKER' && test -r '$BACKENDS/hull-backend-test.so' && test -x '$HULLCTL'"

# --- 4, 5. hulld --system ------------------------------------------------------
cat >"$TMP/hulld.conf" <<EOF
# tests/test-system-mode.sh
[policy]
# Empty: only root is an admin. polkit decides anyway; refuse to run without it.
admin-group=
authority=polkit

[quota user $USER_A]
domains=2
vcpus=2
EOF
mkdir -p "$TMP/state" "$TMP/log"
(cd / && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
  DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" LD_LIBRARY_PATH="$LIBDIR" \
  HULL_LOCALEDIR="$LOCALEDIR" \
  "$HULLD" --system --config "$TMP/hulld.conf" --state-dir "$TMP/state" --runtime-dir "$TMP/run" \
  --log-dir "$TMP/log" --backend-dir "$BACKENDS" --worker "$WORKER") \
  </dev/null >"$TMP/hulld.log" 2>&1 9<&- &
HULLD_PID=$!
for _ in $(seq 1 200); do
  kill -0 "$HULLD_PID" 2>/dev/null || bail "hulld exited: $(cat "$TMP/hulld.log")"
  hctl root backends
  [ "$RC" = 0 ] && break
  sleep 0.1
done
[ "$RC" = 0 ] || bail "hulld did not answer in 20 s"
check "hulld --system runs with polkit (authority=polkit)" kill -0 "$HULLD_PID"

# --- domains ------------------------------------------------------------------
UUID_A1=3d1c2f0a-7a51-4d1e-9a0b-00000000a001
UUID_A2=3d1c2f0a-7a51-4d1e-9a0b-00000000a002
UUID_A3=3d1c2f0a-7a51-4d1e-9a0b-00000000a003
UUID_AK=3d1c2f0a-7a51-4d1e-9a0b-00000000a0c0
UUID_B1=3d1c2f0a-7a51-4d1e-9a0b-00000000b001
UUID_R1=3d1c2f0a-7a51-4d1e-9a0b-00000000f001
PATH_A1=$(dom_path "$UUID_A1")
PATH_A2=$(dom_path "$UUID_A2")
PATH_AK=$(dom_path "$UUID_AK")
PATH_B1=$(dom_path "$UUID_B1")
MANAGER=/org/hullvm/Hull1
DOM=org.hullvm.Hull1.Domain
MGR=org.hullvm.Hull1.Manager

# test_xml NAME UUID VCPUS: a test-backend domain that prints "Hi" on COM1,
# then idles until it is stopped. One line, double quotes only (it is also a
# GVariant string literal).
test_xml () {
  printf '%s' "<domain type=\"test\" xmlns:hull=\"https://hullvm.org/schemas/domain/1\">" \
    "<name>$1</name><uuid>$2</uuid><memory unit=\"MiB\">64</memory><vcpu>$3</vcpu>" \
    "<devices><serial type=\"pty\"/></devices><hull:test-program><hull:vp index=\"0\">" \
    "<hull:out port=\"0x3f8\" value=\"0x48\"/><hull:out port=\"0x3f8\" value=\"0x69\"/>" \
    "<hull:out port=\"0x3f8\" value=\"0x0a\"/></hull:vp></hull:test-program></domain>"
}
# kvm_xml NAME UUID KERNEL: the hello guest on KVM, from KERNEL.
kvm_xml () {
  printf '%s' "<domain type=\"kvm\"><name>$1</name><uuid>$2</uuid>" \
    "<memory unit=\"MiB\">64</memory><vcpu placement=\"static\">1</vcpu>" \
    "<os><type arch=\"x86_64\">hvm</type><kernel>$3</kernel><cmdline>console=ttyS0</cmdline></os>" \
    "<devices><serial type=\"pty\"/></devices></domain>"
}
write_xml () { # FILE CONTENT: readable by everyone
  printf '%s\n' "$2" >"$1"
  chmod 644 "$1"
}
write_xml "$TMP/a-vm1.xml" "$(test_xml a-vm1 "$UUID_A1" 1)"
write_xml "$TMP/a-vm2.xml" "$(test_xml a-vm2 "$UUID_A2" 2)"
write_xml "$TMP/a-vm3.xml" "$(test_xml a-vm3 "$UUID_A3" 1)"
write_xml "$TMP/b-vm1.xml" "$(test_xml b-vm1 "$UUID_B1" 1)"
write_xml "$TMP/r-vm1.xml" "$(test_xml r-vm1 "$UUID_R1" 1)"
# B's definition under A's name and UUID (a redefinition attempt).
write_xml "$TMP/b-as-a.xml" "$(test_xml a-vm1 "$UUID_A1" 1)"
# A's definition under B's name and UUID.
write_xml "$TMP/a-as-b.xml" "$(test_xml b-vm1 "$UUID_B1" 1)"
SECRET_KERNEL=$TMP/secret-kernel
OPEN_KERNEL=$TMP/open-kernel
if [ -r "$GUEST_HELLO" ]; then
  install -m 600 "$GUEST_HELLO" "$SECRET_KERNEL"
  install -m 644 "$GUEST_HELLO" "$OPEN_KERNEL"
else
  printf 'not a kernel\n' >"$SECRET_KERNEL"
  chmod 600 "$SECRET_KERNEL"
fi
write_xml "$TMP/a-kvm-secret.xml" "$(kvm_xml a-kvm "$UUID_AK" "$SECRET_KERNEL")"
write_xml "$TMP/a-kvm-open.xml" "$(kvm_xml a-kvm "$UUID_AK" "$OPEN_KERNEL")"

defs=$TMP/state/domains

# --- each user defines and starts a VM ----------------------------------------
hctl "$USER_A" define "$TMP/a-vm1.xml"
check "A defines a-vm1" succeeded
hctl "$USER_A" start a-vm1
check "A starts a-vm1" succeeded
hctl "$USER_B" define "$TMP/b-vm1.xml"
check "B defines b-vm1" succeeded
hctl "$USER_B" start b-vm1
check "B starts b-vm1" succeeded
hctl root define "$TMP/r-vm1.xml"
check "root defines r-vm1" succeeded
hctl root start r-vm1
check "root starts r-vm1" succeeded

B_XML_SUM=$(sha256sum "$defs/$UUID_B1.xml" "$defs/$UUID_B1.meta" 2>/dev/null)
A_XML_SUM=$(sha256sum "$defs/$UUID_A1.xml" "$defs/$UUID_A1.meta" 2>/dev/null)
b_untouched () {
  [ "$(prop "$UUID_B1" State)" = running ] &&
    [ "$(sha256sum "$defs/$UUID_B1.xml" "$defs/$UUID_B1.meta" 2>/dev/null)" = "$B_XML_SUM" ]
}
a_untouched () {
  [ "$(prop "$UUID_A1" State)" = running ] &&
    [ "$(sha256sum "$defs/$UUID_A1.xml" "$defs/$UUID_A1.meta" 2>/dev/null)" = "$A_XML_SUM" ]
}
check "b-vm1's definition and owner record are on disk" test -n "$B_XML_SUM"

# --- credentials come from the bus ----------------------------------------------
check "a-vm1's Owner is A's uid ($UID_A)" test "$(prop "$UUID_A1" Owner)" = "$UID_A"
check "b-vm1's Owner is B's uid ($UID_B)" test "$(prop "$UUID_B1" Owner)" = "$UID_B"
check "r-vm1's Owner is root (0)" test "$(prop "$UUID_R1" Owner)" = 0
check "a-vm1's .meta records A's uid" grep -qx "owner=$UID_A" "$defs/$UUID_A1.meta"
dcall "$USER_A" "$MANAGER" "$MGR.ListDomains" "{'uid': <uint32 0>}"
check "A: ListDomains with a 'uid' option → InvalidArgument" dbus_error InvalidArgument
dcall "$USER_A" "$MANAGER" "$MGR.DefineXML" "'$(test_xml a-vm9 3d1c2f0a-7a51-4d1e-9a0b-00000000a009 1)'" \
  "{'owner': <uint32 $UID_B>}"
check "A: DefineXML with an 'owner' option → InvalidArgument" dbus_error InvalidArgument
check "… and nothing was defined" test ! -e "$defs/3d1c2f0a-7a51-4d1e-9a0b-00000000a009.xml"
dcall "$USER_A" "$PATH_B1" "$DOM.Destroy" "{'uid': <uint32 0>}"
check "A: Destroy of B's domain claiming uid 0 → refused" \
  eval 'dbus_error InvalidArgument || dbus_error NotAuthorized'
check "… b-vm1 still running, its files untouched" b_untouched

# --- the workers run as their owners ---------------------------------------------
# worker_field UUID FIELD: a field of /proc/<worker pid>/status.
worker_pid () {
  sed -n 's/^pid=//p' "$TMP/run/vm/$1.status" 2>/dev/null | head -n 1
}
worker_field () {
  local pid
  pid=$(worker_pid "$1")
  [ -n "$pid" ] || return 0
  awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); gsub(/\t/, " "); print }' "/proc/$pid/status" 2>/dev/null
}
worker_runs_as () { # UUID UID GID
  local uids gids
  uids=$(worker_field "$1" Uid)
  gids=$(worker_field "$1" Gid)
  OUT="pid $(worker_pid "$1"): Uid: $uids; Gid: $gids"
  ERR=""
  RC=0
  [ "$uids" = "$2 $2 $2 $2" ] && [ "$gids" = "$3 $3 $3 $3" ]
}
worker_unprivileged () { # UUID
  local capeff capprm nnp
  capeff=$(worker_field "$1" CapEff)
  capprm=$(worker_field "$1" CapPrm)
  nnp=$(worker_field "$1" NoNewPrivs)
  OUT="pid $(worker_pid "$1"): CapEff: $capeff; CapPrm: $capprm; NoNewPrivs: $nnp"
  ERR=""
  RC=0
  [ "$capeff" = 0000000000000000 ] && [ "$capprm" = 0000000000000000 ] && [ "$nnp" = 1 ]
}
check "a-vm1 has a live worker" test -n "$(worker_pid "$UUID_A1")"
check "a-vm1's worker runs as A (uid $UID_A, gid $GID_T)" worker_runs_as "$UUID_A1" "$UID_A" "$GID_T"
check "a-vm1's worker has no capabilities and NoNewPrivs" worker_unprivileged "$UUID_A1"
check "b-vm1's worker runs as B (uid $UID_B, gid $GID_T)" worker_runs_as "$UUID_B1" "$UID_B" "$GID_T"
check "b-vm1's worker has no capabilities and NoNewPrivs" worker_unprivileged "$UUID_B1"
check "r-vm1's worker runs as root" worker_runs_as "$UUID_R1" 0 0

# --- what each user sees -----------------------------------------------------
hctl "$USER_A" list --all --name
check "A: list --all shows only a-vm1" out_is "a-vm1"
hctl "$USER_B" list --all --name
check "B: list --all shows only b-vm1" out_is "b-vm1"
dcall "$USER_A" "$MANAGER" "$MGR.ListDomains" "@a{sv} {}"
check "A: ListDomains returns only A's domain" eval \
  '[ "$RC" = 0 ] && printf "%s" "$OUT" | grep -qF "$PATH_A1" && ! printf "%s" "$OUT" | grep -qF "$PATH_B1"'
hctl "$USER_A" dominfo b-vm1
check "A: dominfo b-vm1 → not found (exit 4)" test "$RC" = 4
dcall "$USER_A" "$MANAGER" "$MGR.LookupByName" "'b-vm1'" "@a{sv} {}"
check "A: LookupByName('b-vm1') → NotFound" dbus_error NotFound
dcall "$USER_A" "$MANAGER" "$MGR.LookupByUUID" "'$UUID_B1'" "@a{sv} {}"
check "A: LookupByUUID(b-vm1's UUID) → NotFound" dbus_error NotFound

# --- A cannot touch B's VM through hullctl -------------------------------------
hctl "$USER_A" destroy b-vm1
check "A: hullctl destroy b-vm1 → refused" refused
hctl "$USER_A" console --read-only b-vm1
check "A: hullctl console b-vm1 → refused" refused
hctl "$USER_A" dumpxml b-vm1
check "A: hullctl dumpxml b-vm1 → refused" refused
check "… and printed nothing of it" eval '! printf "%s" "$OUT" | grep -q "$UUID_B1"'
hctl "$USER_A" undefine b-vm1
check "A: hullctl undefine b-vm1 → refused" refused
hctl "$USER_A" shutdown b-vm1
check "A: hullctl shutdown b-vm1 → refused" refused
hctl "$USER_A" suspend b-vm1
check "A: hullctl suspend b-vm1 → refused" refused
hctl "$USER_A" define "$TMP/a-as-b.xml"
check "A: hullctl define over b-vm1 (its name and UUID) → refused" refused
check "… b-vm1 still running, its files untouched" b_untouched

# --- … nor through D-Bus on B's object path: every Domain method -----------------
for m in Start Shutdown Destroy Reboot Reset Pause Resume ClearHalt Undefine GetXMLDesc OpenConsole GetStats; do
  dcall "$USER_A" "$PATH_B1" "$DOM.$m" "@a{sv} {}"
  check "A: $m on b-vm1's object → NotAuthorized" dbus_error NotAuthorized
  check "… naming A and b-vm1" eval 'err_has "$USER_A" && err_has "b-vm1"'
done
dcall "$USER_A" "$PATH_B1" "$DOM.SetAutostart" true "@a{sv} {}"
check "A: SetAutostart on b-vm1's object → NotAuthorized" dbus_error NotAuthorized
dcall "$USER_A" "$PATH_B1" "$DOM.Inspect" "''" "@a{sv} {}"
check "A: Inspect on b-vm1's object → NotAuthorized" dbus_error NotAuthorized
dcall "$USER_A" "$MANAGER" "$MGR.DefineXML" "'$(test_xml b-vm1 "$UUID_B1" 1)'" "@a{sv} {}"
check "A: DefineXML redefining b-vm1 → NotAuthorized" dbus_error NotAuthorized
check "… b-vm1 still running, its files untouched" b_untouched
check "… and not set to autostart" test ! -e "$TMP/state/autostart/$UUID_B1"

# --- B cannot touch A's VM -----------------------------------------------------
hctl "$USER_B" undefine a-vm1
check "B: hullctl undefine a-vm1 → refused" refused
hctl "$USER_B" destroy a-vm1
check "B: hullctl destroy a-vm1 → refused" refused
dcall "$USER_B" "$PATH_A1" "$DOM.Undefine" "@a{sv} {}"
check "B: Undefine on a-vm1's object → NotAuthorized" dbus_error NotAuthorized
dcall "$USER_B" "$PATH_A1" "$DOM.Destroy" "@a{sv} {}"
check "B: Destroy on a-vm1's object → NotAuthorized" dbus_error NotAuthorized
hctl "$USER_B" define "$TMP/b-as-a.xml"
check "B: hullctl define over a-vm1 (its name and UUID) → refused" refused
check "… a-vm1 still running, its files untouched" a_untouched

# --- quotas (A: domains=2, vcpus=2) ---------------------------------------------
hctl "$USER_A" define "$TMP/a-vm2.xml"
check "A defines a-vm2 (2 vCPUs; A's second domain)" succeeded
hctl "$USER_A" start a-vm2
check "A: start a-vm2 (1 + 2 vCPUs > 2) → refused" eval '[ "$RC" = 1 ] && err_has "vCPU"'
dcall "$USER_A" "$PATH_A2" "$DOM.Start" "@a{sv} {}"
check "A: Start of a-vm2 → QuotaExceeded" dbus_error QuotaExceeded
check "… a-vm2 still shut off, no worker" \
  eval '[ "$(prop "$UUID_A2" State)" = shutoff ] && [ ! -e "$TMP/run/vm/$UUID_A2.status" ]'
hctl "$USER_A" define "$TMP/a-vm3.xml"
check "A: define a-vm3 (a third domain) → refused" eval '[ "$RC" = 1 ] && err_has "domains"'
dcall "$USER_A" "$MANAGER" "$MGR.DefineXML" "'$(test_xml a-vm3 "$UUID_A3" 1)'" "@a{sv} {}"
check "A: DefineXML of a-vm3 → QuotaExceeded" dbus_error QuotaExceeded
check "… nothing defined" test ! -e "$defs/$UUID_A3.xml"
dcall "$USER_A" "$MANAGER" "$MGR.CreateXML" "'$(test_xml a-vm3 "$UUID_A3" 1)'" "@a{sv} {}"
check "A: CreateXML of a transient a-vm3 → QuotaExceeded" dbus_error QuotaExceeded
check "… nothing started" test ! -e "$TMP/run/vm/$UUID_A3.status"
hctl "$USER_A" list --all --name
check "… A still has exactly a-vm1 and a-vm2" out_is "a-vm1
a-vm2"
hctl "$USER_B" define "$TMP/a-vm3.xml"
check "B is not under A's quota (defines a-vm3)" succeeded
hctl "$USER_B" undefine a-vm3
check "B undefines a-vm3" succeeded
hctl "$USER_A" undefine a-vm2
check "A undefines its own a-vm2" succeeded

# --- a user cannot boot a kernel they cannot read ---------------------------------
as "$USER_A" test -r "$SECRET_KERNEL"
check "A cannot read $SECRET_KERNEL itself (mode 0600, root)" test "$RC" != 0
hctl "$USER_A" define "$TMP/a-kvm-secret.xml"
check "A defines a-kvm with a root-only (0600) kernel" succeeded
dcall "$USER_A" "$PATH_AK" "$DOM.Start" "@a{sv} {}"
if dbus_error BackendUnavailable; then
  skip_line "A: Start of a-kvm → NotAuthorized naming A and the kernel" \
    "the kvm backend is unavailable: $(printf '%s' "$ERR" | tail -n 1)"
  skip_line "A can boot a kernel it can read" "the kvm backend is unavailable"
else
  check "A: Start of a-kvm (unreadable kernel) → NotAuthorized" dbus_error NotAuthorized
  check "… naming A and the kernel file" eval 'err_has "$USER_A" && err_has "$SECRET_KERNEL"'
  check "… a-kvm still shut off" test "$(prop "$UUID_AK" State)" = shutoff
  check "… and its guest never ran (no console output)" test ! -s "$TMP/log/$UUID_AK.console.log"
  if [ -r "$GUEST_HELLO" ]; then
    # (Only if the refusal above failed is there anything to stop.)
    [ "$(prop "$UUID_AK" State)" = shutoff ] || hctl root destroy a-kvm
    hctl "$USER_A" define "$TMP/a-kvm-open.xml"
    check "A redefines a-kvm with a readable (0644) kernel" succeeded
    hctl "$USER_A" start a-kvm
    check "A can boot a kernel it can read" succeeded
  else
    skip_line "A can boot a kernel it can read" "the hello guest is not installed"
  fi
fi
hctl "$USER_A" destroy a-kvm >/dev/null 2>&1
hctl "$USER_A" undefine a-kvm
check "A undefines a-kvm" succeeded

# --- root can do everything ----------------------------------------------------------
hctl root list --all --name
check "root: list --all shows every user's domains" out_is "a-vm1
b-vm1
r-vm1"
hctl root dumpxml b-vm1
check "root: dumpxml b-vm1" eval 'succeeded && printf "%s" "$OUT" | grep -q "$UUID_B1"'
# root reads B's console: the ring buffer holds "Hi" (test_xml's program).
console_out=$TMP/console.out
(cd / && exec env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" \
  LD_LIBRARY_PATH="$LIBDIR" timeout -k 5 20 "$HULLCTL" --system console --read-only b-vm1) \
  </dev/null >"$console_out" 2>"$TMP/console.err" 9<&- &
console_pid=$!
for _ in $(seq 1 150); do
  grep -q Hi "$console_out" 2>/dev/null && break
  kill -0 "$console_pid" 2>/dev/null || break
  sleep 0.1
done
OUT=$(cat "$console_out")
ERR=$(cat "$TMP/console.err")
RC="(console)"
check "root: console --read-only b-vm1 reads B's guest output" grep -q Hi "$console_out"
stop_pid "$console_pid"
hctl root destroy b-vm1
check "root: destroy b-vm1" succeeded
check "… b-vm1 is shut off" test "$(prop "$UUID_B1" State)" = shutoff
hctl root undefine b-vm1
check "root: undefine b-vm1" succeeded
check "… its definition is gone" test ! -e "$defs/$UUID_B1.xml"
hctl "$USER_B" list --all --name
check "B: list --all is now empty" out_is ""
hctl "$USER_A" list --all --name
check "A: still only a-vm1" out_is "a-vm1"
check "a-vm1 still running" test "$(prop "$UUID_A1" State)" = running

# A manages its own VM to the end.
hctl "$USER_A" destroy a-vm1
check "A destroys its own a-vm1" succeeded
hctl "$USER_A" undefine a-vm1
check "A undefines its own a-vm1" succeeded
hctl root destroy r-vm1
hctl root undefine r-vm1
check "root destroys and undefines r-vm1" succeeded
check "hulld is still running" kill -0 "$HULLD_PID"

# --- summary ---------------------------------------------------------------------
echo "1..$n"
if [ "$failed" -ne 0 ]; then
  diag "$failed of $n checks failed:$failures"
  diag "--- hulld.log (tail)"
  diag "$(tail -n 40 "$TMP/hulld.log" 2>/dev/null)"
  for f in "$TMP"/log/*.log; do
    [ -s "$f" ] || continue
    diag "--- $(basename "$f") (tail)"
    diag "$(tail -n 10 "$f")"
  done
  exit 1
fi
diag "all $n checks passed"
exit 0
