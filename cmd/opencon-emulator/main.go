// Command opencon-emulator serves the local SAP Open Connectors emulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "opencon-emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("opencon-emulator", flag.ContinueOnError)
	var (
		listen    = fs.String("listen", "127.0.0.1:8787", "address to listen on (port 0 picks a free port)")
		userSec   = fs.String("user-secret", emulator.DefaultUserSecret, "accepted User secret")
		orgSec    = fs.String("organization-secret", emulator.DefaultOrganizationSecret, "accepted Organization secret")
		latency   = fs.Duration("latency", 0, "latency added to every API call, before it is handled")
		jitter    = fs.Duration("latency-jitter", 0, "further latency of every API call, drawn uniformly from [0, this) with -seed")
		answerDly = fs.Duration("answer-delay", 0, "delay between applying an API call and writing its answer (a change made, answered late)")
		stormEvry = fs.Duration("storm-every", 0, "start a 429 storm this often: every API call gets 429 with the storm's remaining seconds as Retry-After")
		stormLen  = fs.Duration("storm-length", 0, "how long each 429 storm of -storm-every lasts")
		rateLimit = fs.Float64("rate-limit", 0, "API requests per second above which calls get 429 (0 = no limit)")
		errorRate = fs.Float64("error-rate", 0, "fraction of API calls answered 503 without being applied")
		dropRate  = fs.Float64("drop-rate", 0, "fraction of mutating API calls applied, then answered by closing the connection")
		pageSize  = fs.Int("page-size", emulator.DefaultPageSize, "instances per page of GET /instances, the default and the maximum of its pageSize parameter")
		seed      = fs.Int64("seed", 0, "random seed for ids, tokens and faults (0 = random)")
		stateFile = fs.String("state-file", "", "file to load state from and save it to")
		minute    = fs.Duration("minute", time.Minute, "length of an emulated minute for polling and retries")
		verbose   = fs.Bool("v", false, "log every request to stderr")
		remote    = fs.Bool("allow-remote-callbacks", false, "deliver events to callback URLs that are not on this machine")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *pageSize < 1 {
		return fmt.Errorf("-page-size is %d; it must be at least 1", *pageSize)
	}
	if (*stormEvry > 0) != (*stormLen > 0) || *stormLen > *stormEvry {
		return fmt.Errorf("-storm-every (%v) and -storm-length (%v) go together, and a storm cannot outlast its period", *stormEvry, *stormLen)
	}
	opts := emulator.Options{
		UserSecret:         *userSec,
		OrganizationSecret: *orgSec,
		Latency:            *latency,
		LatencyJitter:      *jitter,
		AnswerDelay:        *answerDly,
		StormEvery:         *stormEvry,
		StormLength:        *stormLen,
		RateLimit:          *rateLimit,
		ErrorRate:          *errorRate,
		DropRate:           *dropRate,
		PageSize:           *pageSize,
		Seed:               *seed,
		StateFile:          *stateFile,
		Minute:             *minute,

		AllowRemoteCallbacks: *remote,
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	if *verbose {
		opts.Logf = logger.Printf
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	emu := emulator.New(opts)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("opencon-emulator listening on http://%s%s\n", ln.Addr(), emulator.APIPrefix)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		emu.Close()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	emu.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
