#!/usr/bin/env bash
# Prints `providers schema -json` of the provider binary in BIN_DIR, asked of
# the CLI given (Terraform 1.14 here: unlike Terraform 1.5 it knows ephemeral
# resources and write-only attributes, and unlike OpenTofu 1.12 list
# resources and actions, so the docs show them all). The schema is keyed
# registry.terraform.io/hashicorp/opencon, where tfplugindocs looks.
set -euo pipefail
cli=$1 bin_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/hashicorp/opencon" = "$bin_dir"
  }
  direct {}
}
CFG
cat > "$work/main.tf" <<'TF'
terraform {
  required_providers {
    opencon = { source = "registry.terraform.io/hashicorp/opencon" }
  }
}
TF
cd "$work"
TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 "$cli" providers schema -json
