// Command peer is the collector a careful team would write instead of Logdeck's, for
// scripts/bench to stand beside it: Go's net/http and the franz-go Kafka client, with the
// contract of Logdeck's single-event endpoint (docs/operations.md, "The HTTP collector").
//
//	POST /v1/events   Authorization: Bearer KEY, Content-Type: application/json
//	                  {"id"?, "campaignId", "type", "occurredAt", "attributes"?}
//
// The key names the tenant (-keys FILE: "KEY TENANT" per line, as scripts/bench writes it
// from the keys `logdeck-cli tenants add` printed). The event is checked as Logdeck checks
// it and produced to events.raw with the tenant as the record key, Logdeck's record value
// (the event with id, tenant and receivedAt) and headers, acks=all with idempotence. It is
// answered 202 {"id", "status": "accepted"} only once the broker has acknowledged it; 400
// for a body that is not JSON, 401 for a missing or unknown key, 413 for a body over 1 MiB,
// 415 for another content type, 422 for a bad event, 503 (Retry-After: 5) when Kafka did
// not take it. There is no outbox: what Kafka refuses is refused.
//
//	peer -brokers HOST:PORT[,...] -keys FILE [-listen 127.0.0.1:0] [-topic events.raw]
//
// Prints "peer=http://ADDR" on stdout once it listens; SIGTERM or SIGINT stop it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	brokers := flag.String("brokers", "", "Kafka bootstrap servers, comma-separated (required)")
	topic := flag.String("topic", "events.raw", "the topic events are produced to")
	keysFile := flag.String("keys", "", `API keys: one "KEY TENANT" per line (required)`)
	linger := flag.Duration("linger", time.Millisecond, "how long a partition's batch waits for more records")
	flag.Parse()
	if *brokers == "" || *keysFile == "" {
		fmt.Fprintln(os.Stderr, "peer: -brokers and -keys are required")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*listen, strings.Split(*brokers, ","), *topic, *keysFile, *linger); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

func run(listen string, brokers []string, topic, keysFile string, linger time.Duration) error {
	tenants, err := readKeys(keysFile)
	if err != nil {
		return err
	}
	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(topic),
		// acks=all and idempotence are franz-go's defaults; said here so that nobody
		// wonders. Up to 5 produce requests per broker in flight, as librdkafka's.
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(linger),
		// Logdeck's producer does not compress; neither does this one, so both put the same
		// bytes on the wire.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordDeliveryTimeout(30*time.Second),
		kgo.ProduceRequestTimeout(10*time.Second),
	)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = client.Ping(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("no Kafka broker answered at %s: %w", strings.Join(brokers, ","), err)
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newHandler(tenants, kafkaProducer{client}),
		ReadHeaderTimeout: 15 * time.Second,
		ReadTimeout:       15 * time.Second, // a request arrives whole within 15 s, as Logdeck's
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	fmt.Printf("peer=http://%s\n", ln.Addr())
	os.Stdout.Sync()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
		return err
	case <-stop:
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return client.Flush(ctx)
}

// readKeys reads "KEY TENANT" lines; blank lines and lines starting with # are skipped.
func readKeys(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tenants := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: expected \"KEY TENANT\"", path, n)
		}
		tenants[fields[0]] = fields[1]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		return nil, errors.New(path + ": no keys")
	}
	return tenants, nil
}

// kafkaProducer produces one record and waits for the broker's acknowledgement. Not
// ProduceSync: that un-lingers the record's partition on every call, so the records of
// concurrent requests would not share batches.
type kafkaProducer struct{ client *kgo.Client }

func (p kafkaProducer) Produce(ctx context.Context, r *kgo.Record) error {
	done := make(chan error, 1)
	p.client.Produce(ctx, r, func(_ *kgo.Record, err error) { done <- err })
	return <-done
}
