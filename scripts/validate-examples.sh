#!/usr/bin/env bash
# Runs `validate` on every example directory with each CLI given, against the
# provider just built in ./bin, through dev_overrides: nothing is downloaded.
# Ephemeral resources need Terraform 1.10, so Terraform 1.5 skips them; actions
# need Terraform 1.14, so only a CLI that runs them validates their examples.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/opencon/opencon" = "$bin"
    "registry.opentofu.org/opencon/opencon" = "$bin"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# runs_actions NAME VERSION: whether the CLI is Terraform 1.14 or later.
runs_actions() {
  local major minor
  IFS=. read -r major minor _ <<<"$2"
  [[ $1 == terraform* ]] && { ((major > 1)) || ((major == 1 && minor >= 14)); }
}

status=0
for cli in "$@"; do
  version=$("$cli" version -json | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')
  name=$(basename "$cli")
  while IFS= read -r dir; do
    rel=${dir#"$root"/}
    if [[ $name == terraform && $rel == examples/ephemeral-resources/* && $version == 1.[0-9].* ]]; then
      echo "skip $name $version $rel (ephemeral resources need Terraform 1.10)"
      continue
    fi
    if [[ $rel == examples/actions/* ]] && ! runs_actions "$name" "$version"; then
      echo "skip $name $version $rel (actions need Terraform 1.14)"
      continue
    fi
    copy="$work/$name/$(echo "$rel" | tr / _)"
    mkdir -p "$copy"
    cp "$dir"/*.tf "$copy"/
    # Examples of one resource or data source hold only its blocks: give them the provider requirement.
    if ! grep -q required_providers "$copy"/*.tf; then
      printf 'terraform {\n  required_providers {\n    opencon = { source = "opencon/opencon" }\n  }\n}\n' > "$copy/zz_required_providers.tf"
    fi
    if out=$("$cli" -chdir="$copy" validate -no-color 2>&1); then
      echo "ok   $name $version $rel"
    else
      echo "FAIL $name $version $rel"; echo "$out"; status=1
    fi
  done < <(find "$root/examples" -name '*.tf' -printf '%h\n' | sort -u)
done
exit $status
