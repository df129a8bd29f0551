package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PingHubs tells each WebSub hub that the topics (feed URLs) changed, with
// one form POST of hub.mode=publish and hub.url per hub and topic. Every
// ping is tried; the errors of those that failed are joined.
func PingHubs(ctx context.Context, client *http.Client, hubs, topics []string) error {
	if client == nil {
		client = http.DefaultClient
	}
	var errs []error
	for _, hub := range hubs {
		for _, topic := range topics {
			if err := ping(ctx, client, hub, topic); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func ping(ctx context.Context, client *http.Client, hub, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("websub ping %s: %w", hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("websub ping %s for %s: %w", hub, topic, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("websub ping %s for %s: hub answered %s", hub, topic, resp.Status)
	}
	return nil
}
