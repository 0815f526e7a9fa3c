package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fakeKafka records what was produced, or fails every record with err.
type fakeKafka struct {
	records []*kgo.Record
	err     error
}

func (f *fakeKafka) Produce(_ context.Context, r *kgo.Record) error {
	if f.err != nil {
		return f.err
	}
	f.records = append(f.records, r)
	return nil
}

const goodEvent = `{"campaignId":"c-1","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":{"page":"/pricing"}}`

func post(t *testing.T, h http.Handler, key, ctype, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAcceptedEventIsProducedKeyedByTenant(t *testing.T) {
	kafka := &fakeKafka{}
	h := newHandler(map[string]string{"k1": "acme"}, kafka)
	res := post(t, h, "k1", "application/json", goodEvent)
	if res.Code != http.StatusAccepted {
		t.Fatalf("status %d, body %s", res.Code, res.Body)
	}
	var answer struct{ ID, Status string }
	if err := json.Unmarshal(res.Body.Bytes(), &answer); err != nil || answer.Status != "accepted" || len(answer.ID) != 36 {
		t.Fatalf("answer %s (%v)", res.Body, err)
	}
	if len(kafka.records) != 1 {
		t.Fatalf("%d records produced", len(kafka.records))
	}
	r := kafka.records[0]
	if string(r.Key) != "acme" {
		t.Errorf("key %q", r.Key)
	}
	var value map[string]any
	if err := json.Unmarshal(r.Value, &value); err != nil {
		t.Fatal(err)
	}
	if value["id"] != answer.ID || value["tenant"] != "acme" || value["occurredAt"] != "2026-11-26T15:04:05.000Z" ||
		value["receivedAt"] == nil || value["attributes"].(map[string]any)["page"] != "/pricing" {
		t.Errorf("record value %s", r.Value)
	}
	if len(r.Headers) != 4 || r.Headers[0].Key != "event-id" || string(r.Headers[0].Value) != answer.ID {
		t.Errorf("headers %v", r.Headers)
	}
}

func TestClientIDIsKept(t *testing.T) {
	kafka := &fakeKafka{}
	h := newHandler(map[string]string{"k1": "acme"}, kafka)
	res := post(t, h, "k1", "application/json", `{"id":"evt-7","campaignId":"c","type":"view","occurredAt":"2026-11-26T15:04:05.5+01:00"}`)
	if res.Code != http.StatusAccepted || !strings.Contains(res.Body.String(), `"evt-7"`) {
		t.Fatalf("status %d, body %s", res.Code, res.Body)
	}
	if !strings.Contains(string(kafka.records[0].Value), `"occurredAt":"2026-11-26T14:04:05.500Z"`) {
		t.Errorf("value %s", kafka.records[0].Value)
	}
}

func TestBadRequestsAreRefusedAndNotProduced(t *testing.T) {
	cases := []struct {
		name, key, ctype, body string
		status                 int
		field                  string
	}{
		{"no key", "", "application/json", goodEvent, 401, "Authorization"},
		{"unknown key", "nope", "application/json", goodEvent, 401, "Authorization"},
		{"not json", "k1", "application/json", `{"campaignId":`, 400, ""},
		{"trailing garbage", "k1", "application/json", goodEvent + `x`, 400, ""},
		{"not an object", "k1", "application/json", `[1,2]`, 422, ""},
		{"missing type", "k1", "application/json", `{"campaignId":"c","occurredAt":"2026-11-26T15:04:05Z"}`, 422, "type"},
		{"upper-case type", "k1", "application/json", `{"campaignId":"c","type":"Click","occurredAt":"2026-11-26T15:04:05Z"}`, 422, "type"},
		{"bad time", "k1", "application/json", `{"campaignId":"c","type":"x","occurredAt":"yesterday"}`, 422, "occurredAt"},
		{"tenant in body", "k1", "application/json", `{"tenant":"other","campaignId":"c","type":"x","occurredAt":"2026-11-26T15:04:05Z"}`, 422, "tenant"},
		{"attributes not an object", "k1", "application/json", `{"campaignId":"c","type":"x","occurredAt":"2026-11-26T15:04:05Z","attributes":[1]}`, 422, "attributes"},
		{"attributes too deep", "k1", "application/json", `{"campaignId":"c","type":"x","occurredAt":"2026-11-26T15:04:05Z","attributes":` + strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat(`}`, 33) + `}`, 422, "attributes"},
		{"wrong content type", "k1", "text/plain", goodEvent, 415, "Content-Type"},
		{"too large", "k1", "application/json", `{"campaignId":"` + strings.Repeat("x", maxBodyBytes) + `"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kafka := &fakeKafka{}
			h := newHandler(map[string]string{"k1": "acme"}, kafka)
			res := post(t, h, c.key, c.ctype, c.body)
			var answer struct{ Error, Field string }
			if res.Code != c.status || json.Unmarshal(res.Body.Bytes(), &answer) != nil || answer.Field != c.field {
				t.Fatalf("status %d (want %d), body %s (want field %q)", res.Code, c.status, res.Body, c.field)
			}
			if len(kafka.records) != 0 {
				t.Errorf("%d records produced", len(kafka.records))
			}
		})
	}
}

func TestKafkaFailureIs503(t *testing.T) {
	h := newHandler(map[string]string{"k1": "acme"}, &fakeKafka{err: errors.New("broker down")})
	res := post(t, h, "k1", "application/json", goodEvent)
	if res.Code != http.StatusServiceUnavailable || res.Header().Get("Retry-After") != "5" {
		t.Fatalf("status %d, headers %v", res.Code, res.Header())
	}
}
