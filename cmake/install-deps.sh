#!/bin/sh
# Installs the Debian 12 packages refmatch needs to build, test and benchmark.
# Idempotent: when everything is present it only checks and returns (well under a second).
# Runs as root, or through sudo otherwise.
set -eu

packages="
  build-essential clang cmake ninja-build git
  libboost-dev libboost-graph-dev
  nlohmann-json3-dev libcli11-dev libcsv-dev libsqlite3-dev liblemon-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-pybind11 python3-setuptools python3-pip python3-venv
  python3-numpy python3-pandas python3-pytest python3-hypothesis python3-tqdm
  python3-dask python3-distributed python3-faiss python3-networkx
  python3-nbclient python3-nbformat python3-ipykernel python3-matplotlib python3-scipy
  python3-nbconvert jupyter-nbconvert jupyter-notebook
  chromium
"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "install-deps: installing$missing" >&2
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
