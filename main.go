package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/opencon/terraform-provider-opencon/internal/provider"
	"github.com/opencon/terraform-provider-opencon/internal/server"
)

// The provider's registry address, and its type, which names its logger
// (TF_LOG_PROVIDER_OPENCON).
const (
	providerAddress = "registry.terraform.io/opencon/" + providerType
	providerType    = "opencon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Opt-in profiling of the provider process, for `make bench` and for
// diagnosing a slow run. Each names a file written when the process ends;
// "%p" in it becomes the process id, because Terraform starts the provider
// several times per command (schema, plan, apply) and each would otherwise
// overwrite the last one's profile.
const (
	envCPUProfile = "OPENCON_CPUPROFILE"
	envMemProfile = "OPENCON_MEMPROFILE"
)

func main() {
	var debug, printVersion bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.BoolVar(&printVersion, "version", false, "print the version stamped at build time and exit")
	flag.Parse()
	if printVersion {
		fmt.Println(version)
		return
	}

	stopProfiles, err := startProfiles(os.Getenv(envCPUProfile), os.Getenv(envMemProfile))
	if err != nil {
		log.Fatal(err)
	}

	// Under Terraform, log only what Terraform shows. A provider started by
	// hand for a debugger keeps the SDK's default, TRACE, on its terminal.
	if !debug {
		if err := server.SetLogLevels(providerType); err != nil {
			log.Fatal(err)
		}
	}

	// A CLI that was killed cannot end its providers: end with it (see
	// server.ExitWithParent). Not in debug mode, where no CLI started us.
	if !debug {
		stopWatch := server.ExitWithParent(time.Second, func() {
			stopProfiles()
			os.Exit(1)
		})
		defer stopWatch()
	}

	// Fewer garbage collections while the heap is small (see server.TuneGC).
	stopGC := server.TuneGC(time.Second)
	defer stopGC()

	// The framework's server behind internal/server's (see server.Server).
	srv, err := provider.ProtocolServer(version)
	if err != nil {
		log.Fatal(err)
	}
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err = tf6server.Serve(providerAddress, func() tfprotov6.ProviderServer { return srv }, opts...)
	// Terraform ends a provider by closing its gRPC connection, which makes
	// Serve return; only after two seconds without an exit does it kill it.
	stopProfiles()
	if err != nil {
		log.Fatal(err)
	}
}

// startProfiles starts the CPU profile and returns the function that ends
// both profiles and writes them. It also runs on SIGTERM, after which the
// process exits.
func startProfiles(cpuPath, memPath string) (stop func(), err error) {
	if cpuPath == "" && memPath == "" {
		return func() {}, nil
	}
	pid := strconv.Itoa(os.Getpid())
	cpuPath = strings.ReplaceAll(cpuPath, "%p", pid)
	memPath = strings.ReplaceAll(memPath, "%p", pid)

	var cpuFile *os.File
	if cpuPath != "" {
		if cpuFile, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
		if err := pprof.StartCPUProfile(cpuFile); err != nil {
			cpuFile.Close()
			return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if cpuFile != nil {
				pprof.StopCPUProfile()
				if err := cpuFile.Close(); err != nil {
					log.Printf("%s: %v", envCPUProfile, err)
				}
			}
			if memPath != "" {
				if err := writeHeapProfile(memPath); err != nil {
					log.Printf("%s: %v", envMemProfile, err)
				}
			}
		})
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	go func() {
		<-sigs
		stop()
		os.Exit(1)
	}()
	return stop, nil
}

// writeHeapProfile writes the heap profile: in-use memory at exit, and with
// -sample_index=alloc_space every allocation the process made.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // up-to-date in-use figures
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
