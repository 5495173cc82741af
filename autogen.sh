#!/bin/sh
# Regenerates the build system from configure.ac and the Makefile.am files.
set -e
srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.
cd "$srcdir"
autoreconf --force --install --verbose
# automake does not install its TAP driver by itself.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
if test -z "$NOCONFIGURE" && test "$#" -gt 0; then
  exec ./configure "$@"
fi
