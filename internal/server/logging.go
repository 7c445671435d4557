package server

import (
	"os"
	"strings"
)

// The variables terraform-plugin-log reads for the levels of the loggers a
// provider process writes to its stderr, which Terraform reads, filters and
// shows or drops.
const (
	// EnvLogSDK is the level of terraform-plugin-go's and the framework's
	// loggers; their subsystems (TF_LOG_SDK_PROTO, TF_LOG_SDK_FRAMEWORK)
	// take it unless set themselves.
	EnvLogSDK = "TF_LOG_SDK"
	// EnvLogProviderPrefix, plus "_" and the provider's type in capitals, is
	// the level of the provider's own tflog logger.
	EnvLogProviderPrefix = "TF_LOG_PROVIDER"
)

// LogLevels returns the variables to set before serving provider typeName
// so that its loggers write what Terraform would show and nothing else:
// each of EnvLogSDK and TF_LOG_PROVIDER_<TYPE> the user left unset becomes
// TerraformProviderLevel. Left alone, terraform-plugin-log's loggers default
// to TRACE: every request formatted dozens of JSON lines that Terraform,
// with TF_LOG unset, decoded and threw away, a quarter of the provider's CPU
// and much of Terraform's (internal/bench/FINDINGS.md, hot spot 1). With
// TF_LOG=DEBUG or TRACE the output is what it was, since Terraform shows
// the same levels it did; a level the user set for any logger still wins.
func LogLevels(lookupEnv func(string) (string, bool), typeName string) map[string]string {
	level := TerraformProviderLevel(lookupEnv)
	out := map[string]string{}
	for _, name := range []string{EnvLogSDK, EnvLogProviderPrefix + "_" + strings.ToUpper(typeName)} {
		if _, set := lookupEnv(name); !set {
			out[name] = level
		}
	}
	return out
}

// SetLogLevels sets the variables of LogLevels in this process's
// environment, where terraform-plugin-log reads them on every request.
func SetLogLevels(typeName string) error {
	for k, v := range LogLevels(os.LookupEnv, typeName) {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// TerraformProviderLevel is the level at which Terraform and OpenTofu show
// a provider's log output (providerLogLevel in their internal/logging):
// TF_LOG_PROVIDER, else TF_LOG; OFF when neither is set, TRACE for JSON and
// for a value they do not know.
func TerraformProviderLevel(lookupEnv func(string) (string, bool)) string {
	v, _ := lookupEnv(EnvLogProviderPrefix)
	if v == "" {
		v, _ = lookupEnv("TF_LOG")
	}
	switch v = strings.ToUpper(v); v {
	case "":
		return "OFF"
	case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF":
		return v
	default:
		return "TRACE"
	}
}
