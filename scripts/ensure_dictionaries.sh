#!/usr/bin/env bash
# The brand engine's `spelling` check reads Debian's Hunspell dictionaries (brand/spelling.py): en_US from
# hunspell-en-us and id_ID from hunspell-id, in /usr/share/hunspell. Install them when missing and we may;
# under CI a missing dictionary is an error (the spelling tests fail rather than skip), elsewhere those
# tests skip with this message.
set -euo pipefail
DIR=/usr/share/hunspell
missing=()
[ -f "$DIR/en_US.dic" ] && [ -f "$DIR/en_US.aff" ] || missing+=(hunspell-en-us)
[ -f "$DIR/id_ID.dic" ] && [ -f "$DIR/id_ID.aff" ] || missing+=(hunspell-id)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's Hunspell dictionaries for the spelling check (apt-get): ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "Hunspell dictionaries are missing in $DIR and this is not root: run 'sudo apt-get install -y ${missing[*]}' for the spelling check" >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
echo "(the spelling tests will be skipped, and styles with spelling rules refused)" >&2
