#!/usr/bin/env bash
# Install everything the tests need, then lint (ruff, import-linter) and run the whole suite
# (browser tests too).
#   bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Optional: PyTorch for the cross-checks against torch.optim, only from a wheel already on
# this machine (a plain `pip install torch` would download a multi-GB CUDA build).
if ! python3 -c "import torch" 2>/dev/null; then
  wheel=$(ls /opt/wheels/torch-2.13.0*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ]; then
    python3 -m pip install --quiet --disable-pip-version-check "$wheel" \
      || echo "torch could not be installed; the torch cross-checks will be skipped"
  fi
fi

# Debian's Chromium for the real-browser tests (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

# Debian's haproxy for the cluster tests (deploy/local-cluster.sh puts it in front of replicas).
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq haproxy >/dev/null
fi

python3 -m ruff check .
python3 -m ruff format --check .
lint-imports  # the layers and the absence of cycles (contracts in pyproject.toml)
python3 -m pytest "$@"
