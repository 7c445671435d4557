// Package oss stands in for Terraform's oss state backend, which lives in a
// nested module that Terraform's go.mod replaces with a local path and the
// Go module proxy therefore cannot serve. The acceptance tests never use a
// remote backend; this one keeps state in memory.
package oss

import (
	"github.com/hashicorp/terraform/internal/backend"
	"github.com/hashicorp/terraform/internal/backend/remote-state/inmem"
)

// New returns the in-memory backend.
func New() backend.Backend { return inmem.New() }
