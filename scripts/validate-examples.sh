#!/usr/bin/env bash
# Runs `terraform validate` on every example directory against the provider
# just built in ./bin, through dev_overrides: nothing is downloaded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/opencon/opencon" = "$bin"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

status=0
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  copy="$work/$(echo "$rel" | tr / _)"
  mkdir -p "$copy"
  cp "$dir"/*.tf "$copy"/
  # Examples of one resource or data source hold only its blocks: give them the provider requirement.
  if ! grep -q required_providers "$copy"/*.tf; then
    printf 'terraform {\n  required_providers {\n    opencon = { source = "opencon/opencon" }\n  }\n}\n' > "$copy/zz_required_providers.tf"
  fi
  if out=$("$bin/terraform" -chdir="$copy" validate -no-color 2>&1); then
    echo "ok   $rel"
  else
    echo "FAIL $rel"; echo "$out"; status=1
  fi
done < <(find "$root/examples" -name '*.tf' -printf '%h\n' | sort -u)
exit $status
