//go:build tools

// Package tools pins the OpenTofu CLI that the acceptance tests run under.
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"
