// Package server holds what main.go does around the framework's server to
// avoid costs the framework imposes on every request
// (internal/bench/FINDINGS.md): SDK loggers that format every line at TRACE
// when nobody reads them (LogLevels), and a context per request that the
// framework keeps until the provider stops (Wrap).
package server
