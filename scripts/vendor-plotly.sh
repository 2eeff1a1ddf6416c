#!/usr/bin/env bash
# Refreshes optviz_app/vendor/plotly-cartesian.min.js from npm: Plotly's cartesian
# distribution of the same plotly.js version as the full bundle inside the installed
# `plotly` Python package (see optviz_app/bundles.py). Needs npm; run after upgrading plotly.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(python3 -c 'from optviz_app.bundles import FULL; print(FULL.version)')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "plotly.js-cartesian-dist-min@$version" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/plotly-cartesian.min.js" optviz_app/vendor/
cp "$work/package/LICENSE" optviz_app/vendor/LICENSE.plotly.js.txt
echo "optviz_app/vendor/plotly-cartesian.min.js: plotly.js $version"
