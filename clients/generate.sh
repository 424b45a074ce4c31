#!/usr/bin/env bash
# Regenerates both clients from openapi/openapi.json with the pinned generators: Kiota (dotnet-tools.json) for
# clients/dotnet/Generated, openapi-typescript (clients/typescript/package.json) for clients/typescript/src/schema.d.ts.
# CI runs it and fails when the result differs from what is committed: change the document, run this, commit both.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet tool restore > /dev/null
# No update check (it would reach GitHub) and no log file beside the output.
KIOTA_UPDATE__DISABLED=true dotnet kiota generate --language CSharp --openapi openapi/openapi.json \
  --class-name CreditsApiClient --namespace-name CreditFunctions.Client.Generated --output clients/dotnet/Generated \
  --exclude-backward-compatible --clean-output --log-level Warning
rm -f clients/dotnet/Generated/.kiota.log

npm run --silent generate --workspace clients/typescript
