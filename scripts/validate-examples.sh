#!/usr/bin/env bash
# Runs `validate` on every example directory with each CLI given, against the
# provider just built in ./bin, through dev_overrides: nothing is downloaded.
#
# An example that needs a newer CLI says so on its first line, as
#   # Terraform 1.12+ or OpenTofu 1.12+. ...
#   # Terraform 1.14+ ...            (no OpenTofu version: OpenTofu lacks it)
# and is skipped, with that reason, by a CLI below the version (the same
# header gates the tests that run the examples, see examples_cli_test.go).
# Query files (*.tfquery.hcl) are validated with `validate -query`.
# A directory's import-by-*.tf files are alternatives (the resource page shows
# each): each is validated on its own with the directory's other files.
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

# version_ge A B: whether version A (x.y or x.y.z) is at least B.
version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# needs PRODUCT FILE...: the lowest version of PRODUCT the files' headers
# allow, "none" when one needs a feature PRODUCT lacks, empty when any will do.
needs() {
  local product=$1 need="" f line v
  shift
  for f in "$@"; do
    line=$(head -n1 "$f")
    [[ $line =~ ^#\ Terraform\ ([0-9]+\.[0-9]+)\+ ]] || continue
    if [[ $product == Terraform ]]; then
      v=${BASH_REMATCH[1]}
    elif [[ $line =~ OpenTofu\ ([0-9]+\.[0-9]+)\+ ]]; then
      v=${BASH_REMATCH[1]}
    else
      echo none
      return
    fi
    if [[ -z $need ]] || version_ge "$v" "$need"; then need=$v; fi
  done
  echo "$need"
}

status=0
# Formatting of query files: `fmt` knows only .tf files, and a query file is HCL like them.
while IFS= read -r q; do
  cp "$q" "$work/fmt-check.tf"
  if ! "$1" fmt -check -diff "$work/fmt-check.tf" >/dev/null; then
    echo "FAIL fmt ${q#"$root"/}"; "$1" fmt -diff "$work/fmt-check.tf" || true; status=1
  fi
done < <(find "$root/examples" -name '*.tfquery.hcl' | sort)

for cli in "$@"; do
  first=$("$cli" version)                     # "Terraform v1.14.9" or "OpenTofu v1.12.6", then more lines
  first=${first%%$'\n'*}
  product=${first%% *} version=${first##* v}
  name=$(basename "$cli")
  while IFS= read -r dir; do
    rel=${dir#"$root"/}
    shopt -s nullglob
    base=() alternatives=()
    for f in "$dir"/*.tf "$dir"/*.tfquery.hcl; do
      if [[ $(basename "$f") == import-by-*.tf ]]; then alternatives+=("$f"); else base+=("$f"); fi
    done
    shopt -u nullglob
    variants=("")
    if ((${#alternatives[@]})); then variants=("${alternatives[@]}"); fi
    for alt in "${variants[@]}"; do
      files=("${base[@]}")
      label=$rel
      if [[ -n $alt ]]; then files+=("$alt") label="$rel/$(basename "$alt")"; fi
      need=$(needs "$product" "${files[@]}")
      if [[ $need == none ]]; then
        echo "skip $name $version $label ($product has no such feature)"
        continue
      elif [[ -n $need ]] && ! version_ge "$version" "$need"; then
        echo "skip $name $version $label (needs $product $need)"
        continue
      fi
      copy="$work/$name/$(echo "$label" | tr / _)"
      mkdir -p "$copy"
      cp "${files[@]}" "$copy"/
      # Examples of one resource or data source hold only its blocks: give them the provider requirement.
      if ! cat "$copy"/* | grep -q required_providers; then
        printf 'terraform {\n  required_providers {\n    opencon = { source = "opencon/opencon" }\n  }\n}\n' > "$copy/zz_required_providers.tf"
      fi
      args=(validate -no-color)
      if compgen -G "$copy/*.tfquery.hcl" >/dev/null; then args+=(-query); fi
      if out=$("$cli" -chdir="$copy" "${args[@]}" 2>&1); then
        echo "ok   $name $version $label"
      else
        echo "FAIL $name $version $label"; echo "$out"; status=1
      fi
    done
  done < <(find "$root/examples" \( -name '*.tf' -o -name '*.tfquery.hcl' \) -printf '%h\n' | sort -u)
done
exit $status
