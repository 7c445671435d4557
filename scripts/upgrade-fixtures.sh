#!/usr/bin/env bash
# Writes the golden states of internal/provider/upgrade_test.go by really
# applying testdata/upgrade/schema-v<N>/main.tf with the provider as built now,
# once under each CLI given:
#
#   make upgrade-fixtures SCHEMA_VERSION=<N>   (make build, then this script
#                                               with the three CLIs of the matrix)
#   scripts/upgrade-fixtures.sh <N> <cli>...
#
# For each CLI it starts bin/opencon-emulator with an empty state file, gets an
# OAuth code the way a browser would, applies main.tf through dev_overrides,
# checks that the next plan is empty, stops the emulator, and keeps in
# schema-v<N>/<terraform|tofu>-<version>/:
#   terraform-state.json   the CLI's state file, as the provider wrote it
#   emulator-state.json    the emulator's state file: the same instances
#   terraform.tfvars.json  the authorization code the apply spent
#
# One state per CLI, because the CLIs write different state for the same
# provider: Terraform 1.14 records schema-sensitive paths that 1.5 does not,
# and plans a (sensitivity-only) update the first time it reads 1.5's state.
#
# Run it only for a new schema version (N = the resource's new Version) or a
# CLI joining the matrix: the committed fixtures are state written by the
# releases that shipped, and the test proves that newer code still plans them
# empty. Regenerating an existing one hides exactly what the test is for.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { echo "usage: upgrade-fixtures.sh <schema version> <cli>..." >&2; exit 1; }
schema=$PWD/internal/provider/testdata/upgrade/schema-v$1
shift
[ -f "$schema/main.tf" ] || { echo "no $schema/main.tf: write the configuration first" >&2; exit 1; }
for f in bin/terraform-provider-opencon bin/opencon-emulator "$@"; do
  [ -x "$f" ] || { echo "$f is missing: run make build (and make tools)" >&2; exit 1; }
done

work=$(mktemp -d)
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/opencon/opencon" = "$PWD/bin"
    "registry.opentofu.org/opencon/opencon" = "$PWD/bin"
  }
  direct {}
}
EOF

for cli in "$@"; do
  cli=$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")
  family=terraform
  case $(basename "$cli") in tofu*) family=tofu ;; esac
  version=$("$cli" version -json | sed -nE 's/^ *"terraform_version": *"([^"]+)".*/\1/p')
  [ -n "$version" ] || { echo "$cli version -json names no version" >&2; exit 1; }
  run=$work/$family-$version
  mkdir -p "$run"

  bin/opencon-emulator -listen 127.0.0.1:0 -state-file "$run/emulator-state.json" >"$run/emulator.log" 2>&1 &
  emulator_pid=$!
  api=
  for _ in $(seq 100); do
    api=$(sed -nE 's/^opencon-emulator listening on (http:[^ ]+)$/\1/p' "$run/emulator.log")
    [ -n "$api" ] && break
    sleep 0.1
  done
  [ -n "$api" ] || { cat "$run/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }

  # The OAuth code, as README.md's curl walk-through gets it, for the client
  # id, secret and redirect URI that main.tf configures.
  auth='User dev-user-secret, Organization dev-organization-secret'
  oauth_url=$(curl -sf -H "Authorization: $auth" \
    "$api/elements/gmail/oauth/url?apiKey=gmail-client-id.apps.googleusercontent.com&apiSecret=gmail-client-secret&callbackUrl=https://auth.mycoolapp.com/oauth" |
    sed -E 's/.*"oauthUrl": ?"([^"]+)".*/\1/')
  code=$(curl -s -o /dev/null -w '%{redirect_url}' "$oauth_url" | sed -nE 's/.*[?&]code=([^&]+).*/\1/p')
  [ -n "$code" ] || { echo "no authorization code from $oauth_url" >&2; exit 1; }

  cp "$schema/main.tf" "$run/"
  printf '{\n  "gmail_authorization_code": "%s"\n}\n' "$code" >"$run/terraform.tfvars.json"
  (
    cd "$run"
    export TF_CLI_CONFIG_FILE=$work/cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
    "$cli" apply -auto-approve -input=false -no-color -var "base_url=$api" >apply.log 2>&1 ||
      { cat apply.log >&2; exit 1; }
    # The golden state must plan empty the moment it is written, or it proves nothing.
    "$cli" plan -detailed-exitcode -input=false -no-color -var "base_url=$api" >plan.log 2>&1 ||
      { cat plan.log >&2; echo "$family $version: the plan after apply is not empty" >&2; exit 1; }
  )
  kill "$emulator_pid"
  wait "$emulator_pid" || true # it saves its state file when it stops
  emulator_pid=

  out=$schema/$family-$version
  mkdir -p "$out"
  cp "$run/terraform.tfstate" "$out/terraform-state.json"
  cp "$run/emulator-state.json" "$run/terraform.tfvars.json" "$out/"
  echo "wrote $out/"
done
