// Package server holds what main.go does around the framework's server to
// avoid costs the framework imposes on every request
// (internal/bench/FINDINGS.md): SDK loggers that format every line at TRACE
// when nobody reads them (LogLevels), and a context per request that the
// framework keeps until the provider stops (Wrap); and, because a provider
// that no longer logs is no longer killed by its dead CLI's pipe, the end
// of a provider whose CLI was killed (ExitWithParent).
package server
