//go:build tools

// Package tools pins goreleaser, which builds and packages the release
// archives (make release-snapshot, make release).
package tools

import _ "github.com/goreleaser/goreleaser/v2"
