//go:build tools

// Package tools pins the Terraform CLI (1.14) that the acceptance tests run
// under besides Terraform 1.5.7 and OpenTofu. Terraform is BUSL-licensed: it
// is built into ./bin for the tests only and never shipped.
package tools

import _ "github.com/hashicorp/terraform"
