#!/usr/bin/env bash
# Regenerates both clients from openapi/openapi.json with the pinned generators: Kiota (dotnet-tools.json) for
# clients/dotnet/Generated, openapi-typescript (clients/typescript/package.json) for clients/typescript/src/schema.ts.
# CI runs it and fails when the result differs from what is committed: change the document, run this, commit both.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet tool restore > /dev/null
# Kiota's output is kept for a failure only: offline, every run also logs that its update check could not reach GitHub.
kiota_log=$(mktemp)
if ! dotnet kiota generate --language CSharp --openapi openapi/openapi.json \
  --class-name CreditsApiClient --namespace-name CreditFunctions.Client.Generated --output clients/dotnet/Generated \
  --exclude-backward-compatible --clean-output --log-level Warning > "$kiota_log" 2>&1; then
  cat "$kiota_log"
  echo "kiota failed" >&2
  exit 1
fi
rm -f "$kiota_log" clients/dotnet/Generated/.kiota.log
echo "kiota: clients/dotnet/Generated"

npm run --silent generate --workspace clients/typescript
