#!/bin/sh
# Shape check of the test guests (run by "make check" in tests/guests):
# each is an ELF64 x86-64 ET_EXEC whose first PT_LOAD sits at physical
# 1 MiB, whose entry point lies inside it, and which is under 8 KiB.
# The example domain XMLs are validated with hullctl when it is built.
# Exit status: 0 pass, 1 fail, 77 skip (no readelf).

GUESTS="hello exits smp"
command -v readelf >/dev/null 2>&1 || { echo "SKIP: readelf not found"; exit 77; }

fail=0
bad () { echo "FAIL: $1: $2"; fail=1; }

for g in $GUESTS; do
  if ! test -f "$g"; then bad "$g" "not built"; continue; fi
  hdr=$(LC_ALL=C readelf -hlW "$g") || { bad "$g" "readelf failed"; continue; }
  echo "$hdr" | grep -q 'Class: *ELF64$' || bad "$g" "not ELF64"
  echo "$hdr" | grep -q 'Machine: *Advanced Micro Devices X86-64$' || bad "$g" "not x86-64"
  echo "$hdr" | grep -q 'Type: *EXEC ' || bad "$g" "not ET_EXEC"
  entry=$(echo "$hdr" | sed -n 's/^ *Entry point address: *//p')
  # LOAD  offset vaddr paddr filesz memsz flags align
  set -- $(echo "$hdr" | awk '$1 == "LOAD" { print $4, $6; exit }')
  if test $# -ne 2; then bad "$g" "no PT_LOAD"; continue; fi
  paddr=$1 memsz=$2
  test $((paddr)) -eq $((0x100000)) || bad "$g" "PT_LOAD at $paddr, not 0x100000"
  test $((entry)) -ge $((paddr)) && test $((entry)) -lt $((paddr + memsz)) ||
    bad "$g" "entry $entry outside PT_LOAD $paddr+$memsz"
  size=$(wc -c < "$g")
  test "$size" -lt 8192 || bad "$g" "$size bytes, limit 8192"
  echo "$g: entry $entry, PT_LOAD $paddr+$memsz, $size bytes"
done

hullctl=../../tools/hullctl
if test -x "$hullctl"; then
  for g in $GUESTS; do
    "$hullctl" validate "${srcdir:-.}/$g.xml" || bad "$g.xml" "hullctl validate failed"
  done
fi

exit $fail
