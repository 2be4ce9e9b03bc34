#!/usr/bin/env bash
# Installs everything zvon needs to build, run and test on Debian 12, as root.
# Idempotent: a second run with everything present does nothing but check.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ninja-build
  # libraries zvon links against
  libsofia-sip-ua-dev libuv1-dev libsndfile1-dev libopus-dev libspandsp-dev
  libedit-dev libssl-dev libpq-dev
  # tests
  catch2
  # prompts are produced at build time
  espeak-ng sox
  # Ogg/Opus test files are written and checked with tools independent of libsndfile
  opus-tools
  # real peers the integration tests drive
  sip-tester baresip
  # the private database of the default run
  postgresql
  # scripting the integration tests
  python3 procps iproute2
)

bash "$(dirname "$0")/install-packages.sh" install-deps "${packages[@]}"
